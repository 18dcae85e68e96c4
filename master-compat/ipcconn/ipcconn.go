// Package ipcconn is the client end of one persistent connection to a
// stock Postfix service that speaks attribute lists over a UNIX-domain
// socket (tlsmgr, proxymap): the connect and announcement check of
// auto_clnt/clnt_stream, one request and reply at a time under
// ipc_timeout, and the idle, time-to-live and "server hung up" checks
// after which stock drops the stream and reconnects quietly. What a
// request means, retries and warnings belong to the caller.
package ipcconn

import (
	"context"
	"net"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/postfix-go/postfix-go/master-compat/attr"
)

// Conn is one connection, past its announcement. Not safe for
// concurrent use: callers serialize requests, as stock does.
type Conn struct {
	uc      *net.UnixConn
	sc      *attr.Scanner
	timeout time.Duration
	opened  time.Time
	used    time.Time
}

// DialError marks a failed connect, which stock warns about with its
// own "connect to ..." text; other errors come from the conversation.
type DialError struct{ Err error }

func (e *DialError) Error() string { return e.Err.Error() }
func (e *DialError) Unwrap() error { return e.Err }

// Dial connects to path and runs announce on the new stream (the
// server speaks first). name is the endpoint as stock's scanner
// warnings show it; warn receives those warnings.
func Dial(ctx context.Context, path, name string, timeout time.Duration, warn func(string), now time.Time,
	announce func(*attr.Scanner) error) (*Conn, error) {
	d := net.Dialer{Timeout: timeout}
	nc, err := d.DialContext(ctx, "unix", path)
	if err != nil {
		return nil, &DialError{err}
	}
	c := &Conn{uc: nc.(*net.UnixConn), timeout: timeout, opened: now, used: now}
	c.sc = attr.NewScanner(c.uc, name, warn)
	if err := c.guard(ctx, func() error { return announce(c.sc) }); err != nil {
		c.uc.Close()
		return nil, err
	}
	return c, nil
}

// Exchange writes one request and lets read take the reply. Any error
// leaves the stream out of step: the caller closes the connection.
func (c *Conn) Exchange(ctx context.Context, now time.Time, req []byte, read func(*attr.Scanner) error) error {
	c.used = now
	err := c.guard(ctx, func() error {
		_, err := c.uc.Write(req)
		return err
	})
	if err == nil {
		err = c.guard(ctx, func() error { return read(c.sc) })
	}
	return err
}

// Expired tells whether stock would have dropped the stream before the
// next request: idle for idle or longer, older than ttl (0: no limit),
// or the server hung up or spoke out of turn (its read event).
func (c *Conn) Expired(now time.Time, idle, ttl time.Duration) bool {
	return (idle > 0 && now.Sub(c.used) >= idle) || (ttl > 0 && now.Sub(c.opened) >= ttl) || c.stale()
}

// Close drops the connection.
func (c *Conn) Close() { c.uc.Close() }

// guard runs one I/O step under ipc_timeout, capped by the context's
// deadline, and lets a cancelled context interrupt it.
func (c *Conn) guard(ctx context.Context, step func() error) error {
	t := time.Now().Add(c.timeout)
	if cd, ok := ctx.Deadline(); ok && cd.Before(t) {
		t = cd
	}
	c.uc.SetDeadline(t)
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

// stale reports unread input or a hang-up since the last request.
func (c *Conn) stale() bool {
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
