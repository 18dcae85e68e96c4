// Package session runs tlsproxy(8) sessions: one goroutine per client of
// the tlsproxy socket (postscreen for the server role, smtp/lmtp for the
// client role) that reads the request, takes the remote peer's socket,
// does the TLS handshake and then relays plaintext both ways.
package session

import (
	"crypto/tls"
	"net"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/postfix-go/postfix-go/master-compat/server"
)

// Logger is the part of maillog.Logger sessions use.
type Logger interface {
	Info(msg string)
	Infof(format string, args ...any)
	Warnf(format string, args ...any)
}

// Config is what every session of the process shares.
type Config struct {
	Log Logger
	// Server is the server role's TLS configuration; nil when the role is
	// disabled (every server-role request then gets status 0).
	Server *ServerRole
	// Client is the client role; nil when tlsproxy_client_security_level
	// and the policy tables leave it disabled (status 0, where stock
	// 3.7.11 crashes with SIGSEGV).
	Client *ClientRole
	// IOTimeout bounds each synchronous step on the tlsproxy socket
	// before the handshake (stock: 5 s for the attribute exchanges).
	IOTimeout time.Duration
	// FDTimeout bounds the wait for the descriptor and, after status 0,
	// for the client to hang up (stock TLSP_INIT_TIMEOUT, 100 s).
	FDTimeout time.Duration
	// Watchdog guards the steps that stock runs inside one event
	// handler, which must never take long; nil disables it.
	Watchdog *server.Watchdog
}

// ServerRole is the server-role TLS setup, built once per process.
type ServerRole struct {
	TLS        *tls.Config
	LogSummary bool   // tlsproxy_tls_loglevel includes "summary"
	MDAlg      string // tlsproxy_tls_fingerprint_digest
}

// Service implements server.EventService and server.Drainer.
type Service struct {
	cfg    Config
	wg     sync.WaitGroup
	active atomic.Int64
}

// New returns a service; cfg.Log is required.
func New(cfg Config) *Service {
	if cfg.IOTimeout <= 0 {
		cfg.IOTimeout = 5 * time.Second
	}
	if cfg.FDTimeout <= 0 {
		cfg.FDTimeout = 100 * time.Second
	}
	return &Service{cfg: cfg}
}

// Start serves one connection in its own goroutine and calls done when
// the session is over, whatever happened to it.
func (s *Service) Start(c net.Conn, done func()) {
	s.wg.Add(1)
	s.active.Add(1)
	go func() {
		defer s.wg.Done()
		defer done()
		defer s.active.Add(-1)
		defer c.Close()
		// One session's bug must not take the others down: log it
		// (with the stack, so that it gets fixed) and drop only this
		// session.
		defer func() {
			if r := recover(); r != nil {
				s.cfg.Log.Warnf("tlsproxy session: internal error: %v\n%s", r, debug.Stack())
			}
		}()
		s.serve(c)
	}()
}

// Active is the number of sessions in progress.
func (s *Service) Active() int { return int(s.active.Load()) }

// Drain is stock's reload behaviour: the listeners are already closed,
// so the sessions in progress finish with the old configuration and the
// process leaves when the last one ends. Every session is bounded by its
// own timeouts, so this cannot wait forever.
func (s *Service) Drain(remaining int) server.Reason {
	s.wg.Wait()
	return server.MasterGone
}

// guard runs f under the watchdog.
func (s *Service) guard(f func()) {
	done := s.cfg.Watchdog.Start()
	defer done()
	f()
}
