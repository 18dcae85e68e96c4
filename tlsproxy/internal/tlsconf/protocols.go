// Package tlsconf turns Postfix TLS settings (protocol lists, log levels,
// certificate and CA files) into crypto/tls material for tlsproxy.
package tlsconf

import (
	"crypto/tls"
	"fmt"
	"strings"
)

// versions are the protocol names Postfix accepts that Go can speak, in
// ascending order. SSLv2/SSLv3 are accepted in lists (exclusions of them
// are the norm) but can never be enabled.
var versions = []struct {
	name string
	v    uint16
}{
	{"TLSv1", tls.VersionTLS10},
	{"TLSv1.1", tls.VersionTLS11},
	{"TLSv1.2", tls.VersionTLS12},
	{"TLSv1.3", tls.VersionTLS13},
}

func versionIndex(name string) (int, bool) {
	for i, p := range versions {
		if strings.EqualFold(p.name, name) {
			return i, true
		}
	}
	if strings.EqualFold(name, "SSLv2") || strings.EqualFold(name, "SSLv3") {
		return -1, true
	}
	return 0, false
}

// Curves is the key-exchange group list for both roles: the groups of
// tls_eecdh_auto_curves that Go implements (X448 is not), and no hybrid
// post-quantum group, which OpenSSL 3.0 and so stock 3.7 peers lack.
var Curves = []tls.CurveID{tls.X25519, tls.CurveP256, tls.CurveP521, tls.CurveP384}

// Protocols parses a Postfix protocol list ("!SSLv2, !SSLv3", ">=TLSv1",
// "TLSv1.2 TLSv1.3", "<=TLSv1.2") into Go's version range. Go has only a
// minimum and a maximum, so an excluded version between two enabled ones
// (a "hole") is re-enabled; stock OpenSSL behaves the same way since 1.1.
func Protocols(list string) (lo16, hi16 uint16, err error) {
	allowed := make([]bool, len(versions))
	positive := false
	lo, hi := 0, len(versions)-1
	var excl []int
	for _, tok := range strings.FieldsFunc(list, func(r rune) bool { return strings.ContainsRune(", \t\r\n:", r) }) {
		switch {
		case strings.HasPrefix(tok, ">="):
			i, ok := versionIndex(tok[2:])
			if !ok {
				return 0, 0, fmt.Errorf("invalid TLS protocol version bound: %q", tok)
			}
			lo = max(lo, i)
		case strings.HasPrefix(tok, "<="):
			i, ok := versionIndex(tok[2:])
			if !ok {
				return 0, 0, fmt.Errorf("invalid TLS protocol version bound: %q", tok)
			}
			hi = min(hi, i)
		case strings.HasPrefix(tok, "!"):
			i, ok := versionIndex(tok[1:])
			if !ok {
				return 0, 0, fmt.Errorf("invalid TLS protocol name: %q", tok)
			}
			if i >= 0 {
				excl = append(excl, i)
			}
		default:
			i, ok := versionIndex(tok)
			if !ok {
				return 0, 0, fmt.Errorf("invalid TLS protocol name: %q", tok)
			}
			positive = true
			if i >= 0 {
				allowed[i] = true
			}
		}
	}
	if !positive {
		for i := range allowed {
			allowed[i] = true
		}
	}
	for _, i := range excl {
		allowed[i] = false
	}
	first, last := -1, -1
	for i := lo; i <= hi && i >= 0; i++ {
		if allowed[i] {
			if first < 0 {
				first = i
			}
			last = i
		}
	}
	if first < 0 {
		return 0, 0, fmt.Errorf("no TLS protocol version left in %q", list)
	}
	return versions[first].v, versions[last].v, nil
}

// SummaryEnabled reports whether a TLS log level (tls_log_mask syntax: a
// number or a list of keywords) includes the "summary" bit, i.e. whether
// the "TLS connection established" line is logged.
func SummaryEnabled(level string) bool {
	for _, tok := range strings.FieldsFunc(level, func(r rune) bool { return strings.ContainsRune(", \t\r\n:", r) }) {
		tok = strings.ToLower(tok)
		if len(tok) == 1 && tok[0] >= '1' && tok[0] <= '9' {
			return true
		}
		switch tok {
		case "routine", "summary", "debug", "ssl-expert", "ssl-developer":
			return true
		}
	}
	return false
}
