package cache

import (
	"slices"
	"sync"
	"testing"
	"time"
)

// base is a whole second, so offsets in tests read as "second.fraction".
var base = time.Date(2024, time.November, 29, 5, 41, 13, 0, time.Local)

// fakeClock is a settable clock shared with the cache under test.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (f *fakeClock) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

func (f *fakeClock) set(sec float64) {
	f.mu.Lock()
	f.now = base.Add(time.Duration(sec * float64(time.Second)))
	f.mu.Unlock()
}

// closeLog records the descriptors the cache closes instead of closing them.
type closeLog struct {
	mu     sync.Mutex
	closed []int
}

func (l *closeLog) close(fd int) error {
	l.mu.Lock()
	l.closed = append(l.closed, fd)
	l.mu.Unlock()
	return nil
}

// take returns the closes since the previous call.
func (l *closeLog) take() []int {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := l.closed
	l.closed = nil
	return out
}

// harness bundles a cache with a fake clock and close log, and offers the
// steps the table-driven tests are written in.
type harness struct {
	t     *testing.T
	clock *fakeClock
	log   *closeLog
	c     *Cache
}

func newHarness(t *testing.T, ttlLimit int) *harness {
	h := &harness{t: t, clock: &fakeClock{now: base}, log: &closeLog{}}
	h.c = New(Config{TTLLimit: ttlLimit, Now: h.clock.Now, CloseFD: h.log.close})
	return h
}

type step func(h *harness)

func at(sec float64) step { return func(h *harness) { h.clock.set(sec) } }

func expire() step { return func(h *harness) { h.c.Expire(h.clock.Now()) } }

func saveE(ttl int, label, prop string, fd int) step {
	return func(h *harness) {
		h.t.Helper()
		if err := h.c.SaveEndp(ttl, label, prop, fd); err != nil {
			h.t.Fatalf("SaveEndp(%d, %q, %q, %d): %v", ttl, label, prop, fd, err)
		}
	}
}

func saveD(ttl int, dest, prop, endp string) step {
	return func(h *harness) {
		h.t.Helper()
		if err := h.c.SaveDest(ttl, dest, prop, endp); err != nil {
			h.t.Fatalf("SaveDest(%d, %q, %q, %q): %v", ttl, dest, prop, endp, err)
		}
	}
}

func findE(label, wantProp string, wantFD int) step {
	return func(h *harness) {
		h.t.Helper()
		prop, fd, ok := h.c.FindEndp(label)
		if !ok || prop != wantProp || fd != wantFD {
			h.t.Fatalf("FindEndp(%q) = %q, %d, %v; want %q, %d, true", label, prop, fd, ok, wantProp, wantFD)
		}
	}
}

func missE(label string) step {
	return func(h *harness) {
		h.t.Helper()
		if prop, fd, ok := h.c.FindEndp(label); ok || prop != "" || fd != -1 {
			h.t.Fatalf("FindEndp(%q) = %q, %d, %v; want miss", label, prop, fd, ok)
		}
	}
}

func findD(label, wantDP, wantEP string, wantFD int) step {
	return func(h *harness) {
		h.t.Helper()
		dp, ep, fd, ok := h.c.FindDest(label)
		if !ok || dp != wantDP || ep != wantEP || fd != wantFD {
			h.t.Fatalf("FindDest(%q) = %q, %q, %d, %v; want %q, %q, %d, true", label, dp, ep, fd, ok, wantDP, wantEP, wantFD)
		}
	}
}

func missD(label string) step {
	return func(h *harness) {
		h.t.Helper()
		if dp, ep, fd, ok := h.c.FindDest(label); ok || dp != "" || ep != "" || fd != -1 {
			h.t.Fatalf("FindDest(%q) = %q, %q, %d, %v; want miss", label, dp, ep, fd, ok)
		}
	}
}

// closed checks exactly which descriptors were closed since the last check.
func closed(fds ...int) step {
	return func(h *harness) {
		h.t.Helper()
		if got := h.log.take(); !slices.Equal(got, fds) {
			h.t.Fatalf("closed %v; want %v", got, fds)
		}
	}
}

func sizes(dest, endp, sess int) step {
	return func(h *harness) {
		h.t.Helper()
		if got, want := h.c.Sizes(), (Sizes{dest, endp, sess}); got != want {
			h.t.Fatalf("Sizes() = %+v; want %+v", got, want)
		}
	}
}

func deadline(sec int64, ok bool) step {
	return func(h *harness) {
		h.t.Helper()
		d, gotOK := h.c.NextDeadline()
		if gotOK != ok || (ok && d.Unix() != base.Unix()+sec) {
			h.t.Fatalf("NextDeadline() = %v, %v; want base+%ds, %v", d, gotOK, sec, ok)
		}
	}
}

func statsLines(want ...string) step {
	return func(h *harness) {
		h.t.Helper()
		got := h.c.StatsLines(h.clock.Now())
		if !slices.Equal(got, want) {
			h.t.Fatalf("StatsLines:\n got %q\nwant %q", got, want)
		}
	}
}
