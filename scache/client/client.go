package client

import (
	"fmt"
	"io"
	"net"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/postfix-go/postfix-go/master-compat/attr"
	"github.com/postfix-go/postfix-go/master-compat/errno"
)

// Defaults of the stock parameters behind a Client.
const (
	DefaultTimeout     = 5 * time.Second    // connection_cache_protocol_timeout
	DefaultIdleTimeout = 5 * time.Second    // ipc_idle
	DefaultTTL         = 1000 * time.Second // ipc_ttl
)

// The stock retry policy (scache_clnt.c): SCACHE_MAX_TRIES attempts with
// a fixed pause between them.
const (
	maxTries   = 2
	retryPause = time.Second
)

// Options configure a Client. Zero values select the stock defaults.
type Options struct {
	// Timeout bounds the connect and every exchange
	// (connection_cache_protocol_timeout).
	Timeout time.Duration
	// IdleTimeout closes a connection that has not been used for this
	// long (ipc_idle); negative never does.
	IdleTimeout time.Duration
	// TTL closes a connection this long after it was opened, busy or not
	// (ipc_ttl); the next request reconnects. Negative never does.
	TTL time.Duration
	// Warn receives warning texts without the "warning: " prefix; nil
	// discards them.
	Warn func(string)
	// Verbose, when set, turns on what stock logs under -v: info lines
	// go here and every communication problem is warned about.
	Verbose func(string)
	// Sleep is the pause between two tries; nil means time.Sleep.
	Sleep func(time.Duration)
	// Now is the clock for the idle and ttl checks; nil means time.Now.
	Now func() time.Time
}

// Client is the connection cache client of one smtp(8)/lmtp(8) process,
// with the stock policy around Conn: connect on first use, reconnect
// after ipc_idle or ipc_ttl, two tries per operation and, once the
// second fails, caching disabled for the life of the Client. Caching is
// best effort, so no method returns an error: a problem costs at most
// the retry pause and then a cache miss.
//
// The methods are safe for concurrent use but run one at a time; an
// operation holds the Client for its whole duration, as the stock
// synchronous client does. Callbacks in Options must not call back
// into the Client.
type Client struct {
	path               string
	timeout, idle, ttl time.Duration
	warn               func(string)
	verbose            func(string)
	sleep              func(time.Duration)
	now                func() time.Time

	mu               sync.Mutex  // guards everything below
	conn             *Conn       // nil while disconnected
	opened, used     time.Time   // by now(): connect and last use
	gen              uint64      // bumped on every use and disconnect
	idleTimer        *time.Timer // closes conn after idle without use
	disabled, closed bool
}

// New returns a client for the server socket at path, e.g.
// "private/scache" relative to the queue directory. The path appears in
// warnings verbatim, as the endpoint does in stock ones. Nothing is
// connected until the first request.
func New(path string, opts Options) *Client {
	c := &Client{
		path:    path,
		timeout: opts.Timeout,
		idle:    opts.IdleTimeout,
		ttl:     opts.TTL,
		warn:    opts.Warn,
		verbose: opts.Verbose,
		sleep:   opts.Sleep,
		now:     opts.Now,
	}
	if c.timeout <= 0 {
		c.timeout = DefaultTimeout
	}
	if c.idle == 0 {
		c.idle = DefaultIdleTimeout
	}
	if c.ttl == 0 {
		c.ttl = DefaultTTL
	}
	if c.warn == nil {
		c.warn = func(string) {}
	}
	if c.sleep == nil {
		c.sleep = time.Sleep
	}
	if c.now == nil {
		c.now = time.Now
	}
	return c
}

// SaveEndp offers fd, an idle session to the endpoint label, for reuse
// within ttl seconds. It always closes fd, whatever happens: the server
// holds its own copy when the save worked. ttl must be positive.
func (c *Client) SaveEndp(ttl int, label, prop string, fd int) {
	const myname = "scache_clnt_save_endp"
	c.verbosef("%s: endp=%s prop=%s fd=%d", myname, label, prop, fd)
	if ttl <= 0 {
		// A caller bug; stock panics too (msg_panic).
		panic(fmt.Sprintf("%s: bad endp_ttl: %d", myname, ttl))
	}
	c.mu.Lock()
	c.run(true, func(conn *Conn) error {
		status, err := conn.SaveEndp(ttl, label, prop, fd)
		if err == nil && status != StatOK && c.verbose != nil {
			c.warnf("%s: descriptor save failed with status %d", myname, status)
		}
		return err
	})
	c.mu.Unlock()
	if err := syscall.Close(fd); err != nil {
		c.warnf("%s: close(%d): %s", myname, fd, errno.Text(errno.Of(err)))
	}
}

