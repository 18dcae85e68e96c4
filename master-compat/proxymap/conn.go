package proxymap

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/postfix-go/postfix-go/master-compat/attr"
)

// conn is one connection to proxymap, past its announcement.
type conn struct {
	uc           *net.UnixConn
	sc           *attr.Scanner
	timeout      time.Duration
	opened, used time.Time
}

// dialError marks a failed connect (stock: "connect #N to subsystem").
type dialError struct{ err error }

func (e *dialError) Error() string { return e.err.Error() }
func (e *dialError) Unwrap() error { return e.err }

// errBadAnnounce: the server announced another protocol.
var errBadAnnounce = errors.New("bad proxymap announcement")

// dial connects to path and checks the announcement (clnt_stream_open
// plus dict_proxy_handshake). name is the endpoint as stock shows it.
func dial(ctx context.Context, path, name string, timeout time.Duration, warn func(string), now time.Time) (*conn, error) {
	d := net.Dialer{Timeout: timeout}
	nc, err := d.DialContext(ctx, "unix", path)
	if err != nil {
		return nil, &dialError{err}
	}
	c := &conn{uc: nc.(*net.UnixConn), timeout: timeout, opened: now, used: now}
	c.sc = attr.NewScanner(c.uc, name, warn)
	err = c.guard(ctx, func() error {
		var got string
		if err := scanAll(c.sc, attr.Str(attrProto, &got)); err != nil {
			return err
		}
		if got != Protocol {
			text := fmt.Sprintf("unexpected %s %s from %s (expected: %s)", attrProto, got, name, Protocol)
			warn(text)
			return fmt.Errorf("%w: %s", errBadAnnounce, text)
		}
		return nil
	})
	if err != nil {
		c.uc.Close()
		return nil, err
	}
	return c, nil
}

// exchange writes one request and reads a reply into wants.
func (c *conn) exchange(ctx context.Context, req []byte, wants ...attr.Want) error {
	err := c.guard(ctx, func() error {
		_, err := c.uc.Write(req)
		return err
	})
	if err == nil {
		err = c.guard(ctx, func() error { return scanAll(c.sc, wants...) })
	}
	return err
}

// guard runs one I/O step under ipc_timeout, capped by the context's
// deadline, and lets a cancelled context interrupt it.
func (c *conn) guard(ctx context.Context, step func() error) error {
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

// stale reports whether the server hung up or spoke out of turn since
// the last request (clnt_stream_access's readable() check).
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
