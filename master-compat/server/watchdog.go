package server

import (
	"sync"
	"time"
)

// Watchdog kills a process whose unit of work runs longer than its
// timeout, as Postfix's watchdog does with alarm(): a stuck daemon is
// worse than a dead one, because master keeps counting it as alive.
type Watchdog struct {
	timeout time.Duration
	expired func()

	mu      sync.Mutex
	running map[uint64]time.Time
	seq     uint64
	ticker  *time.Ticker
	stop    chan struct{}
}

// NewWatchdog starts a watchdog that calls expired (which should log
// "fatal: watchdog timeout" and exit) when a unit overruns. A zero timeout
// disables it.
func NewWatchdog(timeout time.Duration, expired func()) *Watchdog {
	w := &Watchdog{timeout: timeout, expired: expired, running: map[uint64]time.Time{}, stop: make(chan struct{})}
	if timeout <= 0 {
		return w
	}
	// Checking a few times per period keeps the overrun below ~1/3 of the
	// timeout, close to the C watchdog's three alarm steps.
	w.ticker = time.NewTicker(max(timeout/3, 10*time.Millisecond))
	go w.watch()
	return w
}

func (w *Watchdog) watch() {
	for {
		select {
		case <-w.stop:
			return
		case now := <-w.ticker.C:
			w.mu.Lock()
			overdue := false
			for _, started := range w.running {
				if now.Sub(started) > w.timeout {
					overdue = true
				}
			}
			w.mu.Unlock()
			if overdue {
				w.expired()
				return
			}
		}
	}
}

// Start marks the beginning of a unit of work and returns its end.
func (w *Watchdog) Start() (done func()) {
	if w == nil || w.timeout <= 0 {
		return func() {}
	}
	w.mu.Lock()
	w.seq++
	id := w.seq
	w.running[id] = time.Now()
	w.mu.Unlock()
	return func() {
		w.mu.Lock()
		delete(w.running, id)
		w.mu.Unlock()
	}
}

// Stop ends the watchdog.
func (w *Watchdog) Stop() {
	if w == nil || w.ticker == nil {
		return
	}
	w.ticker.Stop()
	close(w.stop)
}
