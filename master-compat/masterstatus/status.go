// Package masterstatus speaks the status channel that master(8) hands every
// child on descriptor 5: 12-byte records {pid, generation, avail} in host
// byte order, TAKEN (0) when work starts and AVAIL (1) when it ends, and an
// end-of-file on the same descriptor when master reloads or goes away.
//
// Descriptor 5 is shared by every process of the service and by master, so
// it is used only with plain blocking read(2)/write(2) calls: changing its
// O_NONBLOCK flag would change it for the C siblings too.
package masterstatus

import (
	"encoding/binary"
	"fmt"
	"strconv"
	"sync"
	"unsafe"

	"golang.org/x/sys/unix"
)

// FD is the status descriptor master(8) passes (MASTER_STATUS_FD).
const FD = 5

// Record values (MASTER_STAT_TAKEN, MASTER_STAT_AVAIL).
const (
	Taken = 0
	Avail = 1
)

// Encode lays out one status record. x86_64 and arm64 are little-endian,
// which is the host order master(8) reads.
func Encode(pid int32, gen uint32, avail int32) [12]byte {
	var b [12]byte
	binary.NativeEndian.PutUint32(b[0:], uint32(pid))
	binary.NativeEndian.PutUint32(b[4:], gen)
	binary.NativeEndian.PutUint32(b[8:], uint32(avail))
	return b
}

// ParseGeneration reads master's GENERATION variable, which is octal.
// Absent means 0, as in the C skeletons; anything but digits is an error.
func ParseGeneration(env string) (uint32, error) {
	if env == "" {
		return 0, nil
	}
	g, err := strconv.ParseUint(env, 8, 32)
	if err != nil {
		return 0, fmt.Errorf("bad generation: %s", env)
	}
	return uint32(g), nil
}

// Channel reports busy/idle to master. Begin and End nest: with several
// clients served at once (multi and event models) master sees TAKEN when
// the first unit of work starts and AVAIL when the last one ends, which is
// what it needs to decide whether to fork another process.
type Channel struct {
	fd  int
	pid int32
	gen uint32

	mu   sync.Mutex
	busy int
	rec  [12]byte // the record being written, kept off the stack for the raw call
}

// New returns a channel writing on fd for the given pid and generation.
func New(fd int, pid int, gen uint32) *Channel {
	return &Channel{fd: fd, pid: int32(pid), gen: gen}
}

// Begin marks the start of a unit of work. Postfix ignores a failed TAKEN
// write, and so do we: the following AVAIL will tell.
func (c *Channel) Begin() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.busy == 0 {
		c.write(Taken)
	}
	c.busy++
}

// End marks the end of a unit of work. An error means master is gone
// (the write failed) and the process should exit.
func (c *Channel) End() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.busy--
	if c.busy > 0 {
		return nil
	}
	c.busy = 0
	return c.write(Avail)
}

func (c *Channel) write(avail int32) error {
	c.rec = Encode(c.pid, c.gen, avail)
	// A raw call: 12 bytes into a socket that master keeps draining do
	// not block, and skipping the scheduler's syscall bookkeeping matters
	// when the update is sent around every request (see package rawio).
	// Were master to stop reading, this thread would wait here, as the
	// single-threaded C daemons do.
	var n uintptr
	var e unix.Errno
	for {
		n, _, e = unix.RawSyscall(unix.SYS_WRITE, uintptr(c.fd), uintptr(unsafe.Pointer(&c.rec[0])), uintptr(len(c.rec)))
		if e != unix.EINTR {
			break
		}
	}
	if e != 0 {
		return fmt.Errorf("master status update: %w", e)
	}
	if int(n) != len(c.rec) {
		return fmt.Errorf("master status update: short write (%d bytes)", n)
	}
	return nil
}

// WatchEOF returns a channel that is closed when master closes its end of
// the status socket (reload, stop, or master death). Nobody ever writes to
// a child on this descriptor, so any readiness means "go away".
//
// Descriptor 5 must stay blocking (it is shared), so it cannot join Go's
// poller directly. Instead it is watched through an epoll instance of our
// own, which is pollable itself: the wait costs no thread. Should that
// fail, a thread blocked in read(2) does the same job.
func (c *Channel) WatchEOF() <-chan struct{} {
	done := make(chan struct{})
	if w, err := newEpollWatch(c.fd); err == nil {
		go func() {
			defer close(done)
			defer w.close()
			w.wait()
		}()
		return done
	}
	go func() {
		defer close(done)
		buf := make([]byte, 16)
		for {
			n, err := unix.Read(c.fd, buf)
			if err == unix.EINTR {
				continue
			}
			if n == 0 || err != nil {
				return
			}
		}
	}()
	return done
}
