package tlsmgrproto

import (
	"errors"
	"fmt"
	"io"

	"github.com/postfix-go/postfix-go/master-compat/attr"
)

// sentinel is an error constant, so that the package keeps no mutable
// state, not even error variables.
type sentinel string

func (e sentinel) Error() string { return string(e) }

// Is makes every sentinel of this package also match attr.ErrMalformed:
// a daemon can then tell "the peer sent garbage" from an I/O failure with
// one test, whichever layer noticed the problem.
func (e sentinel) Is(target error) bool { return target == attr.ErrMalformed }

const (
	// ErrShort: a list or nested structure ended early, or carried an
	// attribute out of order. The scanner has already passed stock's
	// "missing attribute …" or "unexpected attribute …" warning to
	// Scanner.Warn. Postfix treats this as a failed scan (count mismatch).
	ErrShort = sentinel("attribute list ended early or out of order")
	// ErrRange: a count was outside what the stock reader accepts (an
	// argv_size above 1024 or below 0).
	ErrRange = sentinel("attribute value out of range")
	// ErrMismatch: an attribute that must have a fixed value (the
	// protocol name of an announcement) had another one.
	ErrMismatch = sentinel("unexpected attribute value")
	// ErrUnknownRequest: a tlsmgr request name that stock tlsmgr does not
	// know. Stock sends no reply at all to such a request.
	ErrUnknownRequest = sentinel("unknown tlsmgr request")
)

// Scan runs one scan and demands every wanted attribute. mid says the scan
// continues a list that is already under way. It is exported for the
// tlsproxy protocol package, whose readers follow the same stock rules.
func Scan(sc *attr.Scanner, mid bool, flags attr.Flags, wants ...attr.Want) error {
	n, err := sc.Scan(flags, wants...)
	switch {
	case err != nil:
		return eofCheck(sc, n, mid, err)
	case n != len(wants):
		return fmt.Errorf("%w: received %d of %d attributes", ErrShort, n, len(wants))
	case flags&attr.More == 0 && sc.MidList():
		// Every wanted attribute came but an extra one stood where the
		// terminator belongs (the scanner warned). Stock counts
		// conversions only and would accept the list, leaving the rest
		// unread and the stream out of step; no stock peer sends this,
		// so it is refused here.
		return fmt.Errorf("%w: extra attribute before the list terminator", ErrShort)
	}
	return nil
}

// ScanEnd reads the terminator of a list whose attributes were read with
// attr.More, refusing anything else as a strict stock reader does.
func ScanEnd(sc *attr.Scanner) error {
	n, err := sc.Scan(attr.Strict)
	switch {
	case err != nil:
		return eofCheck(sc, n, true, err)
	case sc.MidList():
		// The scanner stopped at an unexpected attribute and warned.
		return fmt.Errorf("%w: extra attribute before the list terminator", ErrShort)
	}
	return nil
}

// eofCheck keeps io.EOF in an error only for a clean end of input before
// a new list: that is the peer hanging up between requests, which callers
// must be able to tell from a list cut short. The scanner wraps io.EOF in
// both cases, so a truncated list is re-wrapped as io.ErrUnexpectedEOF,
// deliberately dropping io.EOF from the chain (the text is kept).
func eofCheck(sc *attr.Scanner, n int, mid bool, err error) error {
	switch {
	case !errors.Is(err, io.EOF):
		return err
	case n == 0 && !mid:
		return err
	case n == 0:
		// The scanner is silent about an end of input at a list start,
		// as stock's is; a nested structure cannot start a list.
		return fmt.Errorf("%s: %w while reading input attribute name", sc.Path, io.ErrUnexpectedEOF)
	}
	return fmt.Errorf("%w: %v", io.ErrUnexpectedEOF, err)
}

// Warn passes a stock warning to the scanner's hook, where the scanner's
// own warnings go, and returns its text for the error.
func Warn(sc *attr.Scanner, format string, args ...any) string {
	text := fmt.Sprintf(format, args...)
	if sc.Warn != nil {
		sc.Warn(text)
	}
	return text
}
