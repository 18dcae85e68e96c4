package server

import (
	"net"
	"time"
)

// SingleService handles one connection at a time (smtp, lmtp). The
// connection is closed by the model after Serve returns.
type SingleService interface {
	Serve(conn net.Conn)
}

// deadliner is what a listener needs so that an idle process can stop
// waiting in accept without leaving a connection half-taken.
type deadliner interface {
	SetDeadline(time.Time) error
}

// runSingle serves one client at a time, like Postfix's single_server:
// TAKEN right after accept, AVAIL after the connection is closed, exit
// after max_use connections or max_idle without one, and, when master goes
// away, exit after the current connection. The process accepts only while
// it is idle, so sibling processes get the connections it cannot take.
// Before each accept, preAccept may end the process (Restart) so that
// master starts a fresh one.
func runSingle(e *env, svc SingleService) Reason {
	use := 0
	for {
		select {
		case <-e.masterGone:
			return MasterGone
		default:
		}
		if e.preAccept != nil && e.preAccept() {
			return Restart
		}
		c, reason, ok := e.acceptOne()
		if !ok {
			return reason
		}
		e.status.Begin()
		done := e.watchdog.Start()
		svc.Serve(c)
		c.Close()
		done()
		if err := e.status.End(); err != nil {
			return MasterGone
		}
		use++
		if e.limits.MaxUse > 0 && use >= e.limits.MaxUse {
			return UseLimit
		}
	}
}

// acceptOne waits for one connection on any listener, for at most
// max_idle, and gives up early when master goes away. Deadlines rather
// than abandoned Accept calls guarantee that no connection is accepted and
// then dropped on the way out.
func (e *env) acceptOne() (net.Conn, Reason, bool) {
	var deadline time.Time
	if e.limits.MaxIdle > 0 {
		deadline = time.Now().Add(e.limits.MaxIdle)
	}
	for _, ln := range e.listeners {
		if d, ok := ln.(deadliner); ok {
			d.SetDeadline(deadline)
		}
	}
	type result struct {
		c   net.Conn
		err error
	}
	results := make(chan result, len(e.listeners))
	for _, ln := range e.listeners {
		go func(ln net.Listener) {
			c, err := ln.Accept()
			results <- result{c, err}
		}(ln)
	}
	// With several listeners the first connection wins; the other
	// Accept calls are unblocked by an immediate deadline, and any
	// connection they took meanwhile is served later, not dropped.
	var got net.Conn
	reason, ok := Failed, false
	pending := len(e.listeners)
	expire := func() {
		for _, ln := range e.listeners {
			if d, ok := ln.(deadliner); ok {
				d.SetDeadline(time.Now())
			}
		}
	}
	var extra []net.Conn
	gone := e.masterGone
	for pending > 0 {
		select {
		case <-gone:
			reason = MasterGone
			expire()
			gone = nil // keep draining the results below
		case r := <-results:
			pending--
			switch {
			case r.err == nil && got == nil && reason != MasterGone:
				got, ok = r.c, true
				expire()
			case r.err == nil:
				extra = append(extra, r.c)
			case isTimeout(r.err) && got == nil && reason != MasterGone:
				reason = IdleLimit
			case !isTimeout(r.err) && got == nil && reason != MasterGone:
				e.errorf("accept connection: %v", r.err)
				reason = Failed
			}
		}
	}
	for _, c := range extra {
		// Rare: two listeners fired at once. Closing makes the client
		// (qmgr) retry with another process; nothing was read from it.
		c.Close()
	}
	if ok {
		return got, 0, true
	}
	return nil, reason, false
}

func isTimeout(err error) bool {
	ne, ok := err.(net.Error)
	return ok && ne.Timeout()
}
