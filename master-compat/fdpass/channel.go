package fdpass

import (
	"fmt"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Channel passes descriptors over one connection without allocating per
// call: a connection cache hands over a descriptor with every request, so
// the message headers and buffers are set up once and reused. The socket
// is non-blocking (the poller waits), so the calls are made raw, without
// the scheduler's syscall bookkeeping (see package rawio). A Channel is
// not safe for concurrent use.
type Channel struct {
	raw syscall.RawConn

	rbuf [1]byte
	roob [cmsgSpace]byte
	riov unix.Iovec
	rmsg unix.Msghdr

	sbuf [1]byte
	soob [cmsgSpace]byte
	siov unix.Iovec
	smsg unix.Msghdr

	// Results of the callbacks below; the callbacks are built once
	// because a closure created per call would be allocated per call.
	n, oobn, flags int
	errno          unix.Errno
	readFn         func(uintptr) bool
	writeFn        func(uintptr) bool
}

// cmsgSpace fits exactly one descriptor, as Postfix's receiver does.
const cmsgSpace = 24 // unix.CmsgSpace(4) on 64-bit Linux

// NewChannel prepares descriptor passing on conn.
func NewChannel(conn syscall.RawConn) *Channel {
	c := &Channel{raw: conn}
	c.riov.Base = &c.rbuf[0]
	c.riov.SetLen(1)
	c.rmsg.Iov = &c.riov
	c.rmsg.SetIovlen(1)
	c.rmsg.Control = &c.roob[0]

	c.siov.Base = &c.sbuf[0]
	c.siov.SetLen(1)
	c.smsg.Iov = &c.siov
	c.smsg.SetIovlen(1)
	c.smsg.Control = &c.soob[0]
	c.smsg.SetControllen(cmsgSpace)
	h := (*unix.Cmsghdr)(unsafe.Pointer(&c.soob[0]))
	h.Level, h.Type = unix.SOL_SOCKET, unix.SCM_RIGHTS
	h.SetLen(unix.CmsgLen(4))

	c.readFn = c.recvmsg
	c.writeFn = c.sendmsg
	return c
}

func (c *Channel) recvmsg(s uintptr) bool {
	c.rmsg.SetControllen(cmsgSpace)
	c.rmsg.Flags = 0
	for {
		n, _, e := unix.RawSyscall(unix.SYS_RECVMSG, s, uintptr(unsafe.Pointer(&c.rmsg)), unix.MSG_CMSG_CLOEXEC)
		if e == unix.EINTR {
			continue
		}
		c.n, c.errno = int(n), e
		c.oobn, c.flags = int(c.rmsg.Controllen), int(c.rmsg.Flags)
		return e != unix.EAGAIN
	}
}

func (c *Channel) sendmsg(s uintptr) bool {
	for {
		n, _, e := unix.RawSyscall(unix.SYS_SENDMSG, s, uintptr(unsafe.Pointer(&c.smsg)), unix.MSG_NOSIGNAL)
		if e == unix.EINTR {
			continue
		}
		c.n, c.errno = int(n), e
		return e != unix.EAGAIN
	}
}

// Send passes fd: one NUL byte plus SCM_RIGHTS.
func (c *Channel) Send(fd int) error {
	*(*int32)(unsafe.Pointer(&c.soob[unix.CmsgLen(0)])) = int32(fd)
	if err := c.raw.Write(c.writeFn); err != nil {
		return fmt.Errorf("send file descriptor: %w", err)
	}
	switch {
	case c.errno != 0:
		return fmt.Errorf("send file descriptor: %w", c.errno)
	case c.n != 1:
		return fmt.Errorf("send file descriptor: short write (%d bytes)", c.n)
	}
	return nil
}

// Recv receives one descriptor; see the package-level Recv.
func (c *Channel) Recv() (int, error) {
	if err := c.raw.Read(c.readFn); err != nil {
		return -1, fmt.Errorf("receive file descriptor: %w", err)
	}
	if c.errno != 0 {
		return -1, fmt.Errorf("receive file descriptor: %w", c.errno)
	}
	h := (*unix.Cmsghdr)(unsafe.Pointer(&c.roob[0]))
	if c.oobn == cmsgSpace && c.flags&unix.MSG_CTRUNC == 0 && int(h.Len) == unix.CmsgLen(4) &&
		h.Level == unix.SOL_SOCKET && h.Type == unix.SCM_RIGHTS {
		return int(*(*int32)(unsafe.Pointer(&c.roob[unix.CmsgLen(0)]))), nil
	}
	// Anything else: close whatever descriptors did arrive.
	fds := parseRights(c.roob[:c.oobn])
	for _, fd := range fds {
		unix.Close(fd)
	}
	if c.n == 0 && len(fds) == 0 {
		return -1, fmt.Errorf("receive file descriptor: %w", errEOF)
	}
	return -1, ErrNoDescriptor
}
