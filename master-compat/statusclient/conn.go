package statusclient

import (
	"context"
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"sync"
	"time"

	"github.com/postfix-go/postfix-go/master-compat/attr"
)

// endpoint is one server socket and the protocol it must announce.
type endpoint struct {
	class, service, proto string
}

// path is the endpoint as Postfix names it in connect warnings.
func (ep endpoint) path() string { return ep.class + "/" + ep.service }

// streamPath is VSTREAM_PATH after mail_connect, used in I/O warnings.
func (ep endpoint) streamPath() string { return ep.path() + " socket" }

var (
	errAnnouncement = errors.New("malformed protocol announcement")
	errShortReply   = errors.New("reply without status")
)

// exchange is mail_command_client: connect, check the announcement, send
// req, read the status, close. replyFlags is attr.Strict for the
// mail_command_client services and attr.Missing for verify, as in stock.
func (c *Client) exchange(ctx context.Context, ep endpoint, policy Retry, req *attr.List, replyFlags attr.Flags) (int, error) {
	conn, err := c.dial(ctx, ep, policy)
	if err != nil {
		return 0, err
	}
	defer conn.Close()
	dl := &deadlines{conn: conn, timeout: c.cfg.Timeout, ctx: ctx}
	// A cancelled context unblocks whatever I/O is in progress.
	stop := context.AfterFunc(ctx, dl.kill)
	defer stop()

	fail := func(op string, err error) (int, error) {
		if ctx.Err() != nil {
			err = fmt.Errorf("%w (%w)", ctx.Err(), err)
		}
		return 0, &Error{Op: op, Path: ep.streamPath(), Err: err}
	}
	sc := attr.NewScanner(conn, ep.streamPath(), c.cfg.Warn)
	dl.next()
	if err := c.announcement(sc, ep.proto); err != nil {
		return fail(OpRead, err)
	}
	dl.next()
	if _, err := conn.Write(req.Bytes()); err != nil {
		return fail(OpWrite, err)
	}
	dl.next()
	var status int
	n, err := sc.Scan(replyFlags, attr.Int("status", &status))
	if err == nil && n != 1 {
		err = errShortReply
	}
	if err != nil {
		return fail(OpReply, err)
	}
	return status, nil
}

// announcement reads the server's first list. It is stricter than stock,
// which accepts an empty list, end-of-input or an extra attribute as a
// good announcement (attr_scan returns 0 conversions in all of those
// cases) and only notices later; here each is an error at once.
func (c *Client) announcement(sc *attr.Scanner, want string) error {
	var got string
	n, err := sc.Scan(attr.Strict, attr.Str("protocol", &got))
	switch {
	case err != nil:
		return err
	case n != 1 || sc.MidList():
		return errAnnouncement // the scanner warned about what was wrong
	case got != want:
		c.cfg.Warn(fmt.Sprintf("unexpected protocol %s from %s (expected: %s)", got, sc.Path, want))
		return fmt.Errorf("%w: %q", errAnnouncement, got)
	}
	return nil
}

// dial connects under policy. With one attempt it fails the way
// mail_command_client does; with more it is mail_connect_wait: a warning
// per failed attempt, a pause, and a fatal error after the last.
func (c *Client) dial(ctx context.Context, ep endpoint, policy Retry) (*net.UnixConn, error) {
	addr := ep.path()
	if c.cfg.Dir != "" {
		addr = filepath.Join(c.cfg.Dir, addr)
	}
	d := net.Dialer{Timeout: c.cfg.Timeout}
	for n := 1; ; n++ {
		nc, err := d.DialContext(ctx, "unix", addr)
		if err == nil {
			return nc.(*net.UnixConn), nil
		}
		if policy.Attempts == 1 {
			return nil, &Error{Op: OpConnect, Path: ep.path(), Err: err}
		}
		e := &Error{Op: OpConnect, Path: ep.path(), Attempt: n, Err: err}
		if ctx.Err() != nil {
			return nil, e
		}
		if !policy.more(n) {
			e.Fatal = true
			return nil, e
		}
		c.cfg.Warn(e.Error())
		if err := c.cfg.Sleep(ctx, policy.Delay); err != nil {
			return nil, e
		}
	}
}

// deadlines keeps the connection's deadline at ipc_timeout from the start
// of each phase, capped by the context's deadline, and lets a cancelled
// context end the exchange for good (a later phase must not revive it).
type deadlines struct {
	conn    *net.UnixConn
	timeout time.Duration
	ctx     context.Context

	mu   sync.Mutex
	dead bool
}

func (d *deadlines) next() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.dead {
		return
	}
	t := time.Now().Add(d.timeout)
	if cd, ok := d.ctx.Deadline(); ok && cd.Before(t) {
		t = cd
	}
	d.conn.SetDeadline(t)
}

func (d *deadlines) kill() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.dead = true
	d.conn.SetDeadline(time.Unix(1, 0))
}
