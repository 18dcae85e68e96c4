package conformance

import (
	"time"

	"golang.org/x/sys/unix"
)

// The descriptors we cache stand in for smtp(8)'s sessions. They are raw,
// blocking socketpair ends that never meet Go's poller: wrapping one in
// an os.File or net.Conn would make it non-blocking ourselves and spoil
// the check that the servers leave the blocking mode alone.

// pair is a connected socketpair: remote goes into the cache, local stays
// with the test to talk through, or to watch for the server closing
// remote (EOF on local once no copy of remote is left open).
type pair struct{ local, remote int }

func (s *session) socketpair() pair {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		s.fatalf("socketpair: %v", err)
	}
	s.track(fds[0])
	s.track(fds[1])
	return pair{local: fds[0], remote: fds[1]}
}

func (s *session) track(fd int) { s.fds[fd] = true }

// closeFD closes a descriptor we own, e.g. our copy after save_endp, as
// smtp(8) does.
func (s *session) closeFD(fd int) {
	delete(s.fds, fd)
	closeRaw(fd)
}

func closeRaw(fd int) { unix.Close(fd) }

func (s *session) write(fd int, data string) {
	if _, err := unix.Write(fd, []byte(data)); err != nil {
		s.fatalf("write to descriptor: %v", err)
	}
}

// read waits (bounded) for up to n bytes on a blocking descriptor.
func (s *session) read(fd, n int) string {
	if !readable(fd, ioTimeout) {
		s.fatalf("descriptor: nothing to read within %v", ioTimeout)
	}
	buf := make([]byte, n)
	m, err := unix.Read(fd, buf)
	if err != nil {
		s.fatalf("read from descriptor: %v", err)
	}
	return string(buf[:m])
}

// carries proves that fd, handed back by the server, is the session we
// cached: it delivers the marker written on the other end before the
// save, and a reply written through it arrives there.
func (s *session) carries(fd, local int, marker string) {
	got := s.read(fd, 100)
	s.write(fd, "reply-"+marker)
	back := s.read(local, 100)
	s.note("descriptor carries %q, peer got %q", got, back)
	if got != marker || back != "reply-"+marker {
		s.errorf("descriptor carries %q and passed back %q, want %q and %q", got, back, marker, "reply-"+marker)
	}
}

// blocking records and checks that fd's open file description is still
// blocking. Descriptors passed with SCM_RIGHTS share it, so a server that
// set O_NONBLOCK on its copy would show here.
func (s *session) blocking(fd int, what string) {
	fl, err := unix.FcntlInt(uintptr(fd), unix.F_GETFL, 0)
	if err != nil {
		s.fatalf("F_GETFL: %v", err)
	}
	nb := fl&unix.O_NONBLOCK != 0
	s.note("%s: O_NONBLOCK=%v", what, nb)
	if nb {
		s.errorf("%s: O_NONBLOCK is set (flags %#x); a stock smtp expects a blocking socket", what, fl)
	}
}

// waitEOF waits until the server closed the last copy of the other end:
// a cached session expired or was dropped. Only the fact is recorded,
// never the time, which is only logged.
func (s *session) waitEOF(local int, limit time.Duration) {
	start := time.Now()
	deadline := start.Add(limit)
	buf := make([]byte, 100)
	for {
		left := time.Until(deadline)
		if left <= 0 || !readable(local, left) {
			s.note("peer: still open after %v", limit)
			s.fatalf("cached descriptor not closed by the server within %v", limit)
		}
		n, err := unix.Read(local, buf)
		if err != nil {
			s.fatalf("read peer: %v", err)
		}
		if n == 0 {
			s.note("peer: EOF")
			s.t.Logf("%s: server closed the cached descriptor after %v", s.srv.label, time.Since(start).Round(time.Millisecond))
			return
		}
		s.note("peer: unexpected data %q", buf[:n])
	}
}

// readable polls fd, retrying on EINTR, until it is readable (data, EOF
// or error) or timeout passes.
func readable(fd int, timeout time.Duration) bool {
	deadline := time.Now().Add(timeout)
	for {
		ms := int(time.Until(deadline) / time.Millisecond)
		if ms <= 0 {
			return false
		}
		p := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
		n, err := unix.Poll(p, ms)
		if err == unix.EINTR {
			continue
		}
		return err == nil && n > 0
	}
}
