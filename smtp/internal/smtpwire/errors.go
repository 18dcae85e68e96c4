package smtpwire

import (
	"errors"
	"net"
	"os"
)

// StatusIOError is the DSN status of timeouts and lost connections
// (smtp_stream_except: SMTP_ERR_TIME and SMTP_ERR_EOF).
const StatusIOError = "4.4.2"

// StatusDataError is the DSN status of a local data error such as a failed
// smtp_reply_filter lookup (SMTP_ERR_DATA, "local data error while talking
// to %s").
const StatusDataError = "4.3.0"

// Stage texts that complete "lost connection with %s while %s" and
// "conversation with %s timed out while %s" in smtp_proto.c.
const (
	StageGreeting  = "receiving the initial server greeting"
	StageEHLO      = "performing the EHLO handshake"
	StageHELO      = "performing the HELO handshake"
	StageLHLO      = "performing the LHLO handshake"
	StageSTARTTLS  = "receiving the STARTTLS response"
	StageXforward1 = "sending XFORWARD name/address"
	StageXforward2 = "sending XFORWARD protocol/helo_name"
	StageMail      = "sending MAIL FROM"
	StageRcpt      = "sending RCPT TO"
	StageData      = "sending DATA command"
	StageBody      = "sending message body"
	StageDot       = "sending end of data -- message may be sent more than once"
	StageFinalRSET = "sending final RSET"
	StageRSETProbe = "sending RSET probe"
	StageQuit      = "sending QUIT"
)

// ErrReplyTooLong is wrapped in the *IOError returned when one reply
// exceeds ReadOptions.MaxBytes or MaxLines. Stock Postfix has no such
// limit and would keep reading until a timeout; the caller should treat it
// like a lost connection and close the socket, because the rest of the
// reply is still unread.
var ErrReplyTooLong = errors.New("server reply exceeds the hard size limit")

// ErrBadCommand is returned by WriteCommand for a command containing CR, LF
// or NUL, which would inject an extra line (or, in C, be cut short).
var ErrBadCommand = errors.New("SMTP command contains CR, LF or NUL")

// IOError is a read or write failure on the SMTP connection: what
// smtp_stream.c turns into a long jump with SMTP_ERR_TIME or SMTP_ERR_EOF.
// End of file is an error even in the middle of a line, as in smtp_get().
type IOError struct {
	Op      string // "read" or "write"
	Timeout bool   // SMTP_ERR_TIME; otherwise SMTP_ERR_EOF
	Err     error
}

func (e *IOError) Error() string {
	if e.Timeout {
		return "smtp " + e.Op + ": timeout: " + e.Err.Error()
	}
	return "smtp " + e.Op + ": " + e.Err.Error()
}

func (e *IOError) Unwrap() error { return e.Err }

// Reason builds smtp_stream_except()'s text for this failure, e.g.
// Reason("mx[192.0.2.1]", StageDot). The DSN status is StatusIOError.
func (e *IOError) Reason(namaddr, stage string) string {
	if e.Timeout {
		return "conversation with " + namaddr + " timed out while " + stage
	}
	return "lost connection with " + namaddr + " while " + stage
}

// FilterError reports that the smtp_reply_filter lookup failed for a
// reply line. Stock smtp logs "%s: table %s:%s lookup error for %s" and
// fails the session with StatusDataError, "local data error while talking
// to %s".
type FilterError struct {
	Line string // the sanitised server line that was looked up
	Err  error
}

func (e *FilterError) Error() string {
	return "smtp_reply_filter lookup error for " + e.Line + ": " + e.Err.Error()
}

func (e *FilterError) Unwrap() error { return e.Err }

// ioError wraps a transport error. A deadline is a timeout whatever the
// connection type; everything else (EOF, reset, closed) is a lost
// connection, because that is all smtp_stream.c distinguishes.
func ioError(op string, err error) error {
	if err == nil {
		return nil
	}
	var ie *IOError
	if errors.As(err, &ie) {
		return err
	}
	var ne net.Error
	timeout := errors.Is(err, os.ErrDeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout())
	return &IOError{Op: op, Timeout: timeout, Err: err}
}
