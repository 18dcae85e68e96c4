package downgrade

import "bytes"

// Token kinds. A special character or a control character is a token of
// its own whose kind is the character itself (0..255); words and quoted
// strings get kinds outside the byte range.
const (
	tokAtom    = 256 + iota // run of ordinary characters
	tokQString              // "quoted string", quotes and backslashes removed
)

// Specials for the two headers the engine parses: RFC 2045 tspecials for
// Content-Type, RFC 822 specials for Content-Transfer-Encoding.
const (
	tspecials2045 = "()<>@,;:\\\"/[]?="
	specials822   = "()<>@,;:\\\".[]"
)

type token struct {
	kind  int
	value []byte
}

// is reports whether t is a word equal to s, ignoring ASCII case only
// (stock uses strcasecmp in the C locale; Unicode folding would let
// e.g. the Kelvin sign match "k").
func (t token) is(s string) bool {
	if t.kind != tokAtom || len(t.value) != len(s) {
		return false
	}
	for i := range len(s) {
		if lowerASCII(t.value[i]) != lowerASCII(s[i]) {
			return false
		}
	}
	return true
}

func lowerASCII(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

func isSpaceTabCRLF(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

// isCntrl is ISCNTRL(): ASCII control characters only, so 8-bit bytes
// are word characters.
func isCntrl(c byte) bool { return c < 32 || c == 127 }

// tokenizer splits header text the way header_token() does: white space
// and (nested) comments are skipped, quoted strings are unquoted (and
// unfolded), specials and controls stand alone, everything else forms
// words. With a terminator the text is consumed up to and including the
// next unquoted terminator; tokens beyond max are parsed but dropped.
type tokenizer struct {
	s        []byte // header value; never holds NUL (see appendText)
	pos      int
	specials string
	term     byte // 0: none; stop after max tokens instead
	max      int
	toks     []token
}

// next parses one group. It returns the number of stored tokens, or -1
// at the end of the text when the group is empty (header_token's "no
// more items" result).
func (z *tokenizer) next() int {
	z.toks = z.toks[:0]
	hitTerm := false
	for z.pos < len(z.s) && (z.term != 0 || len(z.toks) < z.max) {
		c := z.s[z.pos]
		z.pos++
		switch {
		case isSpaceTabCRLF(c):
		case z.term != 0 && c == z.term:
			hitTerm = true
		case c == '(':
			z.skipComment()
		case c == '"':
			z.quoted()
		case bytes.IndexByte([]byte(z.specials), c) >= 0 || isCntrl(c):
			z.add(token{kind: int(c), value: []byte{c}})
		default:
			start := z.pos - 1
			for z.pos < len(z.s) && !z.ends(z.s[z.pos]) {
				z.pos++
			}
			z.add(token{kind: tokAtom, value: z.s[start:z.pos]})
		}
		if hitTerm {
			break
		}
	}
	if len(z.toks) == 0 && !hitTerm && z.pos >= len(z.s) {
		return -1
	}
	return len(z.toks)
}

func (z *tokenizer) ends(c byte) bool {
	return isSpaceTabCRLF(c) || isCntrl(c) || bytes.IndexByte([]byte(z.specials), c) >= 0
}

func (z *tokenizer) add(t token) {
	if len(z.toks) < z.max {
		z.toks = append(z.toks, t)
	}
}

// skipComment skips to the ")" that closes the comment opened just
// before pos; comments nest and a backslash quotes the next character.
func (z *tokenizer) skipComment() {
	level := 1
	for z.pos < len(z.s) {
		c := z.s[z.pos]
		z.pos++
		switch c {
		case '(':
			level++
		case ')':
			if level--; level == 0 {
				return
			}
		case '\\':
			if z.pos >= len(z.s) {
				return
			}
			z.pos++
		}
	}
}

// quoted reads a quoted string whose opening quote was just consumed. A
// backslash quotes the next character. A newline (a folded header) is
// dropped together with the white space before it, but the white space
// after it is kept, as header_token() does.
func (z *tokenizer) quoted() {
	var v []byte
	for z.pos < len(z.s) {
		c := z.s[z.pos]
		z.pos++
		if c == '"' {
			break
		}
		if c == '\n' {
			v = bytes.TrimRight(v, " \t\r\n")
			continue
		}
		if c == '\\' {
			if z.pos >= len(z.s) {
				break
			}
			c = z.s[z.pos]
			z.pos++
		}
		v = append(v, c)
	}
	z.add(token{kind: tokQString, value: v})
}
