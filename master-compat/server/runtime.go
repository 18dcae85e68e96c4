package server

import (
	"errors"
	"net"
	"sync"
	"time"
)

// Limits are the generic process limits every model honours.
type Limits struct {
	MaxIdle         time.Duration // max_idle: 0 = never exit when idle
	MaxUse          int           // max_use: 0 = unlimited
	WatchdogTimeout time.Duration // daemon_timeout or the program's own
	IPCTimeout      time.Duration // ipc_timeout: per-connection I/O bound
}

// Reason says why a model loop ended.
type Reason int

const (
	// MasterGone: master closed the status channel (reload, stop, death).
	MasterGone Reason = iota
	// IdleLimit: max_idle passed without a client.
	IdleLimit
	// UseLimit: max_use connections were served.
	UseLimit
	// Retired: the retirement time of an event server passed.
	Retired
	// Failed: the listener or the status channel failed.
	Failed
	// Restart: the program's PreAccept asked to exit (a table changed).
	Restart
)

func (r Reason) String() string {
	return [...]string{"master gone", "idle limit", "use limit", "retired", "failed", "restart"}[r]
}

// Status is the part of the master status channel the models use.
type Status interface {
	Begin()
	End() error
}

// noStatus serves stand-alone (-S) runs, which have no master.
type noStatus struct{}

func (noStatus) Begin()         {}
func (noStatus) End() error     { return nil }
func (noStatus) String() string { return "none" }

// env is what a model loop runs with. Tests build it from socket pairs.
type env struct {
	listeners  []net.Listener
	status     Status
	masterGone <-chan struct{}
	limits     Limits
	watchdog   *Watchdog
	errorf     func(format string, args ...any)
	preAccept  func() bool // single model: true = exit before accepting
}

// acceptAll multiplexes the listeners into one channel. Errors that mean
// "a sibling process won the race" never reach here: Go's poller retries
// EAGAIN itself. Any other error ends the loop after being reported.
func (e *env) acceptAll(stop <-chan struct{}) (<-chan net.Conn, <-chan error) {
	conns, errs, _ := e.acceptAllDone(stop)
	return conns, errs
}

// acceptAllDone is acceptAll that also reports, by closing the third
// channel, when every accept loop has returned (after closeListeners).
func (e *env) acceptAllDone(stop <-chan struct{}) (<-chan net.Conn, <-chan error, <-chan struct{}) {
	conns := make(chan net.Conn)
	errs := make(chan error, len(e.listeners))
	done := make(chan struct{})
	var wg sync.WaitGroup
	for _, ln := range e.listeners {
		wg.Add(1)
		go func(ln net.Listener) {
			defer wg.Done()
			for {
				c, err := ln.Accept()
				if err != nil {
					if errors.Is(err, net.ErrClosed) {
						return
					}
					var ne net.Error
					if errors.As(err, &ne) && ne.Timeout() {
						return
					}
					errs <- err
					return
				}
				select {
				case conns <- c:
				case <-stop:
					c.Close()
					return
				}
			}
		}(ln)
	}
	go func() { wg.Wait(); close(done) }()
	return conns, errs, done
}

// closeListeners stops accepting: stock closes nothing on exit, but we do
// so that an exiting process never takes a connection it cannot serve.
func (e *env) closeListeners() {
	for _, ln := range e.listeners {
		ln.Close()
	}
}

// idleTimer is a stoppable max_idle timer; a zero limit never fires.
type idleTimer struct {
	limit time.Duration
	t     *time.Timer
	fire  chan struct{}
	mu    sync.Mutex
}

func newIdleTimer(limit time.Duration) *idleTimer {
	return &idleTimer{limit: limit, fire: make(chan struct{}, 1)}
}

func (it *idleTimer) start() {
	if it.limit <= 0 {
		return
	}
	it.mu.Lock()
	defer it.mu.Unlock()
	if it.t != nil {
		it.t.Stop()
	}
	it.t = time.AfterFunc(it.limit, func() {
		select {
		case it.fire <- struct{}{}:
		default:
		}
	})
}

func (it *idleTimer) stop() {
	it.mu.Lock()
	defer it.mu.Unlock()
	if it.t != nil {
		it.t.Stop()
		it.t = nil
	}
	// Drop a tick that fired before stop won the race.
	select {
	case <-it.fire:
	default:
	}
}
