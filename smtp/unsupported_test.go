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

func TestUnsupportedSuffixes(t *testing.T) {
	for _, s := range unsupported {
		if strings.HasPrefix(s, "smtp_") || strings.HasPrefix(s, "lmtp_") {
			t.Errorf("%q: suffixes only", s)
		}
		// Implemented TLS parameters must not be reported as ignored.
		switch s {
		case "tls_policy_maps", "tls_CAfile", "tls_security_level", "tls_wrappermode", "tls_servername":
			t.Errorf("%q is implemented", s)
		}
	}
}