// FindEndp takes a cached session to the endpoint label. On a hit the
// caller owns fd; on a miss (or with caching disabled) ok is false and
// fd is -1.
func (c *Client) FindEndp(label string) (prop string, fd int, ok bool) {
	const myname = "scache_clnt_find_endp"
	fd = -1
	c.mu.Lock()
	defer c.mu.Unlock()
	c.run(false, func(conn *Conn) error {
		status, p, f, err := conn.FindEndp(label)
		switch {
		case err != nil:
			return err
		case status != StatOK:
			c.verbosef("%s: not found: %s", myname, label)
		default:
			prop, fd, ok = p, f, true
			c.verbosef("%s: endp=%s prop=%s fd=%d", myname, label, prop, fd)
		}
		return nil
	})
	return prop, fd, ok
}

// SaveDest binds the destination label to the endpoint label for ttl
// seconds. A status other than OK is ignored, as in stock. ttl must be
// positive.
func (c *Client) SaveDest(ttl int, destLabel, destProp, endpLabel string) {
	const myname = "scache_clnt_save_dest"
	c.verbosef("%s: dest_label=%s dest_prop=%s endp_label=%s", myname, destLabel, destProp, endpLabel)
	if ttl <= 0 {
		panic(fmt.Sprintf("%s: bad dest_ttl: %d", myname, ttl))
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.run(false, func(conn *Conn) error {
		status, err := conn.SaveDest(ttl, destLabel, destProp, endpLabel)
		if err == nil && status != StatOK && c.verbose != nil {
			c.warnf("%s: destination save failed with status %d", myname, status)
		}
		return err
	})
}

// FindDest takes a cached session for the destination label. On a hit
// the caller owns fd; on a miss ok is false and fd is -1.
func (c *Client) FindDest(label string) (destProp, endpProp string, fd int, ok bool) {
	const myname = "scache_clnt_find_dest"
	fd = -1
	c.mu.Lock()
	defer c.mu.Unlock()
	c.run(false, func(conn *Conn) error {
		status, dp, ep, f, err := conn.FindDest(label)
		switch {
		case err != nil:
			return err
		case status != StatOK:
			c.verbosef("%s: not found: %s", myname, label)
		default:
			destProp, endpProp, fd, ok = dp, ep, f, true
			c.verbosef("%s: dest=%s dest_prop=%s endp_prop=%s fd=%d", myname, label, destProp, endpProp, fd)
		}
		return nil
	})
	return destProp, endpProp, fd, ok
}

// Disabled reports whether caching was given up after repeated failures.
func (c *Client) Disabled() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.disabled
}

// Close drops the connection and stops the idle timer. Later calls act
// as if caching were disabled, without logging (SaveEndp still closes
// its descriptor).
func (c *Client) Close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = true
	c.disconnect()
}

// run performs one operation with the stock retry policy
// (scache_clnt_*): up to maxTries attempts, a pause and a new connection
// between them, and after the last failure caching is off for good.
// Which failures are worth a warning follows stock to the letter, since
// operators grep for these lines: EPIPE and ENOENT (a server that went
// away) stay quiet, and save_endp also hides errno-less failures on its
// first attempt. The caller holds mu.
func (c *Client) run(saveEndp bool, op func(*Conn) error) {
	count := 0 // attempts that reached the server (stock's "count")
	for tries := 0; !c.disabled && !c.closed; tries++ {
		if conn := c.access(); conn != nil {
			count++
			err := op(conn)
			if err == nil {
				c.touch()
				return
			}
			e := errno.Of(err)
			gone := e == syscall.EPIPE || e == syscall.ENOENT
			show := c.verbose != nil || !gone
			if saveEndp {
				show = c.verbose != nil || count > 1 || (e != 0 && !gone)
			}
			if show {
				c.warnf("problem talking to service %s: %s", c.path, errno.Text(e))
			}
		}
		if tries >= maxTries-1 {
			c.warnf("disabling connection caching")
			c.disabled = true
			c.disconnect()
			return
		}
		c.sleep(retryPause)
		c.disconnect()
	}
}

