package client

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/postfix-go/postfix-go/master-compat/errno"
	"github.com/postfix-go/postfix-go/scache/internal/cache"
	"github.com/postfix-go/postfix-go/scache/internal/service"
)

// Labels and properties of the shape smtp(8) uses.
const (
	tEndp  = "smtp\n127.0.0.1\n25\n0\n"
	tDest  = "smtp\nexample.com\n"
	tEProp = "endp-prop"
	tDProp = "dest-prop"
)

// fakeServer is a connection cache server on a temporary socket that
// behaves in one of the ways the stock client was observed against
// (spec/vectors/scache-client-failures.txt), or runs our real protocol
// handler ("ours"). It counts connections so tests can see reconnects,
// and stop() tears everything down so leak checks see a clean slate.
type fakeServer struct {
	t     *testing.T
	mode  string
	path  string
	ln    *net.UnixListener
	store *cache.Cache

	accepts atomic.Int32 // connections accepted
	ended   atomic.Int32 // connections the client closed
	wg      sync.WaitGroup
	mu      sync.Mutex
	conns   map[*net.UnixConn]bool
}

// startServer listens on a fresh socket. Modes: ours, badproto, close,
// silent, status1; "absent" binds nothing (ENOENT) and "refused" leaves
// a socket file nobody listens on (ECONNREFUSED).
func startServer(t *testing.T, mode string) *fakeServer {
	t.Helper()
	s := &fakeServer{t: t, mode: mode, path: filepath.Join(t.TempDir(), "scache"), conns: map[*net.UnixConn]bool{}}
	if mode == "absent" {
		return s
	}
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: s.path, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	if mode == "refused" {
		ln.SetUnlinkOnClose(false)
		ln.Close()
		return s
	}
	s.ln = ln
	s.store = cache.New(cache.Config{TTLLimit: 60})
	s.wg.Add(1)
	go s.acceptLoop()
	t.Cleanup(s.stop)
	return s
}

func (s *fakeServer) acceptLoop() {
	defer s.wg.Done()
	for {
		c, err := s.ln.AcceptUnix()
		if err != nil {
			return
		}
		s.accepts.Add(1)
		s.mu.Lock()
		s.conns[c] = true
		s.mu.Unlock()
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			defer func() {
				s.mu.Lock()
				delete(s.conns, c)
				s.mu.Unlock()
				c.Close()
			}()
			if s.handle(c) {
				s.ended.Add(1)
			}
		}()
	}
}

// handle serves one connection and reports whether the client ended it.
func (s *fakeServer) handle(c *net.UnixConn) bool {
	announce := []byte("protocol\x00connection_cache_protocol\x00\x00")
	switch s.mode {
	case "close":
		return false
	case "ours":
		conn, err := service.New(c, service.StreamName("scache"), s.store, nopLog{s.t}, 5*time.Second)
		if err != nil || conn.Announce() != nil {
			return false
		}
		for conn.WaitRequest() == nil {
			if conn.Serve() != nil {
				return false
			}
		}
		return true
	case "badproto":
		c.Write([]byte("protocol\x00something_else\x00\x00"))
	case "status1":
		c.Write(announce)
	}
	// badproto, silent, status1: read requests as the Python fake
	// server does (one request per read: the client waits for every
	// reply) until the client hangs up.
	buf := make([]byte, 4096)
	for {
		n, err := c.Read(buf)
		if err != nil {
			return errors.Is(err, io.EOF)
		}
		if s.mode != "status1" {
			continue
		}
		switch d := buf[:n]; {
		case bytes.HasPrefix(d, []byte("request\x00find_dest")):
			c.Write([]byte("status\x001\x00property\x00\x00property\x00\x00\x00"))
		case bytes.HasPrefix(d, []byte("request\x00find_endp")):
			c.Write([]byte("status\x001\x00property\x00\x00\x00"))
		case bytes.HasPrefix(d, []byte("request\x00save_")):
			c.Write([]byte("status\x001\x00\x00"))
		}
	}
}

// hangUp closes every server side connection, as a restarting scache
// would.
func (s *fakeServer) hangUp() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.conns {
		c.Close()
	}
}

func (s *fakeServer) stop() {
	if s.ln == nil {
		return
	}
	s.ln.Close()
	s.hangUp()
	s.wg.Wait()
	s.store.DropAll()
	s.ln = nil
}

