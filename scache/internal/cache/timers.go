package cache

import (
	"container/heap"
	"time"
)

// timer is the expiry record of one session or one binding (exactly one of
// sess/bind is set). All timers share one min-heap so that Expire and the
// lazy expiry done by every operation only look at the heap top instead of
// scanning the whole cache.
type timer struct {
	deadline int64  // Unix seconds; due when the clock's whole second reaches it
	seq      uint64 // arming order, breaks ties like stock's timer queue
	idx      int    // heap position, -1 when not armed
	sess     *session
	bind     *binding
}

// timerHeap orders by deadline, then by arming order: stock appends a timer
// after those already queued for the same second, so entries that expire
// together are closed in the order they were saved (or last refreshed).
type timerHeap []*timer

func (h timerHeap) Len() int { return len(h) }
func (h timerHeap) Less(i, j int) bool {
	if h[i].deadline != h[j].deadline {
		return h[i].deadline < h[j].deadline
	}
	return h[i].seq < h[j].seq
}
func (h timerHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].idx = i
	h[j].idx = j
}
func (h *timerHeap) Push(x any) {
	t := x.(*timer)
	t.idx = len(*h)
	*h = append(*h, t)
}
func (h *timerHeap) Pop() any {
	old := *h
	t := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	t.idx = -1
	return t
}

// arm (re)starts t so that it fires at deadline. Re-arming gives t a fresh
// sequence number, which is what stock does to a reset timer (it moves
// behind the others of its new second).
func (c *Cache) arm(t *timer, deadline int64) {
	c.seq++
	t.deadline, t.seq = deadline, c.seq
	if t.idx < 0 {
		heap.Push(&c.timers, t)
	} else {
		heap.Fix(&c.timers, t.idx)
	}
}

func (c *Cache) disarm(t *timer) {
	if t.idx >= 0 {
		heap.Remove(&c.timers, t.idx)
	}
}

// expireLocked forgets every entry whose deadline is at or before the whole
// second of now, and returns the descriptors to close once the lock is
// released (closing is a system call and the entries are unreachable now).
func (c *Cache) expireLocked(now int64) (doomed []int) {
	for len(c.timers) > 0 && c.timers[0].deadline <= now {
		t := heap.Pop(&c.timers).(*timer)
		if t.sess != nil {
			c.unlinkSession(t.sess)
			doomed = append(doomed, t.sess.fd)
		} else {
			c.unlinkBinding(t.bind)
		}
	}
	return doomed
}

// Expire closes the sessions and forgets the bindings whose deadline is at
// or before now, truncated to whole seconds. Every other method already
// does this for the cache's own clock, so calling Expire from a timer only
// matters for closing idle sessions on time.
func (c *Cache) Expire(now time.Time) {
	c.mu.Lock()
	doomed := c.expireLocked(now.Unix())
	c.mu.Unlock()
	c.closeFDs(doomed)
}

// NextDeadline reports the earliest deadline in the cache, if any. Entries
// are due once the clock's whole second reaches it, as in stock.
func (c *Cache) NextDeadline() (time.Time, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.timers) == 0 {
		return time.Time{}, false
	}
	return time.Unix(c.timers[0].deadline, 0), true
}
