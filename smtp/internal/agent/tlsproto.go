package agent

import (
	"crypto/tls"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/postfix-go/postfix-go/internal/tlspolicy"
)

// errNoProtocols is what OpenSSL reports when the protocol list leaves
// nothing to negotiate; stock logs it as a TLS library problem.
var errNoProtocols = errors.New("error:0A0000BF:SSL routines::no protocols available:../ssl/statem/statem_lib.c:102:")

// errInvalidProtocols marks a protocol list stock cannot parse.
var errInvalidProtocols = errors.New("invalid TLS protocol list")

// tlsVersions are the versions Go can negotiate, in stock's names.
var tlsVersions = []struct {
	name string
	v    uint16
}{{"TLSv1", tls.VersionTLS10}, {"TLSv1.1", tls.VersionTLS11}, {"TLSv1.2", tls.VersionTLS12}, {"TLSv1.3", tls.VersionTLS13}}

// protoVersion parses one protocol name (case-sensitive, as stock) or a
// hex wire number as in ">=0x0303". SSLv2/SSLv3 are known to stock and
// valid in lists, but Go can never negotiate them.
func protoVersion(tok string) (uint16, bool) {
	switch tok {
	case "SSLv2":
		return 0x0200, true
	case "SSLv3":
		return tls.VersionSSL30, true //nolint:staticcheck // naming only
	}
	for _, p := range tlsVersions {
		if p.name == tok {
			return p.v, true
		}
	}
	if h, ok := strings.CutPrefix(strings.ToLower(tok), "0x"); ok {
		n, err := strconv.ParseUint(h, 16, 16)
		return uint16(n), err == nil
	}
	return 0, false
}

// protocolRange maps a protocol list (">=TLSv1", "<=TLSv1.2",
// "!SSLv2, !SSLv3", "TLSv1.2 TLSv1.3") to Go's MinVersion/MaxVersion.
// Go has no holes: an exclusion strictly inside the range (e.g.
// "!TLSv1.1" with 1.0 and 1.2 allowed) is widened over; see doc.go.
func protocolRange(list string) (minV, maxV uint16, err error) {
	var floor, ceiling uint16
	include, exclude := map[uint16]bool{}, map[uint16]bool{}
	for _, tok := range strings.FieldsFunc(list, func(r rune) bool { return strings.ContainsRune(", \t\r\n:", r) }) {
		var ok bool
		switch {
		case strings.HasPrefix(tok, ">="):
			floor, ok = protoVersion(tok[2:])
		case strings.HasPrefix(tok, "<="):
			ceiling, ok = protoVersion(tok[2:])
		case strings.HasPrefix(tok, "!"):
			var v uint16
			v, ok = protoVersion(tok[1:])
			exclude[v] = true
		default:
			var v uint16
			v, ok = protoVersion(tok)
			include[v] = true
		}
		if !ok {
			return 0, 0, errInvalidProtocols
		}
	}
	for _, p := range tlsVersions {
		allowed := !exclude[p.v] && (len(include) == 0 || include[p.v]) &&
			(floor == 0 || p.v >= floor) && (ceiling == 0 || p.v <= ceiling)
		if !allowed {
			continue
		}
		if minV == 0 {
			minV = p.v
		}
		maxV = p.v
	}
	if minV == 0 {
		return 0, 0, errNoProtocols
	}
	return minV, maxV, nil
}

// cipherSuites maps a cipher grade and OpenSSL exclusion tokens to the
// TLS 1.0-1.2 suites to offer (TLS 1.3 suites are fixed in Go, as they
// are not configured by Postfix 3.7 either). "medium" (the default),
// "high", "low" and "export" all give every suite Go implements that
// OpenSSL 3.0 also offers: RC4 and 3DES are left out, RSA key exchange
// and the CBC-SHA256 suites are in, which Go only uses when listed.
func cipherSuites(grade, exclusions string) ([]uint16, error) {
	switch strings.ToLower(grade) {
	case "high", "medium", "low", "export":
	case "null":
		return nil, fmt.Errorf("cipher grade %q is not supported by Go crypto/tls", grade)
	default:
		return nil, fmt.Errorf("invalid cipher grade: %q", grade)
	}
	var all []*tls.CipherSuite
	all = append(all, tls.CipherSuites()...)
	all = append(all, tls.InsecureCipherSuites()...)
	excl := strings.FieldsFunc(exclusions, func(r rune) bool { return strings.ContainsRune(", \t\r\n:", r) })
	var out []uint16
	for _, cs := range all {
		if slices.Contains(cs.SupportedVersions, tls.VersionTLS13) {
			continue
		}
		name, ok := tlspolicy.OpenSSLCipher(cs.ID)
		if !ok || strings.Contains(name.Name, "RC4") || strings.Contains(name.Name, "DES-CBC3") {
			continue
		}
		if !slices.ContainsFunc(excl, func(tok string) bool { return suiteMatches(strings.TrimLeft(tok, "!-+"), name.Name) }) {
			out = append(out, cs.ID)
		}
	}
	return out, nil
}

// suiteMatches tells whether one OpenSSL cipher-string token selects the
// suite named name (OpenSSL spelling). Tokens for algorithms Go lacks
// (DHE, PSK, CAMELLIA, aNULL, eNULL, ...) select nothing, which is
// exact: none of those suites is ever offered.
func suiteMatches(tok, name string) bool {
	if tok == name {
		return true
	}
	parts := strings.Split(name, "-")
	has := func(p string) bool { return slices.Contains(parts, p) }
	ecdhe := has("ECDHE")
	switch tok {
	case "kRSA", "RSA": // "RSA" is an alias of kRSA in OpenSSL
		return !ecdhe
	case "aRSA":
		return !has("ECDSA")
	case "ECDHE", "EECDH", "kECDHE", "kEECDH":
		return ecdhe
	case "aECDSA", "ECDSA":
		return has("ECDSA")
	case "AES":
		return strings.Contains(name, "AES")
	case "AES128":
		return strings.Contains(name, "AES128")
	case "AES256":
		return strings.Contains(name, "AES256")
	case "AESGCM":
		return strings.Contains(name, "GCM")
	case "CHACHA20":
		return strings.Contains(name, "CHACHA20")
	case "SHA1", "SHA":
		return strings.HasSuffix(name, "-SHA")
	case "SHA256":
		return strings.HasSuffix(name, "SHA256")
	case "SHA384":
		return strings.HasSuffix(name, "SHA384")
	}
	return false
}
