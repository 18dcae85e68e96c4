package server

import "sync"

// clients counts the connections of the multi and event models, which
// share their limits: max_idle runs only while none is connected, and
// max_use counts connections that have closed.
type clients struct {
	mu      sync.Mutex
	open    int
	served  int
	closedc chan struct{} // a connection closed: re-check the limits
}

func newClients() *clients { return &clients{closedc: make(chan struct{}, 1)} }

// opened records a new connection and stops the idle timer.
func (c *clients) opened(idle *idleTimer) {
	c.mu.Lock()
	c.open++
	c.mu.Unlock()
	idle.stop()
}

// closed records the end of a connection; safe from any goroutine.
func (c *clients) closed() {
	c.mu.Lock()
	c.open--
	c.served++
	c.mu.Unlock()
	select {
	case c.closedc <- struct{}{}:
	default: // a check is already pending; it will see this one too
	}
}

func (c *clients) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.open
}

// afterClose applies the limits once a connection has closed: the use
// limit ends the loop when no client is left, else the idle timer starts.
func (c *clients) afterClose(maxUse int, idle *idleTimer) (Reason, bool) {
	c.mu.Lock()
	open, served := c.open, c.served
	c.mu.Unlock()
	if open > 0 {
		return 0, false
	}
	if maxUse > 0 && served >= maxUse {
		return UseLimit, true
	}
	idle.start()
	return 0, false
}
