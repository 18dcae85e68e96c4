package agent

import (
	"net"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// Descriptor modes. The cached descriptor is the plain TCP socket, and
// it is in BLOCKING mode whenever it is in scache's hands, because a
// stock smtp process may take it over and stock uses blocking I/O with
// its own timeouts. Go's net package wants non-blocking sockets, and
// O_NONBLOCK is a property of the shared open file description, not of
// one descriptor. So:
//
//   - taking a socket from scache: net.FileConn dups it and sets
//     O_NONBLOCK (on the shared description); the received descriptor is
//     closed at once, so this process is the sole owner while it uses it;
//   - saving: after the last I/O the socket is dup'd (F_DUPFD_CLOEXEC),
//     O_NONBLOCK is cleared on the description through the dup, the
//     net.Conn is closed without further I/O, and the dup is handed to
//     scache (the client closes our copy afterwards).
//
// With tlsproxy the cached descriptor is the smtp side of the tlsproxy
// UNIX socket instead of the TCP socket; the same rules apply to it.

// fdConn wraps a descriptor received from scache and takes ownership
// of it (see the comment at the top about O_NONBLOCK).
func fdConn(fd int) (net.Conn, error) {
	f := os.NewFile(uintptr(fd), "scache")
	conn, err := net.FileConn(f)
	f.Close()
	return conn, err
}

// detachFD returns a blocking duplicate of conn's socket for scache.
// conn must not be used for I/O afterwards.
func detachFD(conn net.Conn) (int, error) {
	sc, ok := conn.(syscall.Conn)
	if !ok {
		return -1, syscall.EINVAL
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return -1, err
	}
	nfd, derr := -1, error(nil)
	if err := raw.Control(func(fd uintptr) {
		nfd, derr = unix.FcntlInt(fd, unix.F_DUPFD_CLOEXEC, 0)
	}); err != nil {
		return -1, err
	}
	if derr != nil {
		return -1, derr
	}
	fl, err := unix.FcntlInt(uintptr(nfd), unix.F_GETFL, 0)
	if err == nil && fl&unix.O_NONBLOCK != 0 {
		_, err = unix.FcntlInt(uintptr(nfd), unix.F_SETFL, fl&^unix.O_NONBLOCK)
	}
	if err != nil {
		unix.Close(nfd)
		return -1, err
	}
	return nfd, nil
}
