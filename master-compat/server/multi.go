package server

import (
	"net"
)

// Session is one client connection of a multi-client service (scache).
type Session interface {
	// Wait blocks until the client sent data (nil) or went away (error).
	Wait() error
	// Serve handles what the client sent; an error drops the client.
	Serve() error
	// Close releases the connection.
	Close() error
}

// MultiService is a program built on the multi-client model.
type MultiService interface {
	// Accept starts a session on a new connection (and sends the
	// protocol announcement, as stock POST_ACCEPT hooks do).
	Accept(conn net.Conn) (Session, error)
}

// runMulti serves many clients at once in one process, like Postfix's
// multi_server: master hears TAKEN/AVAIL around each request (not each
// connection), max_idle runs only while no client is connected, max_use
// counts closed connections, and the end of the status channel means exit
// at once, dropping connected clients.
func runMulti(e *env, svc MultiService) Reason {
	stop := make(chan struct{})
	defer close(stop)
	conns, acceptErrs := e.acceptAll(stop)
	idle := newIdleTimer(e.limits.MaxIdle)
	idle.start()

	cl := newClients()
	masterDown := make(chan struct{}, 1)

	for {
		select {
		case <-e.masterGone:
			return MasterGone
		case <-masterDown:
			return MasterGone
		case <-idle.fire:
			if cl.count() == 0 {
				return IdleLimit
			}
		case err := <-acceptErrs:
			e.errorf("accept connection: %v", err)
			return Failed
		case c := <-conns:
			cl.opened(idle)
			go func() {
				e.serveSession(svc, c, masterDown)
				cl.closed()
			}()
		case <-cl.closedc:
			if r, done := cl.afterClose(e.limits.MaxUse, idle); done {
				return r
			}
		}
	}
}

func (e *env) serveSession(svc MultiService, c net.Conn, masterDown chan<- struct{}) {
	sess, err := svc.Accept(c)
	if err != nil {
		c.Close()
		return
	}
	defer sess.Close()
	for {
		if err := sess.Wait(); err != nil {
			return
		}
		e.status.Begin()
		done := e.watchdog.Start()
		serr := sess.Serve()
		done()
		if err := e.status.End(); err != nil {
			// A failed AVAIL means master is gone: exit like stock.
			select {
			case masterDown <- struct{}{}:
			default:
			}
			return
		}
		if serr != nil {
			return
		}
	}
}
