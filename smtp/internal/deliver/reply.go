package deliver

import (
	"errors"
	"io"
	"time"

	"github.com/postfix-go/postfix-go/master-compat/attr"
	"github.com/postfix-go/postfix-go/master-compat/dsn"
)

// Request status values of the reply (DEL_STAT_* in deliver_request.h).
// There is no "partly done": qmgr can only trust a positive statement that
// every recipient was delivered or bounced and marked done in the queue
// file. Anything else must be StatDefer, or mail is lost when qmgr removes
// the queue file.
const (
	StatFinal = 0  // every recipient delivered or bounced, and marked done
	StatDefer = -1 // anything else; travels as 4294967295
)

// DSN is the delivery status record (see package dsn); the status
// services use the same type.
type DSN = dsn.DSN

// Reply is the agent's answer to a request.
type Reply struct {
	// HopStatus is set only when the whole next hop is unusable
	// (connection-level failures): qmgr then suspends the destination
	// and defers its other mail with this reason. Leave it zero
	// otherwise.
	HopStatus DSN
	// Status is StatFinal or StatDefer (qmgr treats any non-zero value
	// as StatDefer).
	Status int
}

// AppendTo appends the reply list: the hop status DSN, then the integer
// status, which is also named "status".
func (r *Reply) AppendTo(dst []byte) []byte {
	dst = r.HopStatus.AppendAttrs(dst)
	dst = attr.AppendInt(dst, "status", r.Status)
	return attr.AppendEnd(dst)
}

// WriteReply sends r in one write. Stock bounds the write with
// ipc_timeout; callers set a write deadline to do the same.
func WriteReply(w io.Writer, r Reply) error {
	_, err := w.Write(r.AppendTo(make([]byte, 0, 128+len(r.HopStatus.Reason)+len(r.HopStatus.DiagText))))
	return err
}

// Announce sends the agent's greeting, which must precede everything: qmgr
// does not write its request before it has read this.
func Announce(w io.Writer) error {
	_, err := w.Write(attr.AppendEnd(attr.AppendStr(nil, "protocol", Protocol)))
	return err
}

// ReadDeadliner is what AwaitClose needs of the connection (net.Conn has
// it).
type ReadDeadliner interface {
	io.Reader
	SetReadDeadline(t time.Time) error
}

// AwaitClose waits, for at most timeout (ipc_timeout; zero or less means
// no limit), until qmgr closes the connection after reading the reply.
// Stock does this because some systems lose data written just before a
// close; it also keeps the agent's shared lock on the queue file until
// qmgr has acted on the reply, so callers close the queue file only after
// AwaitClose returns.
//
// Like stock's single getc it returns as soon as one byte arrives too.
// Stock reads that byte through its buffered stream, so unread request
// bytes already buffered (after a request rejected half way) end the wait
// at once; callers that want exactly that skip AwaitClose when their
// scanner's Buffered() is non-zero. The result is nil for a close or a
// byte, else the read error (a timeout, say); stock ignores it.
func AwaitClose(conn ReadDeadliner, timeout time.Duration) error {
	if timeout > 0 {
		if err := conn.SetReadDeadline(time.Now().Add(timeout)); err != nil {
			return err
		}
		defer conn.SetReadDeadline(time.Time{})
	}
	var b [1]byte
	n, err := conn.Read(b[:])
	if n > 0 || errors.Is(err, io.EOF) {
		return nil
	}
	return err
}
