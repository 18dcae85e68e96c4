package downgrade

import (
	"fmt"
	"strings"
	"testing"
)

// TestTokenizer pins header_token() behaviour the engine relies on.
func TestTokenizer(t *testing.T) {
	tests := []struct {
		in, specials string
		term         byte
		max          int
		want         string // groups, each "n:tok|tok"
	}{
		{"multipart/mixed; boundary=\"a b\"", tspecials2045, ';', 3, `3:multipart|/|mixed 3:boundary|=|"a b" -1:`},
		{" (c (nested) \\) ) text / plain (x)", tspecials2045, ';', 3, "3:text|/|plain -1:"},
		{"; ;x", tspecials2045, ';', 3, "0: 0: 1:x -1:"},
		{"", tspecials2045, ';', 3, "-1:"},
		{"a b c d e", tspecials2045, ';', 3, "3:a|b|c -1:"},
		{"\"a \n\tb\\\"c", tspecials2045, ';', 3, "1:\"a\tb\"c\" -1:"},
		{"\x01x\x7fy\xe9", tspecials2045, ';', 5, "4:\x01|x|\x7f|y\xe9 -1:"},
		{"quoted.printable", specials822, 0, 1, "1:quoted 1:. 1:printable -1:"},
	}
	for _, tc := range tests {
		z := tokenizer{s: []byte(tc.in), specials: tc.specials, term: tc.term, max: tc.max}
		var groups []string
		for range 10 {
			n := z.next()
			var toks []string
			for _, tk := range z.toks {
				if tk.kind == tokQString {
					toks = append(toks, `"`+string(tk.value)+`"`)
				} else {
					toks = append(toks, string(tk.value))
				}
			}
			groups = append(groups, fmt.Sprintf("%d:%s", n, strings.Join(toks, "|")))
			if n < 0 {
				break
			}
		}
		if got := strings.Join(groups, " "); got != tc.want {
			t.Errorf("%q: got %q, want %q", tc.in, got, tc.want)
		}
	}
}
