package config

import "fmt"

// Limits of valid_hostname() (RFC 1035).
const (
	maxHostnameLen = 255
	maxLabelLen    = 63
)

// validHostname applies Postfix's valid_hostname() rules (without the
// wildcard option): labels of letters, digits, '_' and inner '-', separated
// by single dots, not all-numeric, at most 63 bytes per label and 255 in
// total. The error text is the warning valid_hostname() logs.
func validHostname(name string) error {
	const me = "valid_hostname"
	if name == "" {
		return fmt.Errorf("%s: empty hostname", me)
	}
	short := name
	if len(short) > 100 {
		short = short[:100]
	}
	labelLen := 0
	nonNumeric := false
	for i := 0; i < len(name); i++ {
		c := name[i]
		next := byte(0)
		if i+1 < len(name) {
			next = name[i+1]
		}
		switch {
		case isAlnum(c) || c == '_':
			labelLen++
			if labelLen > maxLabelLen {
				return fmt.Errorf("%s: hostname label too long: %s", me, short)
			}
			if !isDigit(c) {
				nonNumeric = true
			}
		case c == '.':
			if labelLen == 0 || next == 0 {
				return fmt.Errorf("%s: misplaced delimiter: %s", me, short)
			}
			labelLen = 0
		case c == '-':
			nonNumeric = true
			labelLen++
			if labelLen == 1 || next == 0 || next == '.' {
				return fmt.Errorf("%s: misplaced hyphen: %s", me, short)
			}
		default:
			return fmt.Errorf("%s: invalid character %d(decimal): %s", me, c, short)
		}
	}
	if !nonNumeric {
		return fmt.Errorf("%s: numeric hostname: %s", me, short)
	}
	if len(name) > maxHostnameLen {
		return fmt.Errorf("%s: bad length %d for %s...", me, len(name), short)
	}
	return nil
}
