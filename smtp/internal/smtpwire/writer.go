package smtpwire

import (
	"io"
	"strconv"
	"strings"
)

// DefaultSMTPLineLimit is smtp_line_length_limit's default.
const DefaultSMTPLineLimit = 998

// WriteCommand writes one command line followed by CRLF, as
// smtp_chat_cmd(). Long commands are not broken. The caller buffers (the
// pipelining engine needs to know how much is pending) and sets the write
// deadline. A command containing CR, LF or NUL is refused with
// ErrBadCommand; stock Postfix never builds one.
func WriteCommand(w io.Writer, cmd string) error {
	if strings.ContainsAny(cmd, "\r\n\x00") {
		return ErrBadCommand
	}
	// One write for command and CRLF: fewer calls through a TLS or
	// unbuffered writer, same bytes.
	b := make([]byte, 0, len(cmd)+2)
	b = append(b, cmd...)
	b = append(b, "\r\n"...)
	_, err := w.Write(b)
	return ioError("write", err)
}

// ContentWriter writes message content after the 354 reply exactly like
// smtp_text_out() and the end of smtp_loop()'s DOT state: dot-stuffing,
// folding of long lines at smtp_line_length_limit with "<CR><LF>SPACE",
// a CRLF after an unterminated last line, and the "." line.
//
// Content comes either as queue-file text records (WriteRecord: N = line,
// L = line continues) or as raw text (Write, io.Writer). The two can be
// mixed. The first write error sticks: later calls return it without
// writing, as smtp_stream.c disables writes after an error.
type ContentWriter struct {
	w         io.Writer
	limit     int  // smtp_line_length_limit; <= 0: no folding
	spaceLeft int  // room left on the current output line
	prevCont  bool // the last record was L (line not terminated yet)
	folded    bool
	err       error
	// Write holds back the end of an unterminated line so that a
	// partial line is never passed on as an L record that might end
	// exactly at the fold boundary: smtp_text_out() folds eagerly after
	// such a record, which must happen only when the line goes on.
	held  [2]byte
	nheld int
}

// NewContentWriter returns a writer folding at lineLimit
// (smtp_line_length_limit; 0 or negative: never fold). Wrap the connection
// in a bufio.Writer: many writes are small.
//
// lineLimit 1 is treated as 2: with 1 the fold's leading space already
// fills the line and stock smtp loops forever writing "\r\n ".
func NewContentWriter(w io.Writer, lineLimit int) *ContentWriter {
	if lineLimit == 1 {
		lineLimit = 2
	}
	return &ContentWriter{w: w, limit: lineLimit, spaceLeft: lineLimit}
}

// Folded reports whether a line was broken. Stock smtp logs
// FoldNotice once per delivery request at the first fold.
func (c *ContentWriter) Folded() bool { return c.folded }

// FoldNotice is the stock info text for Folded.
func (c *ContentWriter) FoldNotice(queueID string) string {
	return queueID + ": breaking line > " + strconv.Itoa(c.limit) + " bytes with <CR><LF>SPACE"
}

// WriteRecord writes one content record: cont=false is an N record (the
// text ends a line), cont=true an L record (the line continues in the next
// record). text carries no line terminator.
func (c *ContentWriter) WriteRecord(text []byte, cont bool) error {
	if c.err != nil {
		return c.err
	}
	if err := c.flushHeld(); err != nil {
		return err
	}
	return c.record(text, cont)
}

// Write writes raw message text. LF ends a line and a CR right before it
// is dropped (CRLF and bare LF both end a line); other CRs are content.
// The output does not depend on how the text is split across calls.
func (c *ContentWriter) Write(p []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	total := len(p)
	for {
		i := indexLF(p)
		if i < 0 {
			break
		}
		if err := c.endLine(p[:i]); err != nil {
			return 0, err
		}
		p = p[i+1:]
	}
	if err := c.partial(p); err != nil {
		return 0, err
	}
	return total, nil
}

// endLine writes the held bytes and seg, the rest of a line whose LF was
// seen, as records.
func (c *ContentWriter) endLine(seg []byte) error {
	if len(seg) >= 2 || (len(seg) == 1 && seg[0] != '\r') {
		// seg keeps at least one byte after dropping the CR, so the
		// held bytes are followed by more of the line.
		if err := c.flushHeld(); err != nil {
			return err
		}
		return c.record(trimOneCR(seg), false)
	}
	// At most three bytes: join them so no L record precedes an empty
	// N record.
	var b [3]byte
	n := copy(b[:], c.held[:c.nheld])
	n += copy(b[n:], seg)
	c.nheld = 0
	return c.record(trimOneCR(b[:n]), false)
}

