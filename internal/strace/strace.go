// Package strace decodes the string notation of strace(1) output, in
// which the project's transcripts of the stock Postfix daemons are
// recorded (see the testdata of smtp/internal/smtpwire and
// smtp/internal/agent). It is test support: nothing at run time uses it.
package strace

import (
	"fmt"
	"strconv"
)

// Unquote decodes the text between the double quotes of a string
// argument: C escapes (\n, \r, \t, \v, \f, \\, \"), \xHH and octal
// escapes of up to three digits (strace writes "\0" followed by a digit
// as "\000").
func Unquote(s []byte) ([]byte, error) {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' {
			out = append(out, s[i])
			continue
		}
		i++
		if i == len(s) {
			return nil, fmt.Errorf("strace: string ends in a backslash: %q", s)
		}
		switch c := s[i]; c {
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'v':
			out = append(out, '\v')
		case 'f':
			out = append(out, '\f')
		case '\\', '"':
			out = append(out, c)
		case 'x':
			if i+3 > len(s) {
				return nil, fmt.Errorf("strace: short \\x escape in %q", s)
			}
			v, err := strconv.ParseUint(string(s[i+1:i+3]), 16, 8)
			if err != nil {
				return nil, fmt.Errorf("strace: bad \\x escape in %q", s)
			}
			out = append(out, byte(v))
			i += 2
		default:
			if c < '0' || c > '7' {
				return nil, fmt.Errorf("strace: unknown escape \\%c in %q", c, s)
			}
			v, j := 0, i
			for j < len(s) && j < i+3 && s[j] >= '0' && s[j] <= '7' {
				v = v*8 + int(s[j]-'0')
				j++
			}
			out = append(out, byte(v))
			i = j - 1
		}
	}
	return out, nil
}
