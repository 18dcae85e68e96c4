// Package socktest gives tests a connected pair of AF_UNIX stream sockets
// as *net.UnixConn, the shape every descriptor-passing test needs.
package socktest

import (
	"net"
	"os"
	"testing"

	"golang.org/x/sys/unix"
)

// Pair returns both ends of a fresh socket pair; they are closed when the
// test ends.
func Pair(t testing.TB) (*net.UnixConn, *net.UnixConn) {
	t.Helper()
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatalf("socketpair: %v", err)
	}
	a, b := conn(t, fds[0]), conn(t, fds[1])
	return a, b
}

func conn(t testing.TB, fd int) *net.UnixConn {
	t.Helper()
	f := os.NewFile(uintptr(fd), "socktest")
	defer f.Close()
	c, err := net.FileConn(f)
	if err != nil {
		t.Fatalf("socket pair end: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c.(*net.UnixConn)
}