// partial handles text without LF. It holds back the last byte, or the
// last two when the last is a CR that may turn out to be part of a CRLF,
// so that whatever is passed on as an L record is certainly followed by
// more content of the same line.
func (c *ContentWriter) partial(p []byte) error {
	if len(p) == 0 {
		return nil
	}
	if len(p) == 1 {
		var b [3]byte
		n := copy(b[:], c.held[:c.nheld])
		n += copy(b[n:], p)
		k := holdCount(b[:n])
		c.nheld = copy(c.held[:], b[n-k:n])
		if n > k {
			return c.record(b[:n-k], true)
		}
		return nil
	}
	if err := c.flushHeld(); err != nil {
		return err
	}
	k := holdCount(p)
	if len(p) > k {
		if err := c.record(p[:len(p)-k], true); err != nil {
			return err
		}
	}
	c.nheld = copy(c.held[:], p[len(p)-k:])
	return nil
}

// holdCount is how many trailing bytes of b partial keeps back.
func holdCount(b []byte) int {
	if len(b) >= 2 && b[len(b)-1] == '\r' {
		return 2
	}
	return 1
}

// flushHeld passes the held bytes on as an L record.
func (c *ContentWriter) flushHeld() error {
	if c.nheld == 0 {
		return nil
	}
	n := c.nheld
	c.nheld = 0
	return c.record(c.held[:n], true)
}

func trimOneCR(b []byte) []byte {
	if len(b) > 0 && b[len(b)-1] == '\r' {
		return b[:len(b)-1]
	}
	return b
}

// EndContent terminates an unterminated last line with CRLF, as
// smtp_loop() does after the last record when that was an L record. Call
// it before the delay of the PIX delay_dotcrlf workaround; Close does it
// otherwise.
func (c *ContentWriter) EndContent() error {
	if c.err != nil {
		return c.err
	}
	if err := c.flushHeld(); err != nil {
		return err
	}
	if c.prevCont {
		c.prevCont = false
		c.spaceLeft = c.limit
		return c.putString("\r\n")
	}
	return nil
}

// Close ends the content: EndContent, then the "." line. It does not
// close or flush the underlying writer.
func (c *ContentWriter) Close() error {
	if err := c.EndContent(); err != nil {
		return err
	}
	return c.putString(".\r\n")
}

// record is smtp_text_out() for one record. spaceLeft counts the bytes of
// the original text that still fit on the current output line; it equals
// limit only at the start of a line, which is also where a leading "."
// is doubled. The stuffed dot does not count against the limit, the fold
// space does. A record that reaches the limit exactly ends the output
// line; if it is an L record a fold follows at once, even when the next
// record turns out to be empty.
func (c *ContentWriter) record(text []byte, cont bool) error {
	c.prevCont = cont
	for {
		if c.spaceLeft == c.limit && len(text) > 0 && text[0] == '.' {
			if err := c.putString("."); err != nil {
				return err
			}
		}
		if c.limit > 0 && len(text) >= c.spaceLeft {
			if err := c.put(text[:c.spaceLeft]); err != nil {
				return err
			}
			if err := c.putString("\r\n"); err != nil {
				return err
			}
			text = text[c.spaceLeft:]
			c.spaceLeft = c.limit
			if len(text) > 0 || cont {
				if err := c.putString(" "); err != nil {
					return err
				}
				c.spaceLeft--
				c.folded = true
			}
			if len(text) == 0 {
				return nil
			}
			continue
		}
		if cont {
			c.spaceLeft -= len(text)
			return c.put(text)
		}
		c.spaceLeft = c.limit
		if err := c.put(text); err != nil {
			return err
		}
		return c.putString("\r\n")
	}
}

// put and putString write and make the first error sticky.
func (c *ContentWriter) put(b []byte) error {
	if len(b) == 0 {
		return nil
	}
	if _, err := c.w.Write(b); err != nil {
		c.err = ioError("write", err)
		return c.err
	}
	return nil
}

func (c *ContentWriter) putString(s string) error {
	if _, err := io.WriteString(c.w, s); err != nil {
		c.err = ioError("write", err)
		return c.err
	}
	return nil
}

func indexLF(p []byte) int {
	for i, b := range p {
		if b == '\n' {
			return i
		}
	}
	return -1
}
