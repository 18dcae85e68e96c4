package statusclient

import (
	"errors"
	"fmt"
	"syscall"

	"github.com/postfix-go/postfix-go/master-compat/errno"
)

// Stages of an exchange, as the stock warnings name them.
const (
	OpConnect = "connect"    // connect to private/bounce: %m
	OpRead    = "read"       // read private/bounce socket: %m (the announcement)
	OpWrite   = "write"      // write private/bounce socket: %m
	OpReply   = "write/read" // write/read private/bounce socket: %m (the status reply)
	OpVerify  = "problem talking to service"
)

// Error is a failed exchange. Error() is the text of the warning the stock
// client logs at the same point; Err keeps the cause for errors.Is/As.
type Error struct {
	Op   string // one of the Op* stages
	Path string // "private/bounce" for connect, "private/bounce socket" for I/O, the service name for OpVerify
	// Attempt is the connect attempt number under a multi-attempt policy
	// (mail_connect_wait wording, "connect #3 to subsystem …"); zero
	// for a single attempt.
	Attempt int
	// Fatal is set when mail_connect_wait's last attempt failed: the stock
	// process exits there (msg_fatal), and so should the caller.
	Fatal bool
	Err   error

	// handshake marks an OpVerify failure in the announcement: stock
	// clears errno after clnt_stream_access, so its %m says
	// "Application error" whatever the cause.
	handshake bool
}

// errno is what the stock warning's %m reports for e.
func (e *Error) errno() syscall.Errno {
	if e.handshake {
		return 0
	}
	return errno.Of(e.Err)
}

// isHandshake reports whether err failed on the server's announcement.
func isHandshake(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Op == OpRead
}

// Errnos the verify client does not warn about.
const (
	epipe  = syscall.EPIPE
	enoent = syscall.ENOENT
)

func (e *Error) Error() string {
	m := errno.Text(e.errno())
	switch {
	case e.Attempt > 0:
		return fmt.Sprintf("connect #%d to subsystem %s: %s", e.Attempt, e.Path, m)
	case e.Op == OpConnect:
		return "connect to " + e.Path + ": " + m
	}
	return e.Op + " " + e.Path + ": " + m
}

func (e *Error) Unwrap() error { return e.Err }

// StatusError is a completed exchange whose server answered with a status
// other than 0. Stock logs nothing at that level; callers log
// ServiceFailure.
type StatusError struct {
	Path   string // "private/defer socket"
	Status int    // as a C int: 4294967295 on the wire is -1
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("%s: server status %d", e.Path, e.Status)
}

// IsFatal reports whether err says the stock process would exit now.
func IsFatal(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Fatal
}
