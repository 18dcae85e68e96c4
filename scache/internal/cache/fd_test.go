package cache

import (
	"math/rand/v2"
	"os"
	"sync"
	"syscall"
	"testing"
)

// ownedFDs tracks which real descriptors the cache currently owns, so the
// injected closer can tell a first close from a double one.
type ownedFDs struct {
	t    *testing.T
	mu   sync.Mutex
	live map[int]bool
	n    int // closes done by the cache
}

func (o *ownedFDs) give(fd int) {
	o.mu.Lock()
	o.live[fd] = true
	o.mu.Unlock()
}

// takeBack is for descriptors a find handed to the caller.
func (o *ownedFDs) takeBack(fd int) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if !o.live[fd] {
		o.t.Errorf("find returned fd %d the cache does not own", fd)
	}
	delete(o.live, fd)
}

func (o *ownedFDs) close(fd int) error {
	o.mu.Lock()
	if !o.live[fd] {
		o.t.Errorf("cache closed fd %d it does not own (double close?)", fd)
	}
	delete(o.live, fd)
	o.n++
	o.mu.Unlock()
	err := syscall.Close(fd)
	if err != nil {
		o.t.Errorf("close(%d): %v", fd, err)
	}
	return err
}

func openFDs(t *testing.T) int {
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skipf("cannot count descriptors: %v", err)
	}
	return len(ents)
}

// TestRealDescriptorsClosedExactlyOnce runs 10,000 save/find/expire cycles
// on real sockets and checks that every descriptor the cache took is
// either handed back by a find or closed by the cache, exactly once, and
// that the process ends with the descriptors it started with.
func TestRealDescriptorsClosedExactlyOnce(t *testing.T) {
	const cycles = 10000
	before := openFDs(t)
	owned := &ownedFDs{t: t, live: make(map[int]bool)}
	clock := &fakeClock{now: base}
	c := New(Config{TTLLimit: 2, Now: clock.Now, CloseFD: owned.close})
	rng := rand.New(rand.NewPCG(1, 2))
	labels := []string{"E0", "E1", "E2", "E3", "E4"}
	saved, found := 0, 0
	foundFD := func(fd int, ok bool) {
		if !ok {
			return
		}
		found++
		owned.takeBack(fd)
		if err := syscall.Close(fd); err != nil {
			t.Errorf("closing found fd %d: %v", fd, err)
		}
	}
	for i := range cycles {
		clock.set(float64(i) * 0.25)
		pair, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM, 0)
		if err != nil {
			t.Fatalf("socketpair: %v", err)
		}
		syscall.Close(pair[1]) // the cached end stays a valid descriptor
		label := labels[rng.IntN(len(labels))]
		owned.give(pair[0])
		if err := c.SaveEndp(1+rng.IntN(3), label, "p", pair[0]); err != nil {
			t.Fatalf("SaveEndp: %v", err)
		}
		saved++
		if rng.IntN(3) == 0 {
			c.SaveDest(1+rng.IntN(3), "D", label, label)
		}
		switch rng.IntN(4) {
		case 0:
			_, fd, ok := c.FindEndp(labels[rng.IntN(len(labels))])
			foundFD(fd, ok)
		case 1:
			_, _, fd, ok := c.FindDest("D")
			foundFD(fd, ok)
		}
		c.Expire(clock.Now())
	}
	if owned.n == 0 || found == 0 {
		t.Fatalf("test exercised too little: %d expiry closes, %d finds", owned.n, found)
	}
	c.DropAll()
	if len(owned.live) != 0 {
		t.Errorf("%d descriptors still owned after DropAll", len(owned.live))
	}
	if owned.n+found != saved {
		t.Errorf("closed %d + found %d != saved %d", owned.n, found, saved)
	}
	if after := openFDs(t); after != before {
		t.Errorf("open descriptors: %d before, %d after", before, after)
	}
}
