package smtpwire

import (
	"bufio"
	"strconv"
	"strings"
)

// Defaults for ReadOptions.
const (
	// DefaultLineLimit is line_length_limit's default.
	DefaultLineLimit = 2048
	// DefaultMaxReplyBytes bounds the bytes one reply may consume from
	// the connection, skipped overlong line tails included. Legitimate
	// replies are a few kilobytes at most.
	DefaultMaxReplyBytes = 1 << 20
	// DefaultMaxReplyLines bounds the lines of one reply. EHLO replies,
	// the longest legitimate ones, have a few dozen.
	DefaultMaxReplyLines = 1000
)

// ReadOptions configure ReadReply. The zero value means stock defaults.
type ReadOptions struct {
	// LineLimit is line_length_limit: the longest line kept (longer
	// ones are cut and the rest of the line skipped) and the length of
	// stored multi-line text after which further lines are dropped.
	// Zero or negative means DefaultLineLimit.
	LineLimit int
	// DisableUTF8 is smtputf8_enable=no: printable() then replaces every
	// non-ASCII byte instead of keeping UTF-8-looking sequences.
	DisableUTF8 bool
	// Filter is smtp_reply_filter: called for every sanitised line
	// before it is parsed. found=true replaces the line with
	// replacement (not sanitised, as in Postfix); a non-nil err makes
	// ReadReply fail with *FilterError.
	Filter func(line string) (replacement string, found bool, err error)
	// Event, if set, receives what stock smtp logs while reading, at the
	// point where it logs it. See EventKind.
	Event func(Event)
	// MaxBytes and MaxLines are this package's hard limits on one
	// reply (not in Postfix); zero or negative means the defaults.
	MaxBytes int64
	MaxLines int
}

// EventKind says which stock log line an Event stands for.
type EventKind int

const (
	// EventLongLine: a line exceeded LineLimit and was cut. Stock:
	// warning "%s: response longer than %d: %.30s...".
	EventLongLine EventKind = iota + 1
	// EventLongReply: the stored text reached LineLimit; this and later
	// lines are dropped. Logged once per reply. Stock: warning
	// "%s: multi-line response longer than %d %.30s...".
	EventLongReply
	// EventReplaced: smtp_reply_filter replaced a line. Stock: info
	// "%s: replacing server reply \"%s\" with \"%s\"".
	EventReplaced
	// EventNonProtocol: a line without a valid reply code. Stock logs
	// "%s: non-%s response from %s: %.100s" (and, with
	// helpful_warnings, a hint to turn off pipelining) only when the
	// session has PIPELINING; the caller decides.
	EventNonProtocol
)

// Event is one thing stock smtp logs while reading a reply.
type Event struct {
	Kind EventKind
	// Line is the sanitised line (EventLongLine: the cut line), the
	// stored text so far (EventLongReply), the original line
	// (EventReplaced) or the line after any replacement
	// (EventNonProtocol).
	Line string
	// Replacement is the filter's result (EventReplaced only).
	Replacement string
	// Limit is the LineLimit in force.
	Limit int
}

// LogText renders the event as stock smtp logs it. namaddrport is
// "host[addr]:port"; queueID and lmtp are used by EventNonProtocol only.
func (e Event) LogText(queueID, namaddrport string, lmtp bool) string {
	switch e.Kind {
	case EventLongLine:
		return namaddrport + ": response longer than " + strconv.Itoa(e.Limit) + ": " + cTrunc(e.Line, 30) + "..."
	case EventLongReply:
		return namaddrport + ": multi-line response longer than " + strconv.Itoa(e.Limit) + " " + cTrunc(e.Line, 30) + "..."
	case EventReplaced:
		return namaddrport + ": replacing server reply \"" + e.Line + "\" with \"" + e.Replacement + "\""
	case EventNonProtocol:
		mode := "ESMTP"
		if lmtp {
			mode = "LMTP"
		}
		return queueID + ": non-" + mode + " response from " + namaddrport + ": " + cTrunc(e.Line, 100)
	}
	return ""
}

