package fdpass

import (
	"errors"
	"net"
	"os"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/postfix-go/postfix-go/internal/socktest"
)

func raw(t *testing.T, c *net.UnixConn) syscall.RawConn {
	rc, err := c.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	return rc
}

func isBlocking(t *testing.T, fd int) bool {
	fl, err := unix.FcntlInt(uintptr(fd), unix.F_GETFL, 0)
	if err != nil {
		t.Fatal(err)
	}
	return fl&unix.O_NONBLOCK == 0
}

func TestSendRecvKeepsBlockingMode(t *testing.T) {
	a, b := socktest.Pair(t)
	var p [2]int
	if err := unix.Pipe(p[:]); err != nil {
		t.Fatal(err)
	}
	defer unix.Close(p[0])
	if err := Send(raw(t, a), p[1]); err != nil {
		t.Fatal(err)
	}
	unix.Close(p[1])
	got, err := Recv(raw(t, b))
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(got)
	if !isBlocking(t, got) {
		t.Error("received descriptor is non-blocking")
	}
	if _, err := unix.Write(got, []byte("x")); err != nil {
		t.Fatalf("write through passed fd: %v", err)
	}
	buf := make([]byte, 1)
	if n, _ := unix.Read(p[0], buf); n != 1 || buf[0] != 'x' {
		t.Errorf("read %d %q", n, buf)
	}
}

func TestWireFraming(t *testing.T) {
	a, b := socktest.Pair(t)
	if err := Send(raw(t, a), 0); err != nil {
		t.Fatal(err)
	}
	buf, oob := make([]byte, 16), make([]byte, 64)
	n, oobn, _, _, err := b.ReadMsgUnix(buf, oob)
	if err != nil {
		t.Fatal(err)
	}
	if n != 1 || buf[0] != 0 || oobn != unix.CmsgSpace(4) {
		t.Errorf("payload %q oob %d bytes, want one NUL and %d", buf[:n], oobn, unix.CmsgSpace(4))
	}
	for _, fd := range parseRights(oob[:oobn]) {
		unix.Close(fd)
	}
}

func TestRecvRejectsMissingOrExtraDescriptors(t *testing.T) {
	a, b := socktest.Pair(t)
	// A plain NUL without SCM_RIGHTS, as in scache-save_endp-nofd.
	if _, err := a.Write([]byte{0}); err != nil {
		t.Fatal(err)
	}
	if _, err := Recv(raw(t, b)); !errors.Is(err, ErrNoDescriptor) {
		t.Errorf("plain byte: %v", err)
	}
	// Two descriptors in one message: both must be closed by Recv.
	before := countFDs(t)
	if _, _, err := a.WriteMsgUnix([]byte{0}, unix.UnixRights(0, 1), nil); err != nil {
		t.Fatal(err)
	}
	if _, err := Recv(raw(t, b)); !errors.Is(err, ErrNoDescriptor) {
		t.Errorf("two fds: %v", err)
	}
	if after := countFDs(t); after != before {
		t.Errorf("descriptors leaked: %d before, %d after", before, after)
	}
	a.Close()
	if _, err := Recv(raw(t, b)); err == nil {
		t.Error("EOF accepted")
	}
}

func countFDs(t *testing.T) int {
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skip("no /proc")
	}
	return len(ents)
}
