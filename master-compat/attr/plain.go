package attr

import (
	"fmt"
	"strings"
)

// EncodePlain renders attributes in Postfix's plain encoding: one
// "name=value\n" line each and an empty line at the end. smtp(8) stores
// cached-session properties in this form. A value cannot contain a line
// feed, so one is cut at the first LF, as the encoding has no escape.
func EncodePlain(attrs []Attr) string {
	var b strings.Builder
	for _, a := range attrs {
		v := a.Value
		if i := strings.IndexByte(v, '\n'); i >= 0 {
			v = v[:i]
		}
		b.WriteString(a.Name)
		b.WriteByte('=')
		b.WriteString(v)
		b.WriteByte('\n')
	}
	b.WriteByte('\n')
	return b.String()
}

// ParsePlain decodes one plain-encoded list from the start of s and returns
// the attributes and whatever follows the list terminator (smtp appends a
// second list, the TLS context, after the endpoint properties).
// Group markers ("{\0" and "}\0" lines) are accepted and skipped.
func ParsePlain(s string) (attrs []Attr, rest string, err error) {
	for {
		nl := strings.IndexByte(s, '\n')
		if nl < 0 {
			return attrs, "", fmt.Errorf("plain attribute list: premature end-of-input")
		}
		line := s[:nl]
		s = s[nl+1:]
		switch {
		case line == "":
			return attrs, s, nil
		case line == "{\x00" || line == "}\x00" || line == "{" || line == "}":
			continue
		}
		eq := strings.IndexByte(line, '=')
		if eq < 0 {
			return attrs, s, fmt.Errorf("missing value for attribute %q", line)
		}
		attrs = append(attrs, Attr{Name: line[:eq], Value: line[eq+1:]})
	}
}
