// Package fdpass moves file descriptors between processes over AF_UNIX
// stream sockets with Postfix's framing: exactly one data byte (NUL) and one
// SCM_RIGHTS control message carrying one descriptor per sendmsg().
//
// The functions work on a syscall.RawConn so they cooperate with Go's
// poller (deadlines apply) without ever changing the blocking mode of the
// descriptor being passed: a socket that smtp(8) hands to scache(8) is
// blocking, and a stock smtp that gets it back expects it still to be.
package fdpass

import (
	"errors"
	"fmt"
	"syscall"

	"golang.org/x/sys/unix"
)

// ErrNoDescriptor means a message arrived without exactly one descriptor.
var ErrNoDescriptor = errors.New("no file descriptor received")

// Send passes fd over the connection: one NUL byte plus SCM_RIGHTS.
func Send(conn syscall.RawConn, fd int) error {
	oob := unix.UnixRights(fd)
	var opErr error
	err := conn.Write(func(s uintptr) bool {
		var n int
		n, opErr = unix.SendmsgN(int(s), []byte{0}, oob, nil, 0)
		if errors.Is(opErr, unix.EAGAIN) {
			return false
		}
		if opErr == nil && n != 1 {
			opErr = fmt.Errorf("sendmsg: short write (%d bytes)", n)
		}
		return true
	})
	if err != nil {
		return fmt.Errorf("send file descriptor: %w", err)
	}
	if opErr != nil {
		return fmt.Errorf("send file descriptor: %w", opErr)
	}
	return nil
}

// Recv reads the one-byte message that carries a descriptor and returns
// the new descriptor (close-on-exec). The caller must make sure no buffered
// reader has read past the preceding attribute list: the byte carrying the
// descriptor must be consumed by this recvmsg, or the kernel drops the
// descriptor. Anything but exactly one descriptor in one SCM_RIGHTS message
// is ErrNoDescriptor; stray descriptors are closed so none leak.
func Recv(conn syscall.RawConn) (int, error) {
	buf := make([]byte, 1)
	// Room for exactly one descriptor, as Postfix allows; more is
	// truncated by the kernel (MSG_CTRUNC) and rejected below.
	oob := make([]byte, unix.CmsgSpace(4))
	var (
		n, oobn, flags int
		opErr          error
	)
	err := conn.Read(func(s uintptr) bool {
		n, oobn, flags, _, opErr = unix.Recvmsg(int(s), buf, oob, unix.MSG_CMSG_CLOEXEC)
		return !errors.Is(opErr, unix.EAGAIN)
	})
	if err != nil {
		return -1, fmt.Errorf("receive file descriptor: %w", err)
	}
	if opErr != nil {
		return -1, fmt.Errorf("receive file descriptor: %w", opErr)
	}
	fds := parseRights(oob[:oobn])
	switch {
	case n == 0 && len(fds) == 0:
		return -1, fmt.Errorf("receive file descriptor: %w", errEOF)
	case len(fds) != 1 || flags&unix.MSG_CTRUNC != 0:
		for _, fd := range fds {
			unix.Close(fd)
		}
		return -1, ErrNoDescriptor
	}
	return fds[0], nil
}

var errEOF = errors.New("unexpected end-of-input")

// parseRights extracts every descriptor from the control data, whatever
// its shape, so that the caller can close what it does not accept.
func parseRights(oob []byte) []int {
	msgs, err := unix.ParseSocketControlMessage(oob)
	if err != nil {
		return nil
	}
	var fds []int
	for _, m := range msgs {
		if m.Header.Level != unix.SOL_SOCKET || m.Header.Type != unix.SCM_RIGHTS {
			continue
		}
		got, err := unix.ParseUnixRights(&m)
		if err == nil {
			fds = append(fds, got...)
		}
	}
	return fds
}
