package masterstatus

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// epollWatch watches a blocking descriptor for readability through a
// private, non-blocking epoll descriptor registered with Go's poller.
type epollWatch struct {
	fd   int      // the watched descriptor (not owned)
	ep   *os.File // our epoll instance
	evts [1]unix.EpollEvent
}

func newEpollWatch(fd int) (*epollWatch, error) {
	ep, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("epoll_create1: %w", err)
	}
	ev := unix.EpollEvent{Events: unix.EPOLLIN | unix.EPOLLRDHUP, Fd: int32(fd)}
	if err := unix.EpollCtl(ep, unix.EPOLL_CTL_ADD, fd, &ev); err != nil {
		unix.Close(ep)
		return nil, fmt.Errorf("epoll_ctl: %w", err)
	}
	// Our own descriptor, so making it non-blocking affects nobody else;
	// os.NewFile then hands it to the runtime poller.
	if err := unix.SetNonblock(ep, true); err != nil {
		unix.Close(ep)
		return nil, err
	}
	return &epollWatch{fd: fd, ep: os.NewFile(uintptr(ep), "status-epoll")}, nil
}

// wait returns once the watched descriptor is readable, hung up, or in
// error, or when the epoll instance fails.
func (w *epollWatch) wait() {
	rc, err := w.ep.SyscallConn()
	if err != nil {
		return
	}
	for {
		ready := false
		err := rc.Read(func(fd uintptr) bool {
			n, err := unix.EpollWait(int(fd), w.evts[:], 0)
			if err == unix.EINTR || (err == nil && n == 0) {
				return false // nothing yet: wait in the poller
			}
			ready = err == nil && n > 0
			return true
		})
		if err != nil || !ready {
			return
		}
		// Readable: EOF (or, in theory, data, which master never sends).
		// A read cannot block now.
		var buf [16]byte
		n, rerr := unix.Read(w.fd, buf[:])
		if rerr == unix.EINTR || rerr == unix.EAGAIN {
			continue
		}
		if n == 0 || rerr != nil {
			return
		}
	}
}

func (w *epollWatch) close() { w.ep.Close() }
