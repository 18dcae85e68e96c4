// Package client is the smtp(8)/lmtp(8) side of connection_cache_protocol:
// Conn speaks the protocol on one connection and reports exactly what the
// server said; Client adds the stock client's policy on top (lazy connect,
// two tries, then caching disabled for the life of the process).
package client

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"syscall"
	"time"

	"github.com/postfix-go/postfix-go/master-compat/attr"
	"github.com/postfix-go/postfix-go/master-compat/fdpass"
)

// Protocol is the announcement a connection cache server sends.
const Protocol = "connection_cache_protocol"

// Status codes of the protocol.
const (
	StatOK   = 0
	StatBad  = 1
	StatFail = 2
)

// Conn is one connection to a connection cache server.
type Conn struct {
	uc      *net.UnixConn
	raw     syscall.RawConn
	fds     *fdpass.Channel
	scan    *attr.Scanner
	timeout time.Duration
}

// Dial connects to the server socket at path (e.g. "private/scache") and
// checks its announcement. timeout bounds the connect and each exchange
// (connection_cache_protocol_timeout).
func Dial(path string, timeout time.Duration, warn func(string)) (*Conn, error) {
	d := net.Dialer{Timeout: timeout}
	nc, err := d.Dial("unix", path)
	if err != nil {
		return nil, fmt.Errorf("connect to %s: %w", path, err)
	}
	uc := nc.(*net.UnixConn)
	c, err := newConn(uc, path, timeout, warn, nil)
	if err != nil {
		uc.Close()
		return nil, err
	}
	c.deadline()
	if n, err := c.scan.Scan(attr.Strict, attr.Expect("protocol", Protocol)); err != nil || n != 0 {
		uc.Close()
		if err == nil {
			err = fmt.Errorf("%s: bad protocol announcement", path)
		}
		return nil, err
	}
	return c, nil
}

// newConn wraps a connected socket; the one place that builds a Conn.
// The reply scanner reads from rd, or from uc when rd is nil (Client
// passes a wrapper that models the stock stream's sticky error flag).
func newConn(uc *net.UnixConn, path string, timeout time.Duration, warn func(string), rd io.Reader) (*Conn, error) {
	raw, err := uc.SyscallConn()
	if err != nil {
		return nil, err
	}
	if rd == nil {
		rd = uc
	}
	return &Conn{uc: uc, raw: raw, fds: fdpass.NewChannel(raw), timeout: timeout,
		scan: attr.NewScanner(bufio.NewReader(rd), path, warn)}, nil
}

// Close closes the connection.
func (c *Conn) Close() error { return c.uc.Close() }

func (c *Conn) deadline() {
	if c.timeout > 0 {
		c.uc.SetDeadline(time.Now().Add(c.timeout))
	}
}

func (c *Conn) send(l *attr.List) error {
	c.deadline()
	_, err := c.uc.Write(l.Bytes())
	return err
}

func (c *Conn) expect(n int, wants ...attr.Want) error {
	// Stock attr_scan returns a short count without a word when a reply
	// does not even start (EOF, timeout, reset); only the caller's
	// "problem talking to service" line reports it. Peek first so that
	// the scanner does not log a timeout warning stock would not.
	if _, err := c.scan.Reader().Peek(1); err != nil {
		return err
	}
	got, err := c.scan.Scan(attr.Strict, wants...)
	if err != nil {
		return err
	}
	if got != n {
		return fmt.Errorf("%w: %d of %d reply attributes", attr.ErrMalformed, got, n)
	}
	return nil
}

var dummy = new(attr.List).Str("dummy", "")

// SaveEndp offers fd for reuse under the endpoint label. The caller keeps
// its own copy of fd and should close it afterwards, as stock smtp does.
func (c *Conn) SaveEndp(ttl int, label, prop string, fd int) (status int, err error) {
	if err := c.send(new(attr.List).Str("request", "save_endp").Int("ttl", ttl).Str("label", label).Str("property", prop)); err != nil {
		return 0, err
	}
	var d string
	if err := c.expect(1, attr.Str("dummy", &d)); err != nil {
		return 0, err
	}
	if err := c.fds.Send(fd); err != nil {
		return 0, err
	}
	return status, c.expect(1, attr.Int("status", &status))
}

// SaveDest binds the destination label to an endpoint label.
func (c *Conn) SaveDest(ttl int, destLabel, destProp, endpLabel string) (status int, err error) {
	if err := c.send(new(attr.List).Str("request", "save_dest").Int("ttl", ttl).Str("label", destLabel).
		Str("property", destProp).Str("label", endpLabel)); err != nil {
		return 0, err
	}
	return status, c.expect(1, attr.Int("status", &status))
}

// FindEndp asks for a session by endpoint label. fd is -1 unless status
// is StatOK; then the caller owns it.
func (c *Conn) FindEndp(label string) (status int, prop string, fd int, err error) {
	if err := c.send(new(attr.List).Str("request", "find_endp").Str("label", label)); err != nil {
		return 0, "", -1, err
	}
	if err := c.expect(2, attr.Int("status", &status), attr.Str("property", &prop)); err != nil {
		return 0, "", -1, err
	}
	fd, err = c.receive(status)
	return status, prop, fd, err
}

// FindDest asks for a session by destination label.
func (c *Conn) FindDest(label string) (status int, destProp, endpProp string, fd int, err error) {
	if err := c.send(new(attr.List).Str("request", "find_dest").Str("label", label)); err != nil {
		return 0, "", "", -1, err
	}
	if err := c.expect(3, attr.Int("status", &status), attr.Str("property", &destProp), attr.Str("property", &endpProp)); err != nil {
		return 0, "", "", -1, err
	}
	fd, err = c.receive(status)
	return status, destProp, endpProp, fd, err
}

// receive runs the dummy / descriptor / dummy exchange of a find hit.
func (c *Conn) receive(status int) (int, error) {
	if status != StatOK {
		return -1, nil
	}
	if err := c.send(dummy); err != nil {
		return -1, err
	}
	if c.scan.Buffered() > 0 {
		return -1, fmt.Errorf("%w: data before the descriptor", attr.ErrMalformed)
	}
	fd, err := c.fds.Recv()
	if err != nil {
		return -1, err
	}
	if err := c.send(dummy); err != nil {
		syscall.Close(fd)
		return -1, err
	}
	return fd, nil
}