// waitEnded waits until the client has closed n connections.
func (s *fakeServer) waitEnded(t *testing.T, n int32) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); s.ended.Load() < n; {
		if time.Now().After(deadline) {
			t.Fatalf("client closed %d connections, want %d", s.ended.Load(), n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// recorder collects what a Client logs and how long it wanted to sleep,
// and provides a clock the test moves by hand.
type recorder struct {
	mu      sync.Mutex
	warns   []string
	infos   []string
	sleeps  []time.Duration
	now     time.Time
	verbose bool
}

func (r *recorder) options() Options {
	o := Options{
		Warn: func(s string) { r.mu.Lock(); r.warns = append(r.warns, s); r.mu.Unlock() },
		Sleep: func(d time.Duration) {
			r.mu.Lock()
			r.sleeps = append(r.sleeps, d)
			r.mu.Unlock()
		},
		Now: func() time.Time { r.mu.Lock(); defer r.mu.Unlock(); return r.now },
	}
	if r.verbose {
		o.Verbose = func(s string) { r.mu.Lock(); r.infos = append(r.infos, s); r.mu.Unlock() }
	}
	return o
}

func (r *recorder) advance(d time.Duration) { r.mu.Lock(); r.now = r.now.Add(d); r.mu.Unlock() }

func (r *recorder) warnings() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.warns)
}

func newRecorder() *recorder { return &recorder{now: time.Unix(1_700_000_000, 0)} }

// pipe returns both ends of a pipe; the write end plays the SMTP socket.
func pipe(t *testing.T) (r, w int) {
	t.Helper()
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(p[0]) })
	return p[0], p[1]
}

// writerClosed reports whether every copy of the pipe's write end is
// gone: the read end then sees EOF instead of blocking.
func writerClosed(t *testing.T, r int) bool {
	t.Helper()
	fds := []unix.PollFd{{Fd: int32(r), Events: unix.POLLIN}}
	n, err := unix.Poll(fds, 2000)
	if err != nil || n == 0 {
		return false
	}
	buf := make([]byte, 1)
	got, err := unix.Read(r, buf)
	return err == nil && got == 0
}

// TestClientRoundTrip runs every operation against our own server.
func TestClientRoundTrip(t *testing.T) {
	srv := startServer(t, "ours")
	rec := newRecorder()
	rec.verbose = true
	c := New(srv.path, rec.options())
	defer c.Close()

	if _, fd, ok := c.FindEndp(tEndp); ok || fd != -1 {
		t.Fatalf("find_endp on an empty cache: fd %d ok %v", fd, ok)
	}
	r, w := pipe(t)
	c.SaveEndp(2, tEndp, tEProp, w)
	c.SaveDest(2, tDest, tDProp, tEndp)
	dp, ep, fd, ok := c.FindDest(tDest)
	if !ok || dp != tDProp || ep != tEProp || fd < 0 {
		t.Fatalf("find_dest: %q %q %d %v", dp, ep, fd, ok)
	}
	// The descriptor that came back is the pipe we saved.
	if _, err := unix.Write(fd, []byte("k")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 1)
	if n, _ := unix.Read(r, buf); n != 1 || buf[0] != 'k' {
		t.Fatal("the returned descriptor does not reach the saved pipe")
	}
	unix.Close(fd)
	// SaveEndp closed our copy and the server handed its copy over, so
	// no write end is left anywhere.
	if !writerClosed(t, r) {
		t.Error("a copy of the saved descriptor is still open")
	}
	if _, _, fd, ok := c.FindDest(tDest); ok || fd != -1 {
		t.Errorf("second find_dest: fd %d ok %v, want a miss", fd, ok)
	}
	if w := rec.warnings(); len(w) > 0 || c.Disabled() {
		t.Errorf("warnings %q, disabled %v", w, c.Disabled())
	}
	if n := srv.accepts.Load(); n != 1 {
		t.Errorf("%d connections, want 1 for all requests", n)
	}
	wantInfo := []string{
		"auto_clnt_open: connected to " + srv.path,
		"scache_clnt_find_endp: not found: " + tEndp,
		"scache_clnt_save_endp: endp=" + tEndp + " prop=" + tEProp,
		"scache_clnt_save_dest: dest_label=" + tDest + " dest_prop=" + tDProp + " endp_label=" + tEndp,
		"scache_clnt_find_dest: dest=" + tDest + " dest_prop=" + tDProp + " endp_prop=" + tEProp,
		"scache_clnt_find_dest: not found: " + tDest,
	}
	for _, want := range wantInfo {
		if !slices.ContainsFunc(rec.infos, func(s string) bool { return strings.HasPrefix(s, want) }) {
			t.Errorf("no verbose line %q in %q", want, rec.infos)
		}
	}
}

