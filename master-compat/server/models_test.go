package server

import (
	"fmt"
	"io"
	"net"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// fakeStatus records what a model tells master.
type fakeStatus struct {
	mu      sync.Mutex
	events  []string
	failEnd bool
}

func (s *fakeStatus) Begin() { s.mu.Lock(); s.events = append(s.events, "taken"); s.mu.Unlock() }
func (s *fakeStatus) End() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.events = append(s.events, "avail")
	if s.failEnd {
		return fmt.Errorf("master gone")
	}
	return nil
}
func (s *fakeStatus) String() string { s.mu.Lock(); defer s.mu.Unlock(); return fmt.Sprint(s.events) }

func testEnv(t *testing.T, limits Limits) (*env, string, chan struct{}, *fakeStatus) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "sock")
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	gone := make(chan struct{})
	st := &fakeStatus{}
	return &env{
		listeners:  []net.Listener{ln},
		status:     st,
		masterGone: gone,
		limits:     limits,
		errorf:     func(f string, a ...any) { t.Logf(f, a...) },
	}, path, gone, st
}

// echoSession answers each line-less chunk with "ok".
type echoService struct{}

type echoSession struct{ c net.Conn }

func (echoService) Accept(c net.Conn) (Session, error) { return &echoSession{c}, nil }
func (s *echoSession) Wait() error {
	return nil
}
func (s *echoSession) Serve() error {
	buf := make([]byte, 64)
	n, err := s.c.Read(buf)
	if err != nil {
		return err
	}
	_, err = s.c.Write(buf[:n])
	return err
}
func (s *echoSession) Close() error { return s.c.Close() }

func dial(t *testing.T, path string) net.Conn {
	t.Helper()
	c, err := net.Dial("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func roundTrip(t *testing.T, c net.Conn, msg string) {
	t.Helper()
	if _, err := c.Write([]byte(msg)); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, len(msg))
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.ReadFull(c, buf); err != nil || string(buf) != msg {
		t.Fatalf("echo %q: %q %v", msg, buf, err)
	}
}

func runAsync(f func() Reason) <-chan Reason {
	ch := make(chan Reason, 1)
	go func() { ch <- f() }()
	return ch
}

