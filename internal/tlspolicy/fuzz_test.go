package tlspolicy

import (
	"errors"
	"strings"
	"testing"
)

// FuzzParseEntry checks that any policy value parses without panicking,
// that errors are always invalid-policy errors with the stock prefix, and
// that a successful parse respects the per-level attribute rules.
func FuzzParseEntry(f *testing.F) {
	for _, s := range []string{
		"secure match=.example.com:example.com ciphers=high protocols=!SSLv2",
		"fingerprint match=59:D0:39|26B0A7",
		"encrypt foo=bar", "none x", "verify tafile=/x", "may servername=hostname,connection_reuse=yes",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		p := EntryParser{Where: "W"}
		e, warns, err := p.Parse(in)
		for _, w := range warns {
			if !strings.HasPrefix(w, "W: ") && !strings.HasPrefix(w, "malformed fingerprint value: ") {
				t.Fatalf("warning without prefix: %q", w)
			}
		}
		if err != nil {
			var pe *PolicyError
			if !errors.As(err, &pe) || !errors.Is(err, ErrInvalidPolicy) || !strings.HasPrefix(pe.Msg, "W: ") {
				t.Fatalf("bad error %v", err)
			}
			return
		}
		if e.Level < LevelNone || e.Level > LevelSecure || e.Level == LevelHalfDANE {
			t.Fatalf("level %v", e.Level)
		}
		if e.MatchSet && e.Level != LevelVerify && e.Level != LevelSecure {
			t.Fatalf("match at %v", e.Level)
		}
		if len(e.TAFiles) > 0 && !e.Level.MustPKIX() {
			t.Fatalf("tafile at %v", e.Level)
		}
		if e.ServerName != "" && !ValidHostname(e.ServerName) {
			t.Fatalf("servername %q", e.ServerName)
		}
	})
}
