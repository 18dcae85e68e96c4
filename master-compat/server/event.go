package server

import (
	"net"
	"sync"
	"time"
)

// EventService handles many connections at once, each driven by the
// program (tlsproxy). Start must return quickly; the program calls done
// when the connection is finished.
type EventService interface {
	Start(conn net.Conn, done func())
}

// Drainer is implemented by event services that can finish their open
// connections after master asked the process to go (stock's slow-exit
// hook). Without it the process exits at once.
type Drainer interface {
	Drain(remaining int) Reason
}

// runEvent is Postfix's event_server: TAKEN/AVAIL around the accept
// callback only, max_idle while no client is connected, max_use counting
// closed connections, retirement after the given time, and a drain hook
// when master goes away or the process retires.
func runEvent(e *env, svc EventService, retire time.Duration) Reason {
	stop := make(chan struct{})
	defer close(stop)
	conns, acceptErrs, acceptDone := e.acceptAllDone(stop)
	idle := newIdleTimer(e.limits.MaxIdle)
	idle.start()
	var retireC <-chan time.Time
	if retire > 0 {
		retireC = time.After(retire)
	}
	cl := newClients()
	start := func(c net.Conn) {
		cl.opened(idle)
		var once sync.Once
		svc.Start(c, func() { once.Do(cl.closed) })
	}
	finish := func(r Reason) Reason {
		e.closeListeners()
		// Stay busy in master's eyes from now on: a draining process
		// accepts nothing, and a master that still counted it as
		// available would start no replacement, leaving new clients
		// waiting for the drain (stock forks here and the parent
		// exits, which has the same effect).
		e.status.Begin()
		// Serve what the accept loops already took rather than keep
		// those clients waiting for the whole drain.
		for handed := false; !handed; {
			select {
			case c := <-conns:
				start(c)
			case <-acceptDone:
				handed = true
			}
		}
		if d, ok := svc.(Drainer); ok {
			return d.Drain(cl.count())
		}
		return r
	}
	for {
		select {
		case <-e.masterGone:
			return finish(MasterGone)
		case <-retireC:
			return finish(Retired)
		case <-idle.fire:
			if cl.count() == 0 {
				return IdleLimit
			}
		case err := <-acceptErrs:
			e.errorf("accept connection: %v", err)
			return Failed
		case c := <-conns:
			e.status.Begin()
			start(c)
			if err := e.status.End(); err != nil {
				return finish(MasterGone)
			}
		case <-cl.closedc:
			if r, done := cl.afterClose(e.limits.MaxUse, idle); done {
				return r
			}
		}
	}
}

// RetireTime is stock's retirement rule: max_idle × max_use seconds,
// capped at 18000 s, and 18000 s when either is zero.
func RetireTime(maxIdle time.Duration, maxUse int) time.Duration {
	const cap = 18000 * time.Second
	if maxIdle <= 0 || maxUse <= 0 {
		return cap
	}
	t := time.Duration(int64(maxIdle/time.Second)*int64(maxUse)) * time.Second
	if t > cap || t <= 0 {
		return cap
	}
	return t
}