// TestClientFailures replays the misbehaving servers of the stock
// observations: the words logged, the retry pause, and whether caching
// ends up disabled. Stock figures: two tries, 1 s apart, then
// "disabling connection caching"; find misses are silent.
func TestClientFailures(t *testing.T) {
	const (
		disabling = "disabling connection caching"
		appErr    = "problem talking to service %s: Application error"
	)
	type op int
	const (
		findDest op = iota
		findEndp
		saveDest
		saveEndp
	)
	for _, tc := range []struct {
		name    string
		mode    string
		timeout time.Duration
		ops     []op
		want    []string // %s is the socket path
		sleeps  int
		disable bool
		accepts int32 // connections the server saw; -1: no server
	}{
		{name: "no socket", mode: "absent", ops: []op{findDest}, sleeps: 1, disable: true, accepts: -1,
			want: []string{"connect to %s: No such file or directory", "connect to %s: No such file or directory", disabling}},
		{name: "refused", mode: "refused", ops: []op{saveEndp}, sleeps: 1, disable: true, accepts: -1,
			want: []string{"connect to %s: Connection refused", "connect to %s: Connection refused", disabling}},
		{name: "wrong announcement", mode: "badproto", ops: []op{findEndp}, sleeps: 1, disable: true, accepts: 2,
			want: []string{
				"unexpected protocol something_else from %s (expected: connection_cache_protocol)",
				"unexpected protocol something_else from %s (expected: connection_cache_protocol)",
				disabling}},
		// The handshake "succeeds" on EOF, the request then hits EPIPE,
		// which stock keeps quiet about.
		{name: "closes at once, find", mode: "close", ops: []op{findDest}, sleeps: 1, disable: true, accepts: 2,
			want: []string{disabling}},
		// save_endp speaks up about any second failure.
		{name: "closes at once, save_endp", mode: "close", ops: []op{saveEndp}, sleeps: 1, disable: true, accepts: 2,
			want: []string{"problem talking to service %s: Broken pipe", disabling}},
		// One timeout per try (the handshake); the stream's sticky error
		// fails the request at once, without errno.
		{name: "silent, find", mode: "silent", timeout: 50 * time.Millisecond, ops: []op{findEndp},
			sleeps: 1, disable: true, accepts: 2, want: []string{appErr, appErr, disabling}},
		{name: "silent, save_dest", mode: "silent", timeout: 50 * time.Millisecond, ops: []op{saveDest},
			sleeps: 1, disable: true, accepts: 2, want: []string{appErr, appErr, disabling}},
		{name: "silent, save_endp", mode: "silent", timeout: 50 * time.Millisecond, ops: []op{saveEndp},
			sleeps: 1, disable: true, accepts: 2, want: []string{appErr, disabling}},
		// Status 1 makes finds misses and is ignored for save_dest;
		// save_endp then finds no dummy, is retried and gives up.
		{name: "status 1", mode: "status1", ops: []op{findDest, findEndp, saveDest, saveEndp}, sleeps: 1, disable: true, accepts: 2,
			want: []string{
				"unexpected attribute status from %s (expecting: dummy)",
				"unexpected attribute status from %s (expecting: dummy)",
				appErr, disabling}},
		{name: "status 1, finds only", mode: "status1", ops: []op{findDest, findEndp, saveDest, findDest}, accepts: 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := startServer(t, tc.mode)
			rec := newRecorder()
			opts := rec.options()
			opts.Timeout = tc.timeout
			c := New(srv.path, opts)
			defer c.Close()
			do := func(o op) {
				switch o {
				case findDest:
					if _, _, fd, ok := c.FindDest(tDest); ok || fd != -1 {
						t.Errorf("find_dest hit: fd %d", fd)
					}
				case findEndp:
					if _, fd, ok := c.FindEndp(tEndp); ok || fd != -1 {
						t.Errorf("find_endp hit: fd %d", fd)
					}
				case saveDest:
					c.SaveDest(2, tDest, tDProp, tEndp)
				case saveEndp:
					r, w := pipe(t)
					c.SaveEndp(2, tEndp, tEProp, w)
					if !writerClosed(t, r) {
						t.Error("SaveEndp left the descriptor open")
					}
				}
			}
			for _, o := range tc.ops {
				do(o)
			}
			var want []string
			for _, w := range tc.want {
				want = append(want, strings.ReplaceAll(w, "%s", srv.path))
			}
			if got := rec.warnings(); !slices.Equal(got, want) {
				t.Errorf("warnings:\n got %q\nwant %q", got, want)
			}
			wantSleeps := slices.Repeat([]time.Duration{time.Second}, tc.sleeps)
			if !slices.Equal(rec.sleeps, wantSleeps) {
				t.Errorf("sleeps %v, want %v", rec.sleeps, wantSleeps)
			}
			if c.Disabled() != tc.disable {
				t.Errorf("disabled %v, want %v", c.Disabled(), tc.disable)
			}
			if tc.accepts >= 0 {
				if n := srv.accepts.Load(); n != tc.accepts {
					t.Errorf("server saw %d connections, want %d", n, tc.accepts)
				}
			}
			if !tc.disable {
				return
			}
			// Disabled for good: every operation is a silent miss, and
			// the server never hears from this client again.
			before := srv.accepts.Load()
			for _, o := range []op{findDest, findEndp, saveDest, saveEndp} {
				do(o)
			}
			if got := rec.warnings(); len(got) != len(want) {
				t.Errorf("warnings after disabling: %q", got[len(want):])
			}
			if len(rec.sleeps) != tc.sleeps || srv.accepts.Load() != before {
				t.Errorf("disabled client still tried: sleeps %v, connections %d -> %d", rec.sleeps, before, srv.accepts.Load())
			}
		})
	}
}

