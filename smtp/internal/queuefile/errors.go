package queuefile

import (
	"errors"
	"os"
	"strings"
	"syscall"
)

// Severity says how stock Postfix reacts to a failure; the caller logs
// Error.Text with the matching prefix and acts accordingly.
type Severity int

const (
	// Silent: stock logs nothing and the request is deferred (status -1),
	// e.g. mail_open_ok() on a file that does not exist (any more).
	Silent Severity = iota
	// Warning: stock logs "warning: <Text>" and carries on (defers the
	// request, bounces the content, ...).
	Warning
	// Fatal: stock logs "fatal: <Text>" and exits, so that master(8)
	// backs off and qmgr(8) defers the request.
	Fatal
	// Panic: stock logs "panic: <Text>" and aborts (an interface
	// violation such as a malformed queue ID reaching mail_queue_path()).
	Panic
)

func (s Severity) String() string {
	switch s {
	case Silent:
		return "silent"
	case Warning:
		return "warning"
	case Fatal:
		return "fatal"
	case Panic:
		return "panic"
	}
	return "unknown"
}

// Error is a failure with the text stock Postfix logs for it.
type Error struct {
	Severity Severity
	// Text is the message without the "warning: "/"fatal: " prefix, in
	// stock wording (quoted from the C source) where stock has one.
	Text string
	// Err is the cause: an errno, ErrCorrupt, or for a content error the
	// record-level *Error that stock logged first (see Chain).
	Err error
}

func (e *Error) Error() string { return e.Text }

func (e *Error) Unwrap() error { return e.Err }

// ErrCorrupt is the cause of every error about malformed queue file
// content; test with errors.Is.
var ErrCorrupt = errors.New("corrupted queue file")

// Chain returns the *Error values in err's chain, innermost first: the
// order in which stock logs them. For a broken content record that is
// the record-level warning (e.g. "...: unexpected EOF in data, ...")
// followed by smtp's "<id>: bad record type: -2 in message content".
func Chain(err error) []*Error {
	var out []*Error
	for err != nil {
		if e, ok := err.(*Error); ok {
			out = append(out, e)
		}
		err = errors.Unwrap(err)
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out
}

// errnoText renders err the way Postfix's "%m" does: glibc's
// errno.Text() text, which is Go's errno text with a capital first letter
// ("No such file or directory"). Non-errno errors keep their own text.
func errnoText(err error) string {
	var pe *os.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	var errno syscall.Errno
	if !errors.As(err, &errno) {
		if err == nil {
			return "Success"
		}
		return err.Error()
	}
	if errno == 0 {
		return "Success"
	}
	s := errno.Error()
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
