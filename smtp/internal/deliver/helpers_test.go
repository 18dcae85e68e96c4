package deliver

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/postfix-go/postfix-go/master-compat/attr"
)

// path is how stock names qmgr's connection in warnings: the service name
// and " socket" (single_server.c).
const path = "smtp socket"

// handoff is the fixed clock of the tests' decoders.
func handoff() time.Time { return time.Unix(1795930500, 123456000) }

func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatalf("fixture: %v", err)
	}
	return b
}

func requestFixtures(t testing.TB) []string {
	t.Helper()
	names, err := filepath.Glob(filepath.Join("testdata", "smtp-deliver-request*.bin"))
	if err != nil || len(names) == 0 {
		t.Fatalf("no request fixtures: %v", err)
	}
	for i, n := range names {
		names[i] = filepath.Base(n)
	}
	return names
}

// scanner returns a scanner over in that records the warnings it and Read
// log.
func scanner(in []byte) (*attr.Scanner, *[]string) {
	warns := new([]string)
	sc := attr.NewScanner(bytes.NewReader(in), path, func(s string) { *warns = append(*warns, s) })
	return sc, warns
}

func testDecoder() *Decoder {
	return &Decoder{Now: handoff}
}

// replace replaces the first occurrence of old in b, failing the test if
// there is none: a mutation that silently does nothing tests nothing.
func replace(t testing.TB, b []byte, old, new string) []byte {
	t.Helper()
	if !bytes.Contains(b, []byte(old)) {
		t.Fatalf("mutation: %q not in input", old)
	}
	return bytes.Replace(b, []byte(old), []byte(new), 1)
}
