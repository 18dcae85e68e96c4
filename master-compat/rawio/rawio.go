// Package rawio reads and writes a non-blocking socket with raw system
// calls while still waiting in Go's network poller (so deadlines work).
//
// Why: the standard library enters the scheduler's "in syscall" state for
// every read and write. On machines where system calls are slow (page
// table isolation, virtual machines) the runtime's monitor then often
// decides the call is blocking and hands the processor to another thread,
// which costs more than the call itself. A read or write on a
// non-blocking socket cannot block, so it needs none of that.
package rawio

import (
	"io"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Conn does raw I/O on one socket. It is not safe for concurrent use by
// several readers or several writers (one of each is fine).
type Conn struct {
	rc syscall.RawConn

	rbuf    []byte
	rn      int
	rerrno  unix.Errno
	readFn  func(uintptr) bool
	wbuf    []byte
	wn      int
	werrno  unix.Errno
	writeFn func(uintptr) bool
}

// New wraps the socket behind rc, which must be in non-blocking mode
// (as every net.Conn is).
func New(rc syscall.RawConn) *Conn {
	c := &Conn{rc: rc}
	c.readFn = c.read
	c.writeFn = c.write
	return c
}

func (c *Conn) read(fd uintptr) bool {
	for {
		n, _, e := unix.RawSyscall(unix.SYS_READ, fd, uintptr(unsafe.Pointer(&c.rbuf[0])), uintptr(len(c.rbuf)))
		if e == unix.EINTR {
			continue
		}
		c.rn, c.rerrno = int(n), e
		return e != unix.EAGAIN
	}
}

func (c *Conn) write(fd uintptr) bool {
	for len(c.wbuf) > 0 {
		n, _, e := unix.RawSyscall(unix.SYS_WRITE, fd, uintptr(unsafe.Pointer(&c.wbuf[0])), uintptr(len(c.wbuf)))
		switch e {
		case 0:
			c.wn += int(n)
			c.wbuf = c.wbuf[n:]
		case unix.EINTR:
		case unix.EAGAIN:
			return false
		default:
			c.werrno = e
			return true
		}
	}
	return true
}

// Read implements io.Reader; a read of zero bytes at end of input
// returns io.EOF.
func (c *Conn) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	c.rbuf = p
	err := c.rc.Read(c.readFn)
	c.rbuf = nil
	switch {
	case err != nil:
		return 0, err
	case c.rerrno != 0:
		return 0, c.rerrno
	case c.rn == 0:
		return 0, io.EOF
	}
	return c.rn, nil
}

// Write implements io.Writer: it writes all of p or fails.
func (c *Conn) Write(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	c.wbuf, c.wn, c.werrno = p, 0, 0
	err := c.rc.Write(c.writeFn)
	n := c.wn
	c.wbuf = nil
	switch {
	case err != nil:
		return n, err
	case c.werrno != 0:
		return n, c.werrno
	}
	return n, nil
}
