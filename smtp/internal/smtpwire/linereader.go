package smtpwire

import (
	"bufio"
	"errors"
)

// lineReader is smtp_get(..., line_length_limit, SMTP_GET_FLAG_SKIP) with
// a byte budget on top.
type lineReader struct {
	br     *bufio.Reader
	limit  int   // line_length_limit, > 0
	budget int64 // bytes this reply may still consume
	buf    []byte
}

// next returns the next line without its terminator. long reports that
// the line did not fit in limit bytes: then line holds the first limit
// bytes as read (trailing CRs included) and the rest of the line up to and
// including the next LF has been skipped. The returned slice is valid
// until the next call.
//
// The limit counts raw bytes including the LF, exactly like
// vstring_get_flags_bound(): with limit 2048 a 2047-byte line + LF fits, a
// 2048-byte line + LF does not. The one repair smtp_get_noexcept() makes is
// copied too: when the bound falls between the CR and the LF of a CRLF,
// the LF is still consumed and the line is complete.
func (lr *lineReader) next() (line []byte, long bool, err error) {
	buf := lr.buf[:0]
	defer func() { lr.buf = buf[:0] }()
	for len(buf) < lr.limit {
		c, err := lr.readByte()
		if err != nil {
			return nil, false, err
		}
		if c == '\n' {
			return trimCRs(buf), false, nil
		}
		buf = append(buf, c)
	}
	if buf[len(buf)-1] == '\r' {
		c, err := lr.readByte()
		if err != nil {
			return nil, false, err
		}
		if c == '\n' {
			return trimCRs(buf), false, nil
		}
		// The byte is unread so it is skipped below with the rest of the
		// line; UnreadByte cannot fail right after ReadByte. Give the
		// budget back since it will be charged again.
		_ = lr.br.UnreadByte()
		lr.budget++
	}
	if err := lr.skipLine(); err != nil {
		return nil, false, err
	}
	return buf, true, nil
}

// trimCRs removes all trailing CRs, as smtp_get_noexcept() does when no
// bare-LF detection is active (it never is in the client).
func trimCRs(b []byte) []byte {
	for len(b) > 0 && b[len(b)-1] == '\r' {
		b = b[:len(b)-1]
	}
	return b
}

func (lr *lineReader) readByte() (byte, error) {
	if lr.budget <= 0 {
		return 0, &IOError{Op: "read", Err: ErrReplyTooLong}
	}
	c, err := lr.br.ReadByte()
	if err != nil {
		return 0, ioError("read", err)
	}
	lr.budget--
	return c, nil
}

// skipLine discards input up to and including the next LF, within the
// budget. Postfix skips without bound, under the per-read time limit only.
func (lr *lineReader) skipLine() error {
	for {
		if lr.budget <= 0 {
			return &IOError{Op: "read", Err: ErrReplyTooLong}
		}
		frag, err := lr.br.ReadSlice('\n')
		lr.budget -= int64(len(frag))
		switch {
		case err == nil:
			if lr.budget < 0 {
				return &IOError{Op: "read", Err: ErrReplyTooLong}
			}
			return nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		default:
			return ioError("read", err)
		}
	}
}
