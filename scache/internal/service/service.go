// Package service speaks scache(8)'s side of connection_cache_protocol on
// one client connection: the announcement, the four requests with their
// exact replies, and the dummy lists that keep descriptor passing in lock
// step with the attribute stream.
package service

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"
	"time"

	"github.com/postfix-go/postfix-go/master-compat/attr"
	"github.com/postfix-go/postfix-go/master-compat/fdpass"
	"github.com/postfix-go/postfix-go/master-compat/rawio"
)

// Protocol is the announcement scache sends on every new connection.
const Protocol = "connection_cache_protocol"

// Request names and status codes of the protocol (scache.h).
const (
	ReqSaveDest = "save_dest"
	ReqFindDest = "find_dest"
	ReqSaveEndp = "save_endp"
	ReqFindEndp = "find_endp"

	StatOK   = 0
	StatBad  = 1
	StatFail = 2
)

// Store is the cache behind the protocol. Finds transfer ownership of the
// returned descriptor to the caller; saves take ownership of theirs.
type Store interface {
	SaveEndp(ttl int, label, prop string, fd int) error
	FindEndp(label string) (prop string, fd int, ok bool)
	SaveDest(ttl int, destLabel, destProp, endpLabel string) error
	FindDest(destLabel string) (destProp, endpProp string, fd int, ok bool)
}

// Logger receives warnings in Postfix's words.
type Logger interface {
	Warnf(format string, args ...any)
}

// StreamName is how stock scache names a client in its warnings: the
// master.cf service name followed by " socket".
func StreamName(serviceName string) string { return serviceName + " socket" }

// Conn is one client connection.
type Conn struct {
	conn    *net.UnixConn
	io      *rawio.Conn
	fds     *fdpass.Channel
	scan    *attr.Scanner
	store   Store
	log     Logger
	timeout time.Duration
	// deadline is the I/O deadline currently set on the connection; it
	// is renewed lazily (see renewDeadline).
	deadline time.Time
	wbuf     []byte
	// Request attributes are decoded into these fields rather than into
	// locals: a pointer handed to the scanner would move a local to the
	// heap on every request.
	req           string
	ttl           int
	label, label2 string
	prop, dummy   string
}

// New wraps an accepted connection. name labels the client in warnings
// (see StreamName); timeout bounds every request (ipc_timeout), zero means
// none.
func New(c *net.UnixConn, name string, store Store, log Logger, timeout time.Duration) (*Conn, error) {
	raw, err := c.SyscallConn()
	if err != nil {
		return nil, fmt.Errorf("scache client connection: %w", err)
	}
	rio := rawio.New(raw)
	sc := attr.NewScanner(bufio.NewReader(rio), name, func(s string) { log.Warnf("%s", s) })
	return &Conn{conn: c, io: rio, fds: fdpass.NewChannel(raw), scan: sc, store: store, log: log, timeout: timeout}, nil
}

// Announce sends the protocol announcement, as stock does right after
// accept and before the first request.
func (c *Conn) Announce() error {
	return c.send(attr.AppendStr(c.wbuf[:0], "protocol", Protocol))
}

// WaitRequest blocks until the client sends something (nil) or closes the
// connection (io.EOF). The multi-server model calls the service only for
// readable connections with data, so an EOF never counts as a request.
func (c *Conn) WaitRequest() error {
	for {
		_, err := c.scan.Reader().Peek(1)
		if err != nil && isTimeout(err) {
			// An idle client is not timed out: the multi-server model
			// has no idle limit per connection (clients close idle
			// connections themselves after ipc_idle).
			c.renewDeadline(true)
			continue
		}
		return err
	}
}

// renewDeadline keeps an I/O deadline of between timeout/2 and timeout
// ahead. Setting a deadline costs timer work in the runtime; renewing it
// only when half of it is used up keeps that off the per-request path
// while still bounding a stalled request by ipc_timeout.
func (c *Conn) renewDeadline(force bool) {
	if c.timeout <= 0 {
		return
	}
	now := time.Now()
	if force || c.deadline.Sub(now) < c.timeout/2 {
		c.deadline = now.Add(c.timeout)
		c.conn.SetDeadline(c.deadline)
	}
}

// Serve handles the requests that are available now: at least one, then
// every further one already buffered (a find's trailing dummy often
// arrives glued to the next request, and no new readiness event will come
// for it). A non-nil error means the connection is broken and must be
// closed; malformed but complete requests are answered, not fatal.
func (c *Conn) Serve() error {
	c.renewDeadline(false)
	for {
		if err := c.serveOne(); err != nil {
			return err
		}
		if c.scan.Buffered() == 0 {
			return nil
		}
	}
}

func (c *Conn) serveOne() error {
	n, err := c.scan.Scan(attr.Strict|attr.More, attr.Str("request", &c.req))
	req := c.req
	switch {
	case errors.Is(err, io.EOF):
		return io.EOF
	case errors.Is(err, attr.ErrMalformed) && !errors.Is(err, attr.ErrTooLong):
		// Nothing to answer yet; rescan what is left, as stock does.
		return nil
	case err != nil:
		return err
	case n != 1:
		// Stock rescans what is left without replying; so do we.
		return nil
	}
	switch req {
	case ReqSaveDest:
		return c.saveDest()
	case ReqFindDest:
		return c.findDest()
	case ReqSaveEndp:
		return c.saveEndp()
	case ReqFindEndp:
		return c.findEndp()
	}
	c.log.Warnf("unrecognized request: \"%s\", ignored", req)
	return c.reply(StatBad)
}

