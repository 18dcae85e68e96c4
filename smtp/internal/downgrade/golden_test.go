package downgrade

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestGolden replays queue-file content captured from stock Postfix
// 3.7.11 and compares the DATA bytes with what stock smtp(8) sent to a
// server without 8BITMIME (see testdata/stock/README). A fixture with a
// .err file is one where stock gave up with that MIME error; its .wire
// holds what reached the server before the connection was dropped.
func TestGolden(t *testing.T) {
	files, _ := filepath.Glob("testdata/spec/*.qf")
	more, _ := filepath.Glob("testdata/stock/*.qf")
	files = append(files, more...)
	if len(files) == 0 {
		t.Fatal("no fixtures")
	}
	for _, qf := range files {
		base := strings.TrimSuffix(qf, ".qf")
		t.Run(filepath.Base(filepath.Dir(qf))+"/"+filepath.Base(base), func(t *testing.T) {
			want, err := os.ReadFile(base + ".wire")
			if err != nil {
				t.Fatal(err)
			}
			wantErr, _ := os.ReadFile(base + ".err")
			got, err := wire(Config{}, readQF(t, qf))
			gotErr := ""
			if err != nil {
				gotErr = err.Error()
			}
			if gotErr != strings.TrimSpace(string(wantErr)) {
				t.Errorf("error: got %q, want %q", gotErr, strings.TrimSpace(string(wantErr)))
			}
			if !bytes.Equal(got, want) {
				t.Errorf("wire mismatch\n got: %q\nwant: %q", got, want)
			}
		})
	}
}
