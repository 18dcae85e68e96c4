package downgrade

import "bytes"

// RecordWriter receives content records: cont=false is a complete line
// (N record), cont=true a fragment whose line goes on in the next record
// (L record). text has no line terminator and is only valid during the
// call. smtpwire.ContentWriter implements it.
type RecordWriter interface {
	WriteRecord(text []byte, cont bool) error
}

// Config holds the stock limits. A zero field means the stock default
// (the stock parameters cannot be below 1).
type Config struct {
	// NestingLimit is mime_nesting_limit: how deep multipart
	// boundaries may nest. Stock allows NestingLimit+2 boundaries on
	// its stack (its level counter starts at -1) and reports an error
	// at the next one.
	NestingLimit int
	// BoundaryLimit is mime_boundary_length_limit: a longer boundary
	// is truncated to this many bytes before it is remembered.
	BoundaryLimit int
	// HeaderSizeLimit is header_size_limit: once a saved header holds
	// this many bytes, further lines and fragments of it are dropped.
	HeaderSizeLimit int
}

// Stock defaults (postconf -d, Postfix 3.7).
const (
	DefaultNestingLimit    = 100
	DefaultBoundaryLimit   = 2048
	DefaultHeaderSizeLimit = 102400
)

// Parser states. The header states differ only in where the header block
// is; the engine treats them alike except for garbage after the primary
// header, see endHeaders.
const (
	statePrimary   = iota // primary message header
	stateMultipart        // header after a --boundary line
	stateNested           // header at the start of message/rfc822 content
	stateBody
)

// Record types as the engine tracks them; recNone stands for "no text
// record before", which stock also uses after flushing a header.
const (
	recNone = iota
	recNorm
	recCont
	recEnd // the end of the content (any non-text record, normally X)
)

// frame is one remembered multipart boundary with the default type of
// its parts.
type frame struct {
	ctype, stype int
	boundary     []byte
}

// Downgrader converts one message content; see the package comment.
// Create it with New; it is not safe for concurrent use.
type Downgrader struct {
	out RecordWriter
	cfg Config

	state    int
	ctype    int // type of the current entity (or its default)
	stype    int
	domain   int     // encoding domain of the current entity
	prevType int     // type of the previous input record
	buf      []byte  // saved header, or the quoted-printable line being built
	stack    []frame // boundaries, innermost last
	nesting  bool    // the nesting limit was exceeded
	err      error   // sticky result: *MIMEError or *WriteError
}

// New returns a Downgrader writing to out. The engine starts in the
// primary header of a text/plain 7bit message, as stock's does.
func New(out RecordWriter, cfg Config) *Downgrader {
	if cfg.NestingLimit <= 0 {
		cfg.NestingLimit = DefaultNestingLimit
	}
	if cfg.BoundaryLimit <= 0 {
		cfg.BoundaryLimit = DefaultBoundaryLimit
	}
	if cfg.HeaderSizeLimit <= 0 {
		cfg.HeaderSizeLimit = DefaultHeaderSizeLimit
	}
	d := &Downgrader{out: out, cfg: cfg}
	d.setEntity(statePrimary, frame{ctype: ctypeText, stype: stypePlain})
	return d
}

// WriteRecord feeds one content record (cont: an L record). It returns
// a *MIMEError once the record made the engine detect a MIME problem
// (the output it caused has been written), a *WriteError when out
// failed, and after either it does nothing but return that error again.
func (d *Downgrader) WriteRecord(text []byte, cont bool) error {
	if d.err != nil {
		return d.err
	}
	typ := recNorm
	if cont {
		typ = recCont
	}
	d.update(typ, text)
	return d.result()
}

// Close ends the content (the X record): it writes what is still
// pending, ending an unterminated last line, and emits the new
// Content-Transfer-Encoding header of an entity whose header block is
// cut off by the end of the message. Errors are as for WriteRecord.
func (d *Downgrader) Close() error {
	if d.err != nil {
		return d.err
	}
	d.update(recEnd, nil)
	return d.result()
}

// Err returns the MIME problem found so far, or nil.
func (d *Downgrader) Err() *MIMEError {
	if me, ok := d.err.(*MIMEError); ok {
		return me
	}
	return nil
}

func (d *Downgrader) result() error {
	if d.err == nil && d.nesting {
		d.err = errNesting()
	}
	return d.err
}

// update is mime_state_update() for one record.
func (d *Downgrader) update(typ int, text []byte) {
	isText := typ != recEnd
	// A pending line fragment is ended before anything else happens.
	if !isText && d.prevType == recCont {
		d.update(recNorm, nil)
	}
	if d.state != stateBody {
		if len(d.buf) > 0 {
			if isText && d.continueHeader(text) {
				d.prevType = typ
				return
			}
			d.flushHeader()
			d.prevType = recNone
		}
		if isText {
			if n := headerNameLen(text); n > 0 {
				d.startHeader(text, n)
				d.prevType = typ
				return
			}
		}
		d.endHeaders(isText, text)
	}
	// The record that ended a header block is body text of the new
	// state (stock falls through into its body case).
	if isText {
		d.body(typ, text)
	}
	d.prevType = typ
}