// ReadReply reads one complete reply from br, as smtp_chat_resp().
//
// Lines end with LF; CRs before it are dropped. A line whose first three
// characters are digits followed by "-" continues the reply; followed by a
// space or nothing it ends it. Any other line is "garbage": it is kept in
// the text, sets ProtocolError, and reading continues. Code and Status come
// from the last line. On error no Reply is returned; errors are *IOError
// (possibly wrapping ErrReplyTooLong) or *FilterError.
func ReadReply(br *bufio.Reader, opt *ReadOptions) (Reply, error) {
	var o ReadOptions
	if opt != nil {
		o = *opt
	}
	if o.LineLimit <= 0 {
		o.LineLimit = DefaultLineLimit
	}
	if o.MaxBytes <= 0 {
		o.MaxBytes = DefaultMaxReplyBytes
	}
	if o.MaxLines <= 0 {
		o.MaxLines = DefaultMaxReplyLines
	}
	lr := lineReader{br: br, limit: o.LineLimit, budget: o.MaxBytes}
	var (
		r    Reply
		text strings.Builder
		line string
	)
	for nlines := 1; ; nlines++ {
		if nlines > o.MaxLines {
			return Reply{}, &IOError{Op: "read", Err: ErrReplyTooLong}
		}
		raw, long, err := lr.next()
		if err != nil {
			return Reply{}, err
		}
		line = printable(cutAtNUL(raw), !o.DisableUTF8)
		if long {
			r.Truncated = true
			o.emit(Event{Kind: EventLongLine, Line: line})
		}

		// Decided before the filter runs, as in Postfix: the cap is on
		// what was stored so far, so the text can exceed the limit by
		// one line.
		store := text.Len() < o.LineLimit
		if !store {
			if r.Dropped == 0 {
				o.emit(Event{Kind: EventLongReply, Line: text.String()})
			}
			r.Dropped++
		}

		received := line
		if o.Filter != nil {
			repl, found, ferr := o.Filter(line)
			if ferr != nil {
				return Reply{}, &FilterError{Line: line, Err: ferr}
			}
			if found {
				o.emit(Event{Kind: EventReplaced, Line: line, Replacement: repl})
				line = repl
			}
		}
		if store {
			if text.Len() > 0 {
				text.WriteByte('\n')
			}
			text.WriteString(line)
			r.Lines = append(r.Lines, line)
			r.Received = append(r.Received, received)
		}

		if len(line) >= 3 && countDigits(line) == 3 {
			if line[3:] == "" || line[3] == ' ' {
				break
			}
			if line[3] == '-' {
				continue
			}
		}
		// Not a reply line. Keep reading: stopping here would pair the
		// next reply with the wrong command when pipelining.
		r.ProtocolError = true
		o.emit(Event{Kind: EventNonProtocol, Line: line})
	}
	r.Text = text.String()
	r.Code = int(line[0]-'0')*100 + int(line[1]-'0')*10 + int(line[2]-'0')
	r.Status = parseStatus(line)
	return r, nil
}

func (o *ReadOptions) emit(e Event) {
	if o.Event != nil {
		e.Limit = o.LineLimit
		o.Event(e)
	}
}

// cutAtNUL drops everything from the first NUL on: Postfix handles the
// line as a C string from here on, so the rest is invisible to it.
func cutAtNUL(b []byte) []byte {
	for i, c := range b {
		if c == 0 {
			return b[:i]
		}
	}
	return b
}

// printable is printable() from printable.c: bytes outside ASCII
// 0x20-0x7e become '?', except that with utf8 a lead byte 0xc2-0xfe
// followed by a continuation byte is kept together with all continuation
// bytes that follow it (not validated further, as in Postfix).
func printable(b []byte, utf8 bool) string {
	out := make([]byte, len(b))
	for i := 0; i < len(b); i++ {
		c := b[i]
		switch {
		case c >= 0x20 && c <= 0x7e:
			out[i] = c
		case utf8 && c >= 0xc2 && c <= 0xfe && i+1 < len(b) && isCont(b[i+1]):
			out[i] = c
			for i+1 < len(b) && isCont(b[i+1]) {
				i++
				out[i] = b[i]
			}
		default:
			out[i] = '?'
		}
	}
	return string(out)
}

func isCont(c byte) bool { return c >= 0x80 && c < 0xc0 }

// cTrunc is printf's "%.Ns": at most n bytes, not runes.
func cTrunc(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
