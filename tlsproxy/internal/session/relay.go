package session

import (
	"crypto/tls"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// bufSize matches stock's per-direction buffer: each plaintext read
// becomes about one TLS record, as with stock.
const bufSize = 4096

// relay copies plaintext between the tlsproxy client and the TLS
// session until either side ends or the session stays silent for the
// session timeout (+10 s, as stock arms it). Plaintext EOF (smtp done, or
// scache dropping a cached connection) sends close_notify; an end on the
// TLS side closes both without one, as stock does.
func (st *state) relay(tc *tls.Conn, raw net.Conn) {
	idle := timeout(st.req.SessionTimeout, 10*time.Second)
	var last atomic.Int64
	touch := func() { last.Store(time.Now().UnixNano()) }
	touch()
	done := make(chan struct{})
	var once sync.Once
	finish := func(closeNotify bool) {
		once.Do(func() {
			if closeNotify {
				tc.Close() // sends close_notify (bounded by crypto/tls) and closes raw
			} else {
				raw.Close()
			}
			st.plain.Close()
			close(done)
		})
	}
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { // plaintext -> TLS
		defer wg.Done()
		buf := make([]byte, bufSize)
		for {
			n, err := st.plain.Read(buf)
			if n > 0 {
				touch()
				tc.SetWriteDeadline(time.Now().Add(idle))
				if _, werr := tc.Write(buf[:n]); werr != nil {
					finish(false)
					return
				}
				touch()
			}
			if err != nil {
				finish(true)
				return
			}
		}
	}()
	go func() { // TLS -> plaintext
		defer wg.Done()
		buf := make([]byte, bufSize)
		for {
			n, err := tc.Read(buf)
			if n > 0 {
				touch()
				st.plain.SetWriteDeadline(time.Now().Add(idle))
				if _, werr := st.plain.Write(buf[:n]); werr != nil {
					finish(false)
					return
				}
				touch()
			}
			if err != nil {
				finish(false)
				return
			}
		}
	}()
	st.watchIdle(idle, &last, done, finish)
	wg.Wait()
}

// watchIdle ends the session when neither side moved for the timeout.
func (st *state) watchIdle(idle time.Duration, last *atomic.Int64, done <-chan struct{}, finish func(bool)) {
	t := time.NewTimer(idle)
	defer t.Stop()
	for {
		select {
		case <-done:
			return
		case now := <-t.C:
			quiet := now.Sub(time.Unix(0, last.Load()))
			if quiet >= idle {
				st.svc.cfg.Log.Warnf("ciphertext read/write timeout for %s", st.endpoint)
				finish(false)
				return
			}
			t.Reset(idle - quiet)
		}
	}
}
