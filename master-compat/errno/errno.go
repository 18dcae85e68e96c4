// Package errno renders Go errors the way Postfix's "%m" shows them, so
// that our warnings read like the stock daemons': the errno a C caller
// would have seen, in the C library's words.
package errno

import (
	"context"
	"errors"
	"net"
	"os"
	"strings"
	"syscall"
)

// Of is the errno a stock daemon would see after err: the system error if
// there is one, ETIMEDOUT for a deadline, ECANCELED for a cancelled
// context, and 0 for protocol problems and end-of-input (stock clears
// errno before such checks, hence its "Application error").
func Of(err error) syscall.Errno {
	var en syscall.Errno
	var ne net.Error
	switch {
	case err == nil:
		return 0
	case errors.As(err, &en):
		return en
	case errors.Is(err, context.Canceled):
		return syscall.ECANCELED
	case errors.Is(err, os.ErrDeadlineExceeded), errors.Is(err, context.DeadlineExceeded),
		errors.As(err, &ne) && ne.Timeout():
		return syscall.ETIMEDOUT
	}
	return 0
}

// Text renders e like %m: glibc's text (Go's table has the same words
// with a lower-case first letter) and "Application error" for errno 0.
func Text(e syscall.Errno) string {
	if e == 0 {
		return "Application error"
	}
	s := e.Error()
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