func waitReason(t *testing.T, ch <-chan Reason, want Reason) {
	t.Helper()
	select {
	case got := <-ch:
		if got != want {
			t.Fatalf("loop ended with %v, want %v", got, want)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("loop did not end (want %v)", want)
	}
}

func TestMultiIdleOnlyWithoutClients(t *testing.T) {
	e, path, _, st := testEnv(t, Limits{MaxIdle: 300 * time.Millisecond})
	done := runAsync(func() Reason { return runMulti(e, echoService{}) })
	c := dial(t, path)
	roundTrip(t, c, "a")
	time.Sleep(600 * time.Millisecond) // longer than max_idle, client connected
	roundTrip(t, c, "b")
	select {
	case r := <-done:
		t.Fatalf("exited with a client connected: %v", r)
	default:
	}
	c.Close()
	waitReason(t, done, IdleLimit)
	if got := st.String(); got != "[taken avail taken avail taken avail]" {
		// The third pair is the EOF read that ends the session.
		t.Errorf("status %s", got)
	}
}

func TestMultiMasterGoneAndUseLimit(t *testing.T) {
	e, path, gone, _ := testEnv(t, Limits{})
	done := runAsync(func() Reason { return runMulti(e, echoService{}) })
	c := dial(t, path)
	roundTrip(t, c, "x")
	close(gone)
	waitReason(t, done, MasterGone)
	c.Close()

	e, path, _, _ = testEnv(t, Limits{MaxUse: 2})
	done = runAsync(func() Reason { return runMulti(e, echoService{}) })
	for i := 0; i < 2; i++ {
		c := dial(t, path)
		roundTrip(t, c, "y")
		c.Close()
	}
	waitReason(t, done, UseLimit)
}

func TestMultiFailedAvailExits(t *testing.T) {
	e, path, _, st := testEnv(t, Limits{})
	st.failEnd = true
	done := runAsync(func() Reason { return runMulti(e, echoService{}) })
	c := dial(t, path)
	defer c.Close()
	roundTrip(t, c, "z")
	waitReason(t, done, MasterGone)
}

type singleEcho struct{ served chan struct{} }

func (s singleEcho) Serve(c net.Conn) {
	buf := make([]byte, 8)
	n, _ := c.Read(buf)
	c.Write(buf[:n])
	s.served <- struct{}{}
}

func TestSingleUseAndIdle(t *testing.T) {
	e, path, _, st := testEnv(t, Limits{MaxUse: 2, MaxIdle: 5 * time.Second})
	svc := singleEcho{served: make(chan struct{}, 4)}
	done := runAsync(func() Reason { return runSingle(e, svc) })
	for i := 0; i < 2; i++ {
		c := dial(t, path)
		roundTrip(t, c, "s")
		c.Close()
	}
	waitReason(t, done, UseLimit)
	if got := st.String(); got != "[taken avail taken avail]" {
		t.Errorf("status %s", got)
	}

	e, _, _, _ = testEnv(t, Limits{MaxIdle: 200 * time.Millisecond})
	waitReason(t, runAsync(func() Reason { return runSingle(e, svc) }), IdleLimit)

	e, _, gone, _ := testEnv(t, Limits{})
	done = runAsync(func() Reason { return runSingle(e, svc) })
	close(gone)
	waitReason(t, done, MasterGone)
}

// PreAccept's "restart" ends the process after the request in
// progress, before the next accept.
func TestSinglePreAcceptRestart(t *testing.T) {
	e, path, _, st := testEnv(t, Limits{MaxIdle: 5 * time.Second})
	calls := 0
	e.preAccept = func() bool { calls++; return calls > 1 }
	svc := singleEcho{served: make(chan struct{}, 4)}
	done := runAsync(func() Reason { return runSingle(e, svc) })
	c := dial(t, path)
	roundTrip(t, c, "s")
	c.Close()
	waitReason(t, done, Restart)
	if got := st.String(); got != "[taken avail]" || calls != 2 {
		t.Errorf("status %s, %d calls", got, calls)
	}
}

type eventEcho struct{}

func (eventEcho) Start(c net.Conn, done func()) {
	go func() {
		defer done()
		defer c.Close()
		io.Copy(c, c)
	}()
}

type drainer struct {
	eventEcho
	remaining chan int
}

func (d drainer) Drain(n int) Reason { d.remaining <- n; return MasterGone }

func TestEventModel(t *testing.T) {
	e, path, gone, st := testEnv(t, Limits{MaxIdle: 200 * time.Millisecond})
	svc := drainer{remaining: make(chan int, 1)}
	done := runAsync(func() Reason { return runEvent(e, svc, 0) })
	a, b := dial(t, path), dial(t, path)
	roundTrip(t, a, "1")
	roundTrip(t, b, "2")
	time.Sleep(400 * time.Millisecond)
	roundTrip(t, a, "3") // still alive: idle timer only runs without clients
	close(gone)
	waitReason(t, done, MasterGone)
	if n := <-svc.remaining; n != 2 {
		t.Errorf("drain saw %d connections, want 2", n)
	}
	// The draining process reports itself busy, so that master starts
	// a replacement instead of counting on it.
	if got := st.String(); got != "[taken avail taken avail taken]" {
		t.Errorf("status %s", got)
	}
	a.Close()
	b.Close()
}

// A process that retires with a client still connected stops accepting,
// tells master it is busy, and drains.
func TestEventRetireDrains(t *testing.T) {
	e, path, _, st := testEnv(t, Limits{})
	svc := drainer{remaining: make(chan int, 1)}
	done := runAsync(func() Reason { return runEvent(e, svc, 300*time.Millisecond) })
	a := dial(t, path)
	roundTrip(t, a, "1")
	waitReason(t, done, MasterGone) // what the test drainer returns
	if n := <-svc.remaining; n != 1 {
		t.Errorf("drain saw %d connections, want 1", n)
	}
	if got := st.String(); got != "[taken avail taken]" {
		t.Errorf("status %s", got)
	}
	a.Close()
}

func TestRetireTime(t *testing.T) {
	for _, tt := range []struct {
		idle time.Duration
		use  int
		want time.Duration
	}{{100 * time.Second, 100, 10000 * time.Second}, {100 * time.Second, 0, 18000 * time.Second},
		{0, 5, 18000 * time.Second}, {1000 * time.Second, 100, 18000 * time.Second}} {
		if got := RetireTime(tt.idle, tt.use); got != tt.want {
			t.Errorf("RetireTime(%v,%d) = %v", tt.idle, tt.use, got)
		}
	}
}

func TestWatchdogFires(t *testing.T) {
	fired := make(chan struct{})
	w := NewWatchdog(50*time.Millisecond, func() { close(fired) })
	defer w.Stop()
	end := w.Start()
	select {
	case <-fired:
	case <-time.After(5 * time.Second):
		t.Fatal("watchdog did not fire")
	}
	end()
	quiet := NewWatchdog(50*time.Millisecond, func() { t.Error("fired for finished work") })
	defer quiet.Stop()
	quiet.Start()()
	time.Sleep(200 * time.Millisecond)
}
