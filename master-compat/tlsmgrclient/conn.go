package tlsmgrclient

import (
	"context"
	"net"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/postfix-go/postfix-go/internal/tlsmgrproto"
	"github.com/postfix-go/postfix-go/master-compat/attr"
)

// conn is one connection to tlsmgr, past its announcement.
type conn struct {
	uc           *net.UnixConn
	sc           *attr.Scanner
	timeout      time.Duration
	opened, used time.Time
}

// dial connects to path and reads the announcement (auto_clnt_open plus
// tls_mgr_handshake). A failed connect is returned for the caller to warn
// about; a bad announcement has been warned about by the scanner.
func dial(ctx context.Context, path string, timeout time.Duration, warn func(string), now time.Time) (*conn, error) {
	d := net.Dialer{Timeout: timeout}
	nc, err := d.DialContext(ctx, "unix", path)
	if err != nil {
		return nil, &dialError{err}
	}
	c := &conn{uc: nc.(*net.UnixConn), timeout: timeout, opened: now, used: now}
	// VSTREAM_PATH is the endpoint name, which is what stock's scanner
	// warnings show.
	c.sc = attr.NewScanner(c.uc, path, warn)
	err = c.guard(ctx, func() error { return tlsmgrproto.DecodeAnnounce(c.sc, tlsmgrproto.Protocol) })
	if err != nil {
		c.uc.Close()
		return nil, err
	}
	return c, nil
}

// dialError marks a failed connect: stock warns "connect to …" for it.
type dialError struct{ err error }

func (e *dialError) Error() string { return e.err.Error() }
func (e *dialError) Unwrap() error { return e.err }

// exchange sends one request and reads its reply. Any error leaves the
// stream out of step, so the caller drops the connection.
func (c *conn) exchange(ctx context.Context, req *tlsmgrproto.MgrRequest) (tlsmgrproto.MgrReply, error) {
	var reply tlsmgrproto.MgrReply
	err := c.guard(ctx, func() error {
		_, err := c.uc.Write(req.Append(nil))
		return err
	})
	if err == nil {
		err = c.guard(ctx, func() (err error) {
			reply, err = tlsmgrproto.DecodeMgrReply(c.sc, req.Name)
			return err
		})
	}
	return reply, err
}

// guard runs one I/O step under ipc_timeout, capped by the context's
// deadline, and lets a cancelled context interrupt it.
func (c *conn) guard(ctx context.Context, step func() error) error {
	c.uc.SetDeadline(c.deadline(ctx))
	var mu sync.Mutex
	done := false
	stop := context.AfterFunc(ctx, func() {
		mu.Lock()
		defer mu.Unlock()
		if !done {
			c.uc.SetDeadline(time.Unix(1, 0))
		}
	})
	err := step()
	mu.Lock()
	done = true
	mu.Unlock()
	stop()
	if err != nil && ctx.Err() != nil {
		return ctx.Err()
	}
	return err
}

func (c *conn) deadline(ctx context.Context) time.Time {
	t := time.Now().Add(c.timeout)
	if cd, ok := ctx.Deadline(); ok && cd.Before(t) {
		t = cd
	}
	return t
}

// stale reports whether the server hung up or spoke out of turn since
// the last request; stock's read event would have closed the stream.
func (c *conn) stale() bool {
	if c.sc.Buffered() > 0 {
		return true
	}
	raw, err := c.uc.SyscallConn()
	if err != nil {
		return true
	}
	ready := false
	raw.Control(func(fd uintptr) {
		p := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
		n, err := unix.Poll(p, 0)
		ready = err != nil || n > 0
	})
	return ready
}

func (c *conn) close() { c.uc.Close() }
