package tlspolicy

import (
	"errors"
	"strings"
	"unicode"
	"unicode/utf8"
)

// ValidHostname is Postfix's valid_hostname() without wildcards: labels of
// letters, digits, '_' and inner '-', at most 63 bytes each, no empty
// labels (so no trailing dot), not all-numeric, at most 255 bytes.
// servername= and smtp_tls_servername are checked with it.
func ValidHostname(name string) bool {
	if name == "" || len(name) > 255 {
		return false
	}
	labelLen, nonNumeric := 0, false
	for i := 0; i < len(name); i++ {
		ch := name[i]
		next := byte(0)
		if i+1 < len(name) {
			next = name[i+1]
		}
		switch {
		case isAlnum(ch) || ch == '_':
			labelLen++
			if labelLen > 63 {
				return false
			}
			if ch < '0' || ch > '9' {
				nonNumeric = true
			}
		case ch == '.':
			if labelLen == 0 || next == 0 {
				return false
			}
			labelLen = 0
		case ch == '-':
			nonNumeric = true
			labelLen++
			if labelLen == 1 || next == 0 || next == '.' {
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

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// ToASCII converts a UTF-8 domain name to A-labels, in the spirit of
// midna_domain_to_ascii(): labels are lower-cased and Punycode-encoded.
// It is a subset of UTS 46 (no NFC normalisation or mapping tables, which
// the standard library lacks); names that are already ASCII are returned
// unchanged. IDNA full-stop variants separate labels like '.'.
func ToASCII(name string) (string, error) {
	if isASCII(name) {
		return name, nil
	}
	if !utf8.ValidString(name) {
		return "", errors.New("invalid UTF-8 in domain name")
	}
	name = strings.Map(func(r rune) rune {
		switch r {
		case '\u3002', '\uff0e', '\uff61':
			return '.'
		}
		return unicode.ToLower(r)
	}, name)
	labels := strings.Split(name, ".")
	for i, l := range labels {
		if isASCII(l) {
			continue
		}
		enc, err := punycodeEncode(l)
		if err != nil {
			return "", err
		}
		labels[i] = "xn--" + enc
		if len(labels[i]) > 63 {
			return "", errors.New("label too long")
		}
	}
	return strings.Join(labels, "."), nil
}

// punycodeEncode is RFC 3492 section 6.3 with the IDNA parameters.
func punycodeEncode(s string) (string, error) {
	const (
		base, tmin, tmax, skew, damp = 36, 1, 26, 38, 700
		initialBias, initialN        = 72, 128
	)
	runes := []rune(s)
	var out []byte
	for _, r := range runes {
		if r < 0x80 {
			out = append(out, byte(r))
		}
	}
	b := len(out)
	h := b
	if b > 0 {
		out = append(out, '-')
	}
	digit := func(d int) byte {
		if d < 26 {
			return byte('a' + d)
		}
		return byte('0' + d - 26)
	}
	adapt := func(delta, numPoints int, first bool) int {
		if first {
			delta /= damp
		} else {
			delta /= 2
		}
		delta += delta / numPoints
		k := 0
		for delta > ((base-tmin)*tmax)/2 {
			delta /= base - tmin
			k += base
		}
		return k + (base-tmin+1)*delta/(delta+skew)
	}
	n, delta, bias := initialN, 0, initialBias
	for h < len(runes) {
		m := int(unicode.MaxRune) + 1
		for _, r := range runes {
			if int(r) >= n && int(r) < m {
				m = int(r)
			}
		}
		delta += (m - n) * (h + 1)
		n = m
		for _, r := range runes {
			if int(r) < n {
				delta++
			}
			if int(r) != n {
				continue
			}
			q := delta
			for k := base; ; k += base {
				t := k - bias
				if t < tmin {
					t = tmin
				} else if t > tmax {
					t = tmax
				}
				if q < t {
					break
				}
				out = append(out, digit(t+(q-t)%(base-t)))
				q = (q - t) / (base - t)
			}
			out = append(out, digit(q))
			bias = adapt(delta, h+1, h == b)
			delta = 0
			h++
		}
		delta++
		n++
	}
	return string(out), nil
}
