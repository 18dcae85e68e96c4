package config

import (
	"fmt"
	"strings"
)

// ListSeparators are the separators of list-valued parameters
// (CHARS_COMMA_SP).
const ListSeparators = ", \t\r\n"

// SplitList splits a list-valued parameter like mail_parm_split(), the
// parser behind match lists, map lists and restriction lists: elements
// are separated by ListSeparators (empty elements vanish), and an
// element that starts with '{' extends to the matching '}' and may hold
// separators; its braces and the whitespace just inside them are
// removed. name is used in the error, e.g.
// `NAME: missing '}' in "{a b"`.
func SplitList(name, value string) ([]string, error) {
	var out []string
	rest := value
	for {
		tok, more, ok := nextGroupedToken(rest, ListSeparators)
		if !ok {
			return out, nil
		}
		rest = more
		if tok[0] == '{' {
			inner, err := stripBraces(tok)
			if err != nil {
				return out, fmt.Errorf("%s: %s", name, err)
			}
			tok = inner
		}
		out = append(out, tok)
	}
}

// nextGroupedToken is mystrtokq(): skip separators, then take bytes up
// to a separator that is outside {} (a '}' without an open '{' is plain
// text).
func nextGroupedToken(s, sep string) (tok, rest string, ok bool) {
	s = s[spanAny(s, sep):]
	if s == "" {
		return "", "", false
	}
	level := 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '{':
			level++
		case level > 0 && c == '}':
			level--
		case level == 0 && strings.IndexByte(sep, c) >= 0:
			return s[:i], s[i+1:], true
		}
	}
	return s, "", true
}

// stripBraces is extpar() with EXTPAR_FLAG_STRIP for a token starting
// with '{': the text inside the balancing '}', trimmed of whitespace.
func stripBraces(tok string) (string, error) {
	level := 0
	end := -1
	for i := 0; i < len(tok) && end < 0; i++ {
		switch tok[i] {
		case '{':
			level++
		case '}':
			if level--; level == 0 {
				end = i
			}
		}
	}
	if end < 0 {
		return "", fmt.Errorf("missing '}' in \"%s\"", tok)
	}
	if end != len(tok)-1 {
		return "", fmt.Errorf("syntax error after '}' in \"%s\"", tok)
	}
	return trimCSpace(tok[1:end]), nil
}

// SplitFields splits s at any byte of sep, dropping empty fields, like
// Postfix's mystrtok() loops (no {} grouping). Use it for the lists that
// Postfix parses without grouping, e.g. inet_interfaces (sep " \t,").
func SplitFields(s, sep string) []string {
	var out []string
	for {
		s = s[spanAny(s, sep):]
		if s == "" {
			return out
		}
		n := len(s)
		for i := 0; i < len(s); i++ {
			if strings.IndexByte(sep, s[i]) >= 0 {
				n = i
				break
			}
		}
		out = append(out, s[:n])
		if n == len(s) {
			return out
		}
		s = s[n+1:]
	}
}
