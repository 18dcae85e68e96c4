package main

import (
	"strings"
	"testing"

	"github.com/postfix-go/postfix-go/master-compat/config"
)

func TestWarnUnsupported(t *testing.T) {
	d := config.New()
	d.Set("smtp_generic_maps", "hash:/etc/postfix/generic")
	d.Set("smtp_bind_address", "")          // the default: no warning
	d.Set("smtp_tls_CApath", "  ")          // blank, still the default
	d.Set("lmtp_header_checks", "regexp:x") // other personality
	var got []string
	warnUnsupported(d, "smtp_", "smtp", func(s string) { got = append(got, s) })
	want := "smtp_generic_maps = hash:/etc/postfix/generic is not supported by this smtp yet and is ignored"
	if len(got) != 1 || got[0] != want {
		t.Fatalf("warnings %q, want just %q", got, want)
	}
}

func TestTLSRequired(t *testing.T) {
	for name, want := range map[string]bool{"": false, "none": false, "may": false, "encrypt": true,
		"dane": true, "verify": true, "secure": true} {
		if got := tlsRequired(tlsLevels[name]); got != want {
			t.Errorf("tlsRequired(%q) = %v", name, got)
		}
	}
	if !tlsRequired(99) {
		t.Error("an unknown level must not send in plaintext")
	}
	for _, s := range unsupported {
		if strings.HasPrefix(s, "smtp_") || strings.HasPrefix(s, "lmtp_") {
			t.Errorf("%q: suffixes only", s)
		}
	}
}
