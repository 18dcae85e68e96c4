// Package cache is the in-memory store of scache(8): cached SMTP sessions
// (open descriptors) per endpoint label, and destination → endpoint
// bindings per destination label, each with a whole-second expiry and the
// statistics that stock scache logs. It knows nothing about the wire
// protocol and is safe for concurrent use.
//
// Descriptors are plain ints as received by SCM_RIGHTS. The cache never
// wraps them or changes their flags: a cached socket must reach the next
// smtp(8) process exactly as it was handed in. It only closes them, on
// expiry, DropAll and Close; a successful find transfers ownership to the
// caller.
//
// Deadlines are whole seconds, as in stock. Every call first drops what
// is due, so a find never returns an expired entry; a server also calls
// Expire about once a second so that idle entries are closed on time.
package cache

import (
	"errors"
	"sync"
	"syscall"
	"time"
)

// DefaultTTLLimit is the stock connection_cache_ttl_limit, in seconds.
const DefaultTTLLimit = 2

var (
	// ErrBadTTL rejects ttl <= 0; stock answers such saves with status 1.
	ErrBadTTL = errors.New("cache: ttl must be positive")
	// ErrBadFD rejects a negative descriptor.
	ErrBadFD = errors.New("cache: invalid file descriptor")
	// ErrClosed rejects saves after Close.
	ErrClosed = errors.New("cache: closed")
)

// Config holds the cache's tunables and the hooks tests replace.
type Config struct {
	// TTLLimit caps every requested ttl, in seconds
	// (connection_cache_ttl_limit). Values <= 0 select DefaultTTLLimit.
	TTLLimit int
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// CloseFD closes a cached descriptor; nil means syscall.Close.
	CloseFD func(fd int) error
	// OnCloseError, if set, learns of failed closes (stock logs a warning
	// "close(%d): %m" and carries on).
	OnCloseError func(fd int, err error)
}

// Sizes are the figures stock samples for "max simultaneous".
type Sizes struct {
	Dest int // destination labels with at least one binding
	Endp int // endpoint labels with at least one session
	Sess int // cached sessions
}

// Cache is the connection cache. The zero value is not usable; call New.
type Cache struct {
	ttlLimit   int
	now        func() time.Time
	closeFD    func(int) error
	onCloseErr func(int, error)

	mu        sync.Mutex
	endps     map[string]*endpoint
	dests     map[string]*destination
	sessCount int
	timers    timerHeap
	seq       uint64
	st        stats
	closed    bool
}

// New returns an empty cache whose first statistics interval starts now.
func New(cfg Config) *Cache {
	c := &Cache{
		ttlLimit:   cfg.TTLLimit,
		now:        cfg.Now,
		closeFD:    cfg.CloseFD,
		onCloseErr: cfg.OnCloseError,
		endps:      make(map[string]*endpoint),
		dests:      make(map[string]*destination),
	}
	if c.ttlLimit <= 0 {
		c.ttlLimit = DefaultTTLLimit
	}
	if c.now == nil {
		c.now = time.Now
	}
	if c.closeFD == nil {
		c.closeFD = syscall.Close
	}
	c.st.start = c.now()
	return c
}

// locked runs f under the lock after expiring what the clock says is due,
// so a find never returns an entry whose time is up merely because the
// server's timer goroutine has not run yet (stock runs due timers before
// serving I/O in each loop). Descriptors are closed after unlocking.
func (c *Cache) locked(f func(now int64)) {
	now := c.now().Unix()
	c.mu.Lock()
	doomed := c.expireLocked(now)
	f(now)
	c.mu.Unlock()
	c.closeFDs(doomed)
}

func (c *Cache) closeFDs(fds []int) {
	for _, fd := range fds {
		if err := c.closeFD(fd); err != nil && c.onCloseErr != nil {
			c.onCloseErr(fd, err)
		}
	}
}

// Sizes reports the current table sizes.
func (c *Cache) Sizes() (s Sizes) {
	c.locked(func(int64) {
		s = Sizes{Dest: len(c.dests), Endp: len(c.endps), Sess: c.sessCount}
	})
	return s
}

// DropAll forgets everything and closes every cached descriptor, oldest
// first per endpoint. Statistics are kept.
func (c *Cache) DropAll() {
	c.mu.Lock()
	var doomed []int
	for _, ep := range c.endps {
		for e := ep.sessions.head; e != nil; e = e.next {
			doomed = append(doomed, e.val.fd)
		}
	}
	c.endps = make(map[string]*endpoint)
	c.dests = make(map[string]*destination)
	c.sessCount = 0
	c.timers = nil
	c.mu.Unlock()
	c.closeFDs(doomed)
}

// Close is DropAll plus refusing later saves, so that a request still in
// flight during shutdown cannot leave a descriptor behind in the cache.
func (c *Cache) Close() {
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
	c.DropAll()
}

// deadline counts from the whole second of now, as stock's timers do, so an
// entry may live up to a second less than its ttl.
func (c *Cache) deadline(now int64, ttl int) int64 {
	return now + int64(min(ttl, c.ttlLimit))
}
