package config

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

// FuzzExpand expands arbitrary text against a dictionary loaded from
// arbitrary main.cf text. Seeds live in testdata/fuzz/FuzzExpand.
func FuzzExpand(f *testing.F) {
	f.Fuzz(func(t *testing.T, pattern, mainCF string) {
		d := New()
		_ = d.LoadMainCF(strings.NewReader(mainCF), "fuzz.cf")
		got, err := d.Expand(pattern)
		again, err2 := d.Expand(pattern)
		if got != again || (err == nil) != (err2 == nil) {
			t.Fatalf("expansion of %q is not deterministic", pattern)
		}
		if err != nil {
			var ee *ExpandError
			if !errors.As(err, &ee) || len(ee.Warnings) == 0 {
				t.Fatalf("error without warnings: %v", err)
			}
			return
		}
		if p := cutAtNUL(pattern); !strings.Contains(p, "$") && got != p {
			t.Fatalf("text without $ changed: %q -> %q", p, got)
		}
		// One-level expansion reads the same syntax; it must not panic.
		_, _ = d.ExpandOnce(pattern)
	})
}

// FuzzParseMainCF checks the structural guarantees of the main.cf
// reader on arbitrary input. Seeds live in testdata/fuzz/FuzzParseMainCF.
func FuzzParseMainCF(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		entries, err := ParseMainCF(bytes.NewReader(data), "fuzz.cf", nil)
		if err != nil && !strings.HasPrefix(err.Error(), "fuzz.cf, line ") {
			t.Fatalf("error without location: %v", err)
		}
		last := 0
		for _, e := range entries {
			if e.Name == "" || strings.ContainsAny(e.Name, "= \t\n\v\f\r\x00") {
				t.Fatalf("bad name %q", e.Name)
			}
			if strings.ContainsAny(e.Value, "\n\x00") || e.Value != trimCSpace(e.Value) {
				t.Fatalf("bad value %q", e.Value)
			}
			if e.Line <= last {
				t.Fatalf("line numbers not increasing: %d after %d", e.Line, last)
			}
			last = e.Line
			// Re-serialising one entry must parse back to itself.
			back, err := ParseMainCF(strings.NewReader(e.Name+" = "+e.Value+"\n"), "x", nil)
			if err != nil || len(back) != 1 || back[0].Name != e.Name || back[0].Value != e.Value {
				t.Fatalf("round trip of %q = %q: %v %v", e.Name, e.Value, back, err)
			}
		}
	})
}