// TestClientVerboseWarnings checks that -v makes every failure and a
// refused save visible, as msg_verbose does in stock.
func TestClientVerboseWarnings(t *testing.T) {
	srv := startServer(t, "status1")
	rec := newRecorder()
	rec.verbose = true
	c := New(srv.path, rec.options())
	defer c.Close()
	c.SaveDest(2, tDest, tDProp, tEndp)
	want := []string{"scache_clnt_save_dest: destination save failed with status 1"}
	if got := rec.warnings(); !slices.Equal(got, want) {
		t.Errorf("warnings %q, want %q", got, want)
	}
}

// TestClientReconnect covers when a connection is replaced without a
// failed try: ipc_idle without use, ipc_ttl regardless of use, and the
// server hanging up between requests.
func TestClientReconnect(t *testing.T) {
	type step struct {
		advance time.Duration // move the clock, then find_endp
		hangUp  bool          // the server drops its connections first
		conns   int32         // connections the server has seen after the request
	}
	for _, tc := range []struct {
		name      string
		idle, ttl time.Duration
		steps     []step
	}{
		{name: "idle", steps: []step{{conns: 1}, {advance: 4 * time.Second, conns: 1},
			{advance: 4 * time.Second, conns: 1}, {advance: 5 * time.Second, conns: 2}}},
		// Use does not extend the ttl.
		{name: "ttl", idle: -1, ttl: 10 * time.Second, steps: []step{{conns: 1}, {advance: 6 * time.Second, conns: 1},
			{advance: 4 * time.Second, conns: 2}, {advance: 9 * time.Second, conns: 2}, {advance: time.Second, conns: 3}}},
		{name: "never", idle: -1, ttl: -1, steps: []step{{conns: 1}, {advance: 5000 * time.Second, conns: 1}}},
		{name: "server hung up", steps: []step{{conns: 1}, {hangUp: true, conns: 2}, {conns: 2}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := startServer(t, "ours")
			rec := newRecorder()
			opts := rec.options()
			opts.IdleTimeout, opts.TTL = tc.idle, tc.ttl
			c := New(srv.path, opts)
			defer c.Close()
			for i, s := range tc.steps {
				if s.hangUp {
					// close(2) on the server side makes the client's end
					// readable (EOF) at once; no waiting needed.
					srv.hangUp()
				}
				rec.advance(s.advance)
				c.FindEndp(tEndp)
				if n := srv.accepts.Load(); n != s.conns {
					t.Errorf("step %d: %d connections, want %d", i, n, s.conns)
				}
			}
			if w := rec.warnings(); len(w) > 0 || len(rec.sleeps) > 0 || c.Disabled() {
				t.Errorf("warnings %q, sleeps %v, disabled %v", w, rec.sleeps, c.Disabled())
			}
		})
	}
}

