package tlspolicy

import (
	"crypto/x509"
	"testing"
)

// Cases the OpenSSL oracle file cannot express (NUL bytes, empty input).
func TestWildcardEdgeCases(t *testing.T) {
	for _, tc := range []struct {
		pattern, ref string
		sub, want    bool
	}{
		{"a\x00b.example.com", ".example.com", true, false}, // NUL in the skipped prefix
		{"x\x00", "x\x00", false, false},                    // NUL never matches
		{"*.example.com", "xn--a.example.com", false, true}, // full-label star allows A-labels
		{"*.example.com", ".example.com", false, false},     // star must cover a character
		{"*.example.com", "a.b.example.com", false, false},  // one label only
		{"*.example.com", "a*b.example.com", false, false},
		{"*.example.com", "*.example.com", false, true},
		{"*.Example.COM", "X.example.com", false, true},
		{"*.example.com", "example.com", false, false},
		{"*.example.com", "a.example.org", false, false},
		{"*..example.com", "a..example.com", false, false}, // empty label: no wildcard,
		{"*..example.com", "*..EXAMPLE.com", false, true},  // only a literal compare
		{"xn--*.example.org", "xn--a.example.org", false, false},
	} {
		if got := equalWildcard(tc.pattern, tc.ref, tc.sub); got != tc.want {
			t.Errorf("equalWildcard(%q, %q, %v) = %v", tc.pattern, tc.ref, tc.sub, got)
		}
	}
	c := &x509.Certificate{DNSNames: []string{"mx.example.com"}}
	for _, ref := range []string{"", "mx\x00.example.com"} {
		if _, ok := CheckHost(c, ref); ok {
			t.Errorf("CheckHost(%q) matched", ref)
		}
	}
	if equalFoldASCII("ab", "abc") || !equalFoldASCII("AB", "ab") {
		t.Error("equalFoldASCII")
	}
	if attrShortName("1.2.3") != "1.2.3" || attrShortName("2.5.4.10") != "O" {
		t.Error("attrShortName")
	}
	pe := &PolicyError{Status: "4.3.0", Reason: "Temporary lookup error"}
	if pe.DSNStatus() != "4.3.0" || pe.Error() != "Temporary lookup error" {
		t.Errorf("%q %q", pe.DSNStatus(), pe.Error())
	}
	if _, ok := parseUintStrict("12345"); ok {
		t.Error("long number accepted")
	}
}
