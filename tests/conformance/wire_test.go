package conformance

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"syscall"
	"time"

	"github.com/postfix-go/postfix-go/master-compat/attr"
	"github.com/postfix-go/postfix-go/master-compat/fdpass"
)

// conn is one client connection that records, in its session's
// transcript, every byte it sends and every reply list it reads, exactly
// as they crossed the socket. It deliberately has no bufio.Reader and no
// attribute scanner between the socket and the transcript: what the
// server wrote is what gets compared.
type conn struct {
	s    *session
	name string // "c1", "c2", ... in dial order
	uc   *net.UnixConn
	raw  syscall.RawConn
	buf  []byte // read from the socket, not yet returned as a list
	gone bool   // closed by us, or the server closed it
}

// tryDial connects and reads the announcement, recording both.
func (s *session) tryDial() (*conn, error) {
	uc, err := net.DialUnix("unix", nil, &net.UnixAddr{Name: s.srv.sock, Net: "unix"})
	if err != nil {
		return nil, fmt.Errorf("connect to %s: %w", s.srv.sock, err)
	}
	raw, err := uc.SyscallConn()
	if err != nil {
		uc.Close()
		return nil, err
	}
	s.nconn++
	c := &conn{s: s, name: fmt.Sprintf("c%d", s.nconn), uc: uc, raw: raw}
	s.conns = append(s.conns, c)
	c.note("connect")
	if got := c.recv(); string(got) != announcement {
		return nil, fmt.Errorf("%s: announcement %q, want %q", s.srv.sock, got, announcement)
	}
	return c, nil
}

// dial is tryDial for scenario code: a failure aborts the scenario.
func (s *session) dial() *conn {
	c, err := s.tryDial()
	if err != nil {
		s.fatalf("%v", err)
	}
	return c
}

func (c *conn) note(format string, args ...any) {
	c.s.note(c.name+" "+format, args...)
}

// send writes b in one write(2), so requests glued together arrive
// together, as a stock client's buffered stream would send them.
func (c *conn) send(b []byte) {
	c.note("C→S %q", b)
	c.uc.SetWriteDeadline(time.Now().Add(ioTimeout))
	if _, err := c.uc.Write(b); err != nil {
		c.note("C→S write failed: %v", errnoOf(err))
		c.s.fatalf("%s: write: %v", c.name, err)
	}
}

// recv returns the next complete attribute list the server sent, or nil
// when the server closed the connection first (recorded as EOF).
func (c *conn) recv() []byte {
	tmp := make([]byte, 4096)
	for {
		if n, ok := listEnd(c.buf); ok {
			msg := append([]byte(nil), c.buf[:n]...)
			c.buf = c.buf[n:]
			c.note("S→C %q", msg)
			return msg
		}
		c.uc.SetReadDeadline(time.Now().Add(ioTimeout))
		n, err := c.uc.Read(tmp)
		c.buf = append(c.buf, tmp[:n]...)
		switch {
		case err == nil:
		case errors.Is(err, io.EOF), errors.Is(err, syscall.ECONNRESET):
			c.note("S→C %s after %q", closeKind(err), c.buf)
			c.gone = true
			return nil
		case errors.Is(err, os.ErrDeadlineExceeded):
			c.note("S→C nothing for %v after %q", ioTimeout, c.buf)
			c.s.fatalf("%s: no complete reply within %v (have %q)", c.name, ioTimeout, c.buf)
		default:
			c.s.fatalf("%s: read: %v", c.name, err)
		}
	}
}

// errnoOf keeps transcripts free of addresses and pids: only the errno.
func errnoOf(err error) error {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		return errno
	}
	return err
}

func closeKind(err error) string {
	if errors.Is(err, syscall.ECONNRESET) {
		return "connection reset"
	}
	return "EOF"
}

// listEnd finds the end of the first complete attr0 list in b: name NUL
// value NUL pairs up to an empty name.
func listEnd(b []byte) (int, bool) {
	i := 0
	for {
		j := bytes.IndexByte(b[i:], 0)
		if j < 0 {
			return 0, false
		}
		empty := j == 0
		i += j + 1
		if empty {
			return i, true
		}
		j = bytes.IndexByte(b[i:], 0)
		if j < 0 {
			return 0, false
		}
		i += j + 1
	}
}

// expect reads one list and checks it against the stock reply that the
// spec vectors document. A mismatch is an error but not fatal: the
// transcript comparison will show the context.
func (c *conn) expect(want string) []byte {
	got := c.recv()
	if string(got) != want {
		c.s.errorf("%s: reply %q, want %q", c.name, got, want)
	}
	return got
}

// sendFD passes fd the way smtp(8) does: one NUL byte with SCM_RIGHTS.
func (c *conn) sendFD(fd int) {
	c.note("C→S descriptor")
	c.uc.SetWriteDeadline(time.Now().Add(ioTimeout))
	if err := fdpass.Send(c.raw, fd); err != nil {
		c.s.fatalf("%s: %v", c.name, err)
	}
}

// recvFD takes a descriptor from the server. Nothing may be buffered: a
// plain read would have swallowed the byte that carries it.
func (c *conn) recvFD() int {
	if len(c.buf) > 0 {
		c.s.fatalf("%s: %q arrived before the descriptor", c.name, c.buf)
	}
	c.uc.SetReadDeadline(time.Now().Add(ioTimeout))
	fd, err := fdpass.Recv(c.raw)
	if err != nil {
		c.note("S→C no descriptor: %v", err)
		c.s.fatalf("%s: %v", c.name, err)
	}
	c.note("S→C descriptor")
	c.s.track(fd)
	return fd
}

// close hangs up; the server sees EOF.
func (c *conn) close() {
	c.note("close")
	c.gone = true
	c.uc.Close()
}

// req builds a request list. Values are strings so that tests can send
// exactly the bytes they mean ("-5", "abc"), not what an encoder makes of
// an int.
func req(name string, kv ...string) []byte {
	l := new(attr.List).Str("request", name)
	for i := 0; i+1 < len(kv); i += 2 {
		l.Str(kv[i], kv[i+1])
	}
	return l.Bytes()
}

// glue concatenates byte strings that must travel in one write.
func glue(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
