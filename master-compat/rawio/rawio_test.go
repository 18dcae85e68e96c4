package rawio

import (
	"bytes"
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/postfix-go/postfix-go/internal/socktest"
)

func wrap(t *testing.T, c *net.UnixConn) *Conn {
	rc, err := c.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	return New(rc)
}

func TestLargeWriteAndRead(t *testing.T) {
	a, b := socktest.Pair(t)
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
	a, b := socktest.Pair(t)
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
