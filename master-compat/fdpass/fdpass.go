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
	"syscall"

	"golang.org/x/sys/unix"
)

// ErrNoDescriptor means a message arrived without exactly one descriptor.
var ErrNoDescriptor = errors.New("no file descriptor received")

// Send passes fd over the connection: one NUL byte plus SCM_RIGHTS.
// Callers that pass many descriptors on one connection should keep a
// Channel instead.
func Send(conn syscall.RawConn, fd int) error { return NewChannel(conn).Send(fd) }

// Recv reads the one-byte message that carries a descriptor and returns
// the new descriptor (close-on-exec). The caller must make sure no buffered
// reader has read past the preceding attribute list: the byte carrying the
// descriptor must be consumed by this recvmsg, or the kernel drops the
// descriptor. Anything but exactly one descriptor in one SCM_RIGHTS message
// is ErrNoDescriptor; stray descriptors are closed so none leak.
func Recv(conn syscall.RawConn) (int, error) { return NewChannel(conn).Recv() }

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