// flushHeader interprets and writes the saved header. A
// Content-Transfer-Encoding header is held back (dropped) when it puts
// the entity in the 8bit or binary domain: endHeaders writes the right
// one once the Content-Type is known too.
func (d *Downgrader) flushHeader() {
	if v := headerValue(d.buf, "content-type"); v != nil {
		d.contentType(v)
	} else if v := headerValue(d.buf, "content-transfer-encoding"); v != nil {
		d.transferEncoding(v)
		if d.domain != enc7bit {
			d.buf = d.buf[:0]
			return
		}
	}
	// smtp_header_out: one line per embedded newline.
	for line := range bytes.SplitSeq(d.buf, []byte{'\n'}) {
		d.emit(line, false)
	}
	d.buf = d.buf[:0]
}

// endHeaders handles the end of a header block, caused by text (an
// empty line, or a line that is no header) or by the end of the content.
func (d *Downgrader) endHeaders(isText bool, text []byte) {
	if d.domain != enc7bit {
		cte := "quoted-printable"
		if (d.ctype == ctypeMessage && d.stype != stypeGlobal) || d.ctype == ctypeMultipart {
			cte = "7bit"
		}
		d.emit([]byte("Content-Transfer-Encoding: "+cte), false)
	}
	switch {
	case !isText:
		d.state = stateBody
	case len(text) == 0:
		d.enterBody()
	default:
		// Not a header: the block ends without its empty line. Only
		// the primary header gets one inserted; stock leaves
		// attachments alone so as not to break signatures.
		if d.state == statePrimary {
			d.emit(nil, false)
		}
		d.state = stateBody
	}
}

// enterBody picks what follows a header block's empty line.
func (d *Downgrader) enterBody() {
	switch {
	case d.ctype == ctypeMessage && d.stype == stypeRFC822,
		// An encoded message/global is not looked into.
		d.ctype == ctypeMessage && d.stype == stypeGlobal && d.domain == enc7bit:
		d.setEntity(stateNested, frame{ctype: ctypeText, stype: stypePlain})
	case d.ctype == ctypeMultipart:
		// The preamble: nothing to convert.
		d.setEntity(stateBody, frame{ctype: ctypeOther, stype: stypeOther})
	default:
		d.state = stateBody
	}
}

// setEntity starts a new entity with a default type and the 7bit domain.
func (d *Downgrader) setEntity(state int, def frame) {
	d.state, d.ctype, d.stype, d.domain = state, def.ctype, def.stype, enc7bit
}

// push remembers a multipart boundary, or notes a nesting error instead.
func (d *Downgrader) push(def frame, boundary []byte) {
	// Stock's level counter is len(stack)-1 and starts at -1.
	if len(d.stack)-1 > d.cfg.NestingLimit {
		d.nesting = true
		return
	}
	if len(boundary) > d.cfg.BoundaryLimit {
		boundary = boundary[:d.cfg.BoundaryLimit]
	}
	def.boundary = append([]byte(nil), boundary...)
	d.stack = append(d.stack, def)
}

// body handles one body record: boundary detection, then output,
// converted if the entity is in the 8bit or binary domain.
func (d *Downgrader) body(typ int, text []byte) {
	// A boundary line starts a record that starts a line.
	if len(d.stack) > 0 && d.prevType != recCont && len(text) > 2 && text[0] == '-' && text[1] == '-' {
		d.matchBoundary(text[2:])
	}
	if d.domain != enc7bit {
		d.quotedPrintable(typ, text)
		return
	}
	d.emit(text, typ == recCont)
}

// matchBoundary checks rest (the line after "--") against the
// boundaries, innermost first. Anything may follow the boundary
// (it may have been truncated, and some MUAs add cruft). A match closes
// the inner levels; "--" after the boundary closes its own level too.
func (d *Downgrader) matchBoundary(rest []byte) {
	for i := len(d.stack) - 1; i >= 0; i-- {
		f := d.stack[i]
		if !bytes.HasPrefix(rest, f.boundary) {
			continue
		}
		d.stack = d.stack[:i+1]
		if bytes.HasPrefix(rest[len(f.boundary):], []byte("--")) {
			d.stack = d.stack[:i]
			d.setEntity(stateBody, frame{ctype: ctypeOther, stype: stypeOther})
		} else {
			d.setEntity(stateMultipart, f)
		}
		return
	}
}

// emit writes one output record; after a failure it does nothing.
func (d *Downgrader) emit(text []byte, cont bool) {
	if d.err != nil {
		return
	}
	if err := d.out.WriteRecord(text, cont); err != nil {
		d.err = &WriteError{Err: err}
	}
}