// TestClientIdleTimer checks that an unused connection is closed by the
// timer itself, not only at the next request, so an idle smtp process
// does not keep scache from its own idle exit.
func TestClientIdleTimer(t *testing.T) {
	srv := startServer(t, "ours")
	rec := newRecorder()
	opts := rec.options()
	opts.Now = nil // the timer runs on real time
	opts.IdleTimeout = 50 * time.Millisecond
	c := New(srv.path, opts)
	defer c.Close()
	c.FindDest(tDest)
	srv.waitEnded(t, 1)
	c.FindDest(tDest)
	if n := srv.accepts.Load(); n != 2 {
		t.Errorf("%d connections, want 2", n)
	}
	// Requests in quick succession keep the connection.
	for range 5 {
		c.FindDest(tDest)
		time.Sleep(10 * time.Millisecond)
	}
	if n := srv.accepts.Load(); n != 2 {
		t.Errorf("%d connections after busy requests, want 2", n)
	}
	c.Close()
	srv.waitEnded(t, 2)
	if w := rec.warnings(); len(w) > 0 {
		t.Errorf("warnings %q", w)
	}
}

// TestClientNoLeaks runs every scenario and then insists that no
// descriptor and no goroutine outlives the clients and servers.
func TestClientNoLeaks(t *testing.T) {
	// Let the runtime set up its poller (epoll, eventfd) first.
	startServer(t, "ours").stop()
	runtime.GC()
	fds0, gs0 := countFDs(t), runtime.NumGoroutine()

	for _, mode := range []string{"ours", "absent", "refused", "badproto", "close", "silent", "status1"} {
		srv := startServer(t, mode)
		rec := newRecorder()
		opts := rec.options()
		opts.Timeout = 50 * time.Millisecond
		opts.IdleTimeout = 20 * time.Millisecond
		c := New(srv.path, opts)
		var p [2]int
		if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
			t.Fatal(err)
		}
		c.SaveEndp(2, tEndp, tEProp, p[1])
		c.SaveDest(2, tDest, tDProp, tEndp)
		if _, _, fd, ok := c.FindDest(tDest); ok {
			unix.Close(fd)
		}
		c.FindEndp(tEndp)
		if mode == "ours" {
			c.FindEndp(tEndp)
			// Leave an idle timer armed for Close to stop.
		}
		c.Close()
		unix.Close(p[0])
		srv.stop()
	}

	deadline := time.Now().Add(5 * time.Second)
	for {
		fds, gs := countFDs(t), runtime.NumGoroutine()
		if fds <= fds0 && gs <= gs0 {
			break
		}
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			buf = buf[:runtime.Stack(buf, true)]
			t.Fatalf("descriptors %d -> %d, goroutines %d -> %d\n%s", fds0, fds, gs0, gs, buf)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func countFDs(t *testing.T) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skipf("cannot count descriptors: %v", err)
	}
	return len(ents)
}

// TestStrerror pins the %m rendering the warnings depend on.
func TestStrerror(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want string
	}{
		{nil, "Application error"},
		{io.EOF, "Application error"},
		{&net.OpError{Op: "write", Err: os.NewSyscallError("write", unix.EPIPE)}, "Broken pipe"},
		{&net.OpError{Op: "dial", Err: os.NewSyscallError("connect", unix.ENOENT)}, "No such file or directory"},
		{os.ErrDeadlineExceeded, "Connection timed out"},
	} {
		if got := errno.Text(errno.Of(tc.err)); got != tc.want {
			t.Errorf("errno.Text(errno.Of(%v)) = %q, want %q", tc.err, got, tc.want)
		}
	}
}