// access returns a connection ready for a request, or nil after a
// failed connect or handshake (already warned about), like
// auto_clnt_access. An existing connection is first dropped when it
// outlived ipc_idle or ipc_ttl, or when the server hung up or spoke out
// of turn since the last request: stock closes the stream on that read
// event from its event loop, so it reconnects without a failed try.
func (c *Client) access() *Conn {
	if c.conn != nil {
		now := c.now()
		if (c.idle > 0 && now.Sub(c.used) >= c.idle) ||
			(c.ttl > 0 && now.Sub(c.opened) >= c.ttl) ||
			c.conn.readable() {
			c.disconnect()
		}
	}
	if c.conn != nil {
		c.used = c.now()
		return c.conn
	}
	d := net.Dialer{Timeout: c.timeout}
	nc, err := d.Dial("unix", c.path)
	if err != nil {
		c.warnf("connect to %s: %s", c.path, errno.Text(errno.Of(err)))
		return nil
	}
	c.verbosef("auto_clnt_open: connected to %s", c.path)
	uc := nc.(*net.UnixConn)
	// The scanner reads through a sticky reader: a VSTREAM keeps its
	// error flag, and that decides how the stock client fails against a
	// server that never sends its announcement (see handshake).
	conn, err := newConn(uc, c.path, c.timeout, c.warn, &stickyReader{r: uc})
	if err != nil {
		uc.Close()
		c.warnf("connect to %s: %s", c.path, errno.Text(errno.Of(err)))
		return nil
	}
	c.conn = conn
	c.opened = c.now()
	c.used = c.opened
	if !c.conn.handshake() {
		// Left open, as auto_clnt does; run's recovery closes it.
		return nil
	}
	return c.conn
}

// touch records a completed operation and restarts the idle timer.
func (c *Client) touch() {
	c.used = c.now()
	if c.conn == nil || c.idle <= 0 {
		return
	}
	c.gen++
	gen := c.gen
	if c.idleTimer != nil {
		c.idleTimer.Stop()
	}
	// A fresh timer per use, tagged with the generation: a callback
	// that already fired and waits for mu while a request runs finds a
	// newer generation and leaves the connection alone.
	c.idleTimer = time.AfterFunc(c.idle, func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		if c.gen == gen {
			c.disconnect()
		}
	})
}

// disconnect closes the connection, if any, and cancels its idle timer
// (auto_clnt_close / auto_clnt_recover). The caller holds mu.
func (c *Client) disconnect() {
	c.gen++
	if c.idleTimer != nil {
		c.idleTimer.Stop()
		c.idleTimer = nil
	}
	if c.conn == nil {
		return
	}
	c.verbosef("auto_clnt_close: disconnect %s stream", c.path)
	c.conn.Close()
	c.conn = nil
}

func (c *Client) warnf(format string, args ...any) { c.warn(fmt.Sprintf(format, args...)) }

func (c *Client) verbosef(format string, args ...any) {
	if c.verbose != nil {
		c.verbose(fmt.Sprintf(format, args...))
	}
}

// handshake checks the server's announcement (scache_clnt_handshake)
// and reports whether the connection may be used. Like stock, a
// connection on which nothing arrives (EOF, reset, timeout) counts as a
// success: the stock scanner sees zero conversions, which is what a good
// announcement yields too. The stream's error flag then fails the first
// request at once, without a second timeout; the silent-server penalty
// stays at one timeout per try, as observed with stock smtp(8).
func (c *Conn) handshake() bool {
	c.deadline()
	if _, err := c.scan.Reader().Peek(1); err != nil {
		return true
	}
	// A wrong value or broken input is a failure (the scanner has said
	// why); a list that only lacks the attribute or has extra ones
	// passes, exactly as with RECV_ATTR_STREQ in stock.
	_, err := c.scan.Scan(attr.Strict, attr.Expect("protocol", Protocol))
	return err == nil
}

// readable reports whether the server closed the connection or sent
// data although no request was outstanding.
func (c *Conn) readable() bool {
	ready := false
	c.raw.Control(func(fd uintptr) {
		p := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
		n, err := unix.Poll(p, 0)
		ready = err == nil && n > 0
	})
	return ready
}

// stickyReader models a VSTREAM's sticky error flag: after the first
// failed read every later read reports end-of-input at once, without
// touching the socket. Later failures therefore carry no errno, which
// is why stock prints "Application error" for them.
type stickyReader struct {
	r      io.Reader
	failed bool
}

func (s *stickyReader) Read(p []byte) (int, error) {
	if s.failed {
		return 0, io.EOF
	}
	n, err := s.r.Read(p)
	if err != nil {
		s.failed = true
	}
	return n, err
}
