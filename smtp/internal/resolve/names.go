package resolve

import (
	"net/netip"
	"strings"
	"unicode/utf8"
)

// Limits from Postfix's valid_hostname.h (RFC 1035).
const (
	maxHostnameLen = 255
	maxLabelLen    = 63
)

// validHostname reports whether name is an acceptable ASCII host or domain
// name: letters, digits, '_' (accepted by Postfix for compatibility), '-'
// not at a label edge, no empty labels, and not all-numeric (an all-numeric
// name is an address, not a name). wildcard allows a leading "*" label,
// as Postfix does for names in DNS replies.
func validHostname(name string, wildcard bool) bool {
	if name == "" || len(name) > maxHostnameLen {
		return false
	}
	labelLen, labelCount, nonNumeric := 0, 0, false
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case isAlnum(c) || c == '_':
			if labelLen == 0 {
				labelCount++
			}
			labelLen++
			if labelLen > maxLabelLen {
				return false
			}
			if c < '0' || c > '9' {
				nonNumeric = true
			}
		case wildcard && c == '*':
			if labelLen != 0 || labelCount != 0 || (i+1 < len(name) && name[i+1] != '.') {
				return false
			}
			labelCount++
			labelLen++
			nonNumeric = true
		case c == '.':
			if labelLen == 0 || i+1 == len(name) {
				return false
			}
			labelLen = 0
		case c == '-':
			nonNumeric = true
			labelLen++
			if labelLen == 1 || i+1 == len(name) || name[i+1] == '.' {
				return false
			}
		default:
			return false
		}
	}
	return nonNumeric
}

func isAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// validUTF8Hostname stands in for Postfix's valid_utf8_hostname() with
// smtputf8 enabled. Postfix converts a non-ASCII name to an A-label and
// validates that; we cannot do IDNA here (no x/net/idna in the allowed
// deps), so a non-ASCII name is accepted when it is valid UTF-8 without
// control characters and its labels are otherwise well formed. The actual
// conversion happens at lookup time through Config.ToASCII.
func validUTF8Hostname(name string) bool {
	if isASCII(name) {
		return validHostname(name, false)
	}
	if !utf8.ValidString(name) || len(name) > maxHostnameLen {
		return false
	}
	for _, label := range strings.Split(name, ".") {
		if label == "" || strings.HasPrefix(label, "-") || strings.HasSuffix(label, "-") {
			return false
		}
		for _, r := range label {
			if r < 0x80 && !(r < 0x7f && (isAlnum(byte(r)) || r == '-' || r == '_')) {
				return false
			}
		}
	}
	return true
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// validIPv4 mirrors valid_ipv4_hostaddr(): four decimal octets, each ≤ 255,
// and a leading 0 octet only in 0.0.0.0. Leading zeros inside an octet are
// tolerated as in Postfix (netip would reject them).
func validIPv4(s string) bool {
	bytes, inByte, val := 0, false, 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			if !inByte {
				inByte, val = true, 0
				bytes++
			}
			val = val*10 + int(c-'0')
			if val > 255 {
				return false
			}
		case c == '.':
			if !inByte || i+1 == len(s) {
				return false
			}
			if bytes == 1 && val == 0 && strings.Trim(s, "0.") != "" {
				return false
			}
			inByte = false
		default:
			return false
		}
	}
	return bytes == 4
}

// validIPv6 approximates valid_ipv6_hostaddr(): a textual IPv6 address
// without zone. netip is slightly stricter than Postfix about odd forms.
func validIPv6(s string) bool {
	if !strings.Contains(s, ":") || strings.Contains(s, "%") {
		return false
	}
	a, err := netip.ParseAddr(s)
	return err == nil && a.Is6()
}

func validHostaddr(s string) bool { return validIPv4(s) || validIPv6(s) }

// parseNumeric converts a numeric host to an address, as
// hostaddr_to_sockaddr() does before any DNS lookup.
func parseNumeric(s string) (netip.Addr, bool) {
	if validIPv4(s) {
		var b [4]byte
		for i, part := range strings.Split(s, ".") {
			v := 0
			for j := 0; j < len(part); j++ {
				v = v*10 + int(part[j]-'0')
			}
			b[i] = byte(v)
		}
		return netip.AddrFrom4(b), true
	}
	if validIPv6(s) {
		a, _ := netip.ParseAddr(s)
		return a, true
	}
	return netip.Addr{}, false
}
