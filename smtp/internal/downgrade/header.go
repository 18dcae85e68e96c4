package downgrade

import "bytes"

// Content types and subtypes the engine distinguishes.
const (
	ctypeOther = iota
	ctypeText
	ctypeMessage
	ctypeMultipart
)

const (
	stypeOther = iota
	stypePlain
	stypeRFC822
	stypePartial
	stypeExternalBody
	stypeGlobal
)

// Encodings. Only the domain matters for conversion: an entity is
// converted when its domain is 8bit or binary. quoted-printable and
// base64 are 7bit-domain encodings.
const (
	enc7bit = iota
	enc8bit
	encBinary
)

// headerNameLen is is_header_buf(): the length of the header name when
// text can start a header ("name:" or the obsolete "name :"), else 0.
// The name is printable ASCII without space or colon; blanks may follow
// it before the colon, nothing else.
func headerNameLen(text []byte) int {
	n := 0
	blanks := false
	for _, c := range text {
		switch {
		case c == ':':
			return n
		case c == ' ' || c == '\t':
			if n == 0 {
				return 0
			}
			blanks = true
		case c == 0 || c >= 0x80 || isCntrl(c) || blanks:
			return 0
		default:
			n++
		}
	}
	return 0
}

// appendText appends text up to its first NUL byte. Stock keeps headers
// in C strings (vstring_strncat), so a NUL ends what is kept of each
// record; keeping headers NUL-free also keeps the tokenizer simple.
func appendText(dst, text []byte) []byte {
	if i := bytes.IndexByte(text, 0); i >= 0 {
		text = text[:i]
	}
	return append(dst, text...)
}

// startHeader saves the first record of a header whose name is n bytes
// long, dropping blanks between name and colon: stock normalizes
// "name :" to "name:".
func (d *Downgrader) startHeader(text []byte, n int) {
	d.buf = append(d.buf[:0], text[:n]...)
	rest := text[n:]
	for len(rest) > 0 && (rest[0] == ' ' || rest[0] == '\t') {
		rest = rest[1:]
	}
	d.buf = appendText(d.buf, rest)
}

// continueHeader appends text to the saved header if it belongs to it:
// the rest of a line that came in an L record, or a folded line starting
// with a blank. Text beyond header_size_limit is dropped without
// notice; stock smtp does not ask for MIME_ERR_TRUNC_HEADER reports.
func (d *Downgrader) continueHeader(text []byte) bool {
	folded := len(text) > 0 && (text[0] == ' ' || text[0] == '\t')
	if d.prevType != recCont && !folded {
		return false
	}
	if len(d.buf) < d.cfg.HeaderSizeLimit {
		if d.prevType != recCont {
			d.buf = append(d.buf, '\n')
		}
		d.buf = appendText(d.buf, text)
	}
	return true
}

// headerValue returns the text after "name:" when the saved header is
// named name (ASCII case-insensitive), else nil.
func headerValue(h []byte, name string) []byte {
	if len(h) <= len(name) || h[len(name)] != ':' {
		return nil
	}
	if !(token{kind: tokAtom, value: h[:len(name)]}).is(name) {
		return nil
	}
	return h[len(name)+1:]
}

// contentType updates the entity type from a Content-Type value and
// pushes each boundary parameter of a multipart type.
func (d *Downgrader) contentType(v []byte) {
	z := tokenizer{s: v, specials: tspecials2045, term: ';', max: 3}
	n := z.next()
	if n <= 0 {
		// An empty type: stock sets "other" and keeps the subtype.
		d.ctype = ctypeOther
		return
	}
	t := z.toks
	sub := func(s string) bool { return n >= 3 && t[1].kind == '/' && t[2].is(s) }
	switch {
	case t[0].is("text"):
		d.ctype, d.stype = ctypeText, stypeOther
		if sub("plain") {
			d.stype = stypePlain
		}
	case t[0].is("message"):
		d.ctype, d.stype = ctypeMessage, stypeOther
		switch {
		case sub("rfc822"):
			d.stype = stypeRFC822
		case sub("partial"):
			d.stype = stypePartial
		case sub("external-body"):
			d.stype = stypeExternalBody
		case sub("global"):
			d.stype = stypeGlobal
		}
	case t[0].is("multipart"):
		d.ctype = ctypeMultipart
		// The parts of multipart/digest default to message/rfc822.
		def := frame{ctype: ctypeText, stype: stypePlain}
		if sub("digest") {
			def = frame{ctype: ctypeMessage, stype: stypeRFC822}
		}
		// Every boundary parameter counts, as in stock: a sender
		// that hides parts behind a second boundary still gets its
		// headers parsed. The value's kind (word, quoted string,
		// even a special) does not matter.
		for z.next() >= 0 {
			if len(z.toks) >= 3 && z.toks[0].is("boundary") && z.toks[1].kind == '=' {
				d.push(def, z.toks[2].value)
			}
		}
	default:
		// Some other known-syntax type (application/..., or a quoted
		// string): stock leaves type and subtype as they were.
	}
}

// transferEncoding updates the encoding domain from a
// Content-Transfer-Encoding value. An unknown value leaves it alone.
func (d *Downgrader) transferEncoding(v []byte) {
	z := tokenizer{s: v, specials: specials822, max: 1}
	if z.next() <= 0 || z.toks[0].kind != tokAtom {
		return
	}
	switch t := z.toks[0]; {
	case t.is("7bit"), t.is("base64"), t.is("quoted-printable"):
		d.domain = enc7bit
	case t.is("8bit"):
		d.domain = enc8bit
	case t.is("binary"):
		d.domain = encBinary
	}
}
