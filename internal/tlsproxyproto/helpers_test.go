package tlsproxyproto

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/postfix-go/postfix-go/master-compat/attr"
)

// warnings collects what the decoders pass to Scanner.Warn.
type warnings []string

func (w *warnings) add(s string) { *w = append(*w, s) }

// newScanner scans in, naming the peer "test" in warnings.
func newScanner(in []byte) (*attr.Scanner, *warnings) {
	w := new(warnings)
	return attr.NewScanner(bytes.NewReader(in), "test", w.add), w
}

func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// list builds one attr0 list from name, value pairs.
func list(pairs ...string) []byte {
	var b []byte
	for i := 0; i+1 < len(pairs); i += 2 {
		b = attr.AppendStr(b, pairs[i], pairs[i+1])
	}
	return attr.AppendEnd(b)
}

// rest returns what the scanner has not consumed.
func rest(t testing.TB, sc *attr.Scanner) []byte {
	t.Helper()
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(sc.Reader()); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