// badParameter answers a malformed request. The client stays connected
// when the bytes were merely wrong (stock never disconnects a client over
// a parse failure); a read error, a timeout or an oversized token ends the
// connection after the reply is attempted (stock writes it too, often into
// a dead socket).
func (c *Conn) badParameter(fn string, scanErr error, status int, props ...string) error {
	c.log.Warnf("%s: bad or missing request parameter", fn)
	werr := c.reply(status, props...)
	if scanErr != nil && (!errors.Is(scanErr, attr.ErrMalformed) || errors.Is(scanErr, attr.ErrTooLong)) {
		return scanErr
	}
	return werr
}

func (c *Conn) saveDest() error {
	const fn = "scache_save_dest_service"
	n, err := c.scan.Scan(attr.Strict, attr.Int("ttl", &c.ttl), attr.Str("label", &c.label),
		attr.Str("property", &c.prop), attr.Str("label", &c.label2))
	ttl, destLabel, destProp, endpLabel := c.ttl, c.label, c.prop, c.label2
	if err != nil || n != 4 || ttl <= 0 {
		return c.badParameter(fn, err, StatBad)
	}
	if err := c.store.SaveDest(ttl, destLabel, destProp, endpLabel); err != nil {
		c.log.Warnf("%s: %v", fn, err)
		return c.reply(StatFail)
	}
	return c.reply(StatOK)
}

func (c *Conn) saveEndp() error {
	const fn = "scache_save_endp_service"
	n, err := c.scan.Scan(attr.Strict, attr.Int("ttl", &c.ttl), attr.Str("label", &c.label), attr.Str("property", &c.prop))
	ttl, label, prop := c.ttl, c.label, c.prop
	if err != nil || n != 3 || ttl <= 0 {
		return c.badParameter(fn, err, StatBad)
	}
	if err := c.send(attr.AppendStr(c.wbuf[:0], "dummy", "")); err != nil {
		return err
	}
	fd, err := c.receiveFD()
	if err != nil {
		c.log.Warnf("%s: unable to receive file descriptor: %v", fn, errText(err))
		if werr := c.reply(StatFail); werr != nil {
			return werr
		}
		if errors.Is(err, fdpass.ErrNoDescriptor) {
			return nil
		}
		return err
	}
	if err := c.store.SaveEndp(ttl, label, prop, fd); err != nil {
		syscall.Close(fd)
		c.log.Warnf("%s: %v", fn, err)
		return c.reply(StatFail)
	}
	return c.reply(StatOK)
}

// receiveFD takes the descriptor-carrying byte. If input is already
// buffered the byte may have been read as plain data (its descriptor then
// discarded by the kernel), so that is refused rather than guessed at.
func (c *Conn) receiveFD() (int, error) {
	if c.scan.Buffered() > 0 {
		c.scan.Reader().Discard(c.scan.Buffered())
		return -1, fdpass.ErrNoDescriptor
	}
	return c.fds.Recv()
}

func (c *Conn) findEndp() error {
	const fn = "scache_find_endp_service"
	n, err := c.scan.Scan(attr.Strict, attr.Str("label", &c.label))
	label := c.label
	if err != nil || n != 1 {
		return c.badParameter(fn, err, StatBad, "")
	}
	prop, fd, ok := c.store.FindEndp(label)
	if !ok {
		return c.reply(StatFail, "")
	}
	return c.handOver(fn, fd, StatOK, prop)
}

func (c *Conn) findDest() error {
	const fn = "scache_find_dest_service"
	n, err := c.scan.Scan(attr.Strict, attr.Str("label", &c.label))
	label := c.label
	if err != nil || n != 1 {
		return c.badParameter(fn, err, StatBad, "", "")
	}
	destProp, endpProp, fd, ok := c.store.FindDest(label)
	if !ok {
		return c.reply(StatFail, "", "")
	}
	return c.handOver(fn, fd, StatOK, destProp, endpProp)
}

// handOver sends a find's reply and then the descriptor, bracketed by the
// client's two dummy lists. Our copy is closed whatever happens: as in
// stock, a failed hand-over loses that cached connection.
func (c *Conn) handOver(fn string, fd int, status int, props ...string) error {
	defer syscall.Close(fd)
	err := c.reply(status, props...)
	if err == nil {
		err = c.expectDummy()
	}
	if err == nil {
		err = c.fds.Send(fd)
	}
	if err == nil {
		err = c.expectDummy()
	}
	if err != nil {
		c.log.Warnf("%s: cannot send file descriptor: %v", fn, errText(err))
	}
	return err
}

func (c *Conn) expectDummy() error {
	n, err := c.scan.Scan(attr.Strict, attr.Str("dummy", &c.dummy))
	if err != nil {
		return err
	}
	if n != 1 {
		return fmt.Errorf("%w: no dummy from client", attr.ErrMalformed)
	}
	return nil
}

// reply sends a status and the given property attributes.
func (c *Conn) reply(status int, props ...string) error {
	b := attr.AppendInt(c.wbuf[:0], "status", status)
	for _, p := range props {
		b = attr.AppendStr(b, "property", p)
	}
	return c.send(b)
}

// send terminates and writes the list encoded in b (which reuses the
// connection's buffer: replies are written one at a time). If the request
// was not read to its end (an unknown request name, an unexpected or
// malformed attribute), whatever of it is buffered is dropped first, as
// the stock server's stream does when it turns from reading to writing; a
// fully read request leaves later pipelined requests alone.
func (c *Conn) send(b []byte) error {
	c.wbuf = attr.AppendEnd(b)
	if c.scan.MidList() {
		c.scan.Reader().Discard(c.scan.Buffered())
	}
	if _, err := c.io.Write(c.wbuf); err != nil {
		return fmt.Errorf("write to %s: %w", c.scan.Path, err)
	}
	return nil
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// errText renders an error like %m would: the system error text alone.
func errText(err error) string {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		return errno.Error()
	}
	return err.Error()
}
