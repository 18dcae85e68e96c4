package rawio

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func pair(t *testing.T) (*net.UnixConn, *net.UnixConn) {
	t.Helper()
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	conn := func(fd int) *net.UnixConn {
		f := os.NewFile(uintptr(fd), "p")
		defer f.Close()
		c, err := net.FileConn(f)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c.(*net.UnixConn)
	}
	return conn(fds[0]), conn(fds[1])
}

func wrap(t *testing.T, c *net.UnixConn) *Conn {
	rc, err := c.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	return New(rc)
}

func TestLargeWriteAndRead(t *testing.T) {
	a, b := pair(t)
	w, r := wrap(t, a), wrap(t, b)
	// Bigger than a socket buffer: the writer must wait in the poller.
	msg := bytes.Repeat([]byte("0123456789"), 200_000)
	done := make(chan error, 1)
	go func() {
		n, err := w.Write(msg)
		if err == nil && n != len(msg) {
			err = io.ErrShortWrite
		}
		a.CloseWrite()
		done <- err
	}()
	got, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, msg) {
		t.Fatalf("read %d bytes, want %d", len(got), len(msg))
	}
}

func TestDeadlineAndErrors(t *testing.T) {
	a, b := pair(t)
	r := wrap(t, b)
	b.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
	var ne net.Error
	if _, err := r.Read(make([]byte, 8)); !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("read without data: %v, want a timeout", err)
	}
	w := wrap(t, a)
	b.Close()
	_, err := w.Write([]byte("x"))
	for i := 0; err == nil && i < 10; i++ {
		_, err = w.Write([]byte("x"))
	}
	if !errors.Is(err, unix.EPIPE) && !errors.Is(err, unix.ECONNRESET) {
		t.Fatalf("write to a closed peer: %v", err)
	}
}
