// Package faultsink is a fake SMTP server for fault-injection tests. It
// answers like a healthy server, or rejects recipients, goes silent,
// drops the connection in the middle of the content, or pauses every
// session at a chosen protocol step until the test releases it. It
// records every transaction it accepted (answered "." with 250), with
// the full content, so that tests can count deliveries per Message-ID.
//
// A transaction is committed as soon as its final "." has been read,
// before the 250 reply, as a real server stores mail: a client that
// loses that reply and retries delivers a duplicate (RFC 5321 §4.1.4).
//
// Behaviour can be switched at any time with Set; a session reads the
// configuration afresh at every step, so a test can make the peer
// healthy and flush the queue.
package faultsink

import (
	"errors"
	"fmt"
	"net"
	"regexp"
	"strings"
	"sync"
	"time"
)

// Step is a point in the SMTP dialogue where a session can pause. Each
// names what the server has done when it stops answering.
type Step int

const (
	StepNone       Step = iota
	StepConnect         // TCP connection accepted, no greeting sent
	StepGreeting        // 220 greeting sent
	StepEHLO            // EHLO answered
	StepMail            // MAIL FROM answered
	StepRcpt            // every RCPT answered; DATA read but not answered
	StepData            // 354 sent, no content read
	StepContent         // ContentBytes of content read, not the final "."
	StepDot             // "." read and the transaction committed; no reply sent
	StepDotReplied      // 250 sent for "."; nothing more is answered
)

var stepNames = []string{"none", "connect", "greeting", "ehlo", "mail", "rcpt", "data", "content", "dot", "dot-replied"}

func (s Step) String() string {
	if s >= 0 && int(s) < len(stepNames) {
		return stepNames[s]
	}
	return fmt.Sprintf("step(%d)", int(s))
}

// Fault is what the server does with one recipient.
type Fault int

const (
	Accept      Fault = iota
	SoftReject        // 450 to RCPT
	HardReject        // 550 to RCPT
	SilentRcpt        // no reply to RCPT: the session hangs until the client leaves
	DropContent       // 250 to RCPT, then close after ContentBytes of content
	SilentDot         // 250 to RCPT, read the message, never answer "."; nothing is committed
)

// Config selects the behaviour; the zero value is a healthy server.
type Config struct {
	Faults  func(rcpt string) Fault // nil: accept every recipient
	PauseAt Step                    // sessions stop answering here until Release
	// PauseOnce pauses only the first session at PauseAt; later ones
	// are held at StepConnect, before the greeting, where stopping
	// them can neither lose nor duplicate mail.
	PauseOnce bool
}

// Message is one transaction: committed, or in progress when paused.
type Message struct {
	From      string   // MAIL FROM address without brackets; "" for a bounce
	Rcpts     []string // accepted recipients, without brackets
	MessageID string   // top-level Message-Id without brackets
	QueueID   string   // from the first "(Postfix) ... id X" Received header
	Data      []byte   // content, dot-unstuffed, CRLF line ends
	fault     Fault    // transaction-wide fault of an accepted recipient
}

// Server is a running fault sink.
type Server struct {
	ContentBytes int // content read before DropContent or StepContent; default 4096

	mu      sync.Mutex
	cfg     Config
	lns     []net.Listener
	conns   map[net.Conn]bool
	msgs    []Message
	paused  []Message
	release chan struct{}
	once    bool // a PauseOnce session has paused
	closed  bool
	wg      sync.WaitGroup
}

// New returns a server with configuration cfg; call Listen.
func New(cfg Config) *Server {
	return &Server{ContentBytes: 4096, cfg: cfg, conns: map[net.Conn]bool{}, release: make(chan struct{})}
}

// Listen serves on addr (e.g. "127.0.0.1:0") and returns the address.
func (s *Server) Listen(addr string) (string, error) {
	ln, err := net.Listen("tcp4", addr)
	if err != nil {
		return "", fmt.Errorf("faultsink: %w", err)
	}
	s.mu.Lock()
	s.lns = append(s.lns, ln)
	s.mu.Unlock()
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			if !s.track(c) {
				c.Close()
				return
			}
			s.wg.Add(1)
			go s.serve(c)
		}
	}()
	return ln.Addr().String(), nil
}

func (s *Server) track(c net.Conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	s.conns[c] = true
	return true
}

// Set replaces the configuration; sessions already paused stay paused.
func (s *Server) Set(cfg Config) {
	s.mu.Lock()
	s.cfg, s.once = cfg, false
	s.mu.Unlock()
}

func (s *Server) config() Config {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cfg
}

// Messages returns the committed transactions in order.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.msgs...)
}

// Paused returns the transaction state of each session paused now.
func (s *Server) Paused() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.paused...)
}

// WaitPaused waits until at least n sessions are paused.
func (s *Server) WaitPaused(n int, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for len(s.Paused()) < n {
		if time.Now().After(deadline) {
			return fmt.Errorf("faultsink: %d of %d sessions paused after %v", len(s.Paused()), n, timeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return nil
}

// Release ends every paused session: its connection is closed without
// another byte being answered or committed.
func (s *Server) Release() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return // Close released everyone for good
	}
	close(s.release)
	s.release = make(chan struct{})
	s.paused = nil
}

// Close stops listening, drops every connection and waits for the
// sessions to end.
func (s *Server) Close() {
	s.mu.Lock()
	if !s.closed {
		s.closed = true
		close(s.release)
		for _, ln := range s.lns {
			ln.Close()
		}
		for c := range s.conns {
			c.Close()
		}
	}
	s.mu.Unlock()
	s.wg.Wait()
}

// pause blocks at step when the configuration asks for it and reports
// whether the session must end (it was released or the server closed).
func (s *Server) pause(step Step, tx *Message) bool {
	s.mu.Lock()
	at := s.cfg.PauseAt
	if s.cfg.PauseOnce && s.once {
		at = StepConnect
	}
	if at != step || s.closed {
		done := s.closed
		s.mu.Unlock()
		return done
	}
	s.once = s.once || step == s.cfg.PauseAt
	var m Message
	if tx != nil {
		m = *tx
		m.Rcpts = append([]string(nil), tx.Rcpts...)
		m.Data = append([]byte(nil), tx.Data...)
		m.MessageID, m.QueueID = headerIDs(m.Data)
	}
	s.paused = append(s.paused, m)
	ch := s.release
	s.mu.Unlock()
	<-ch
	return true
}

func (s *Server) commit(tx *Message) {
	tx.MessageID, tx.QueueID = headerIDs(tx.Data)
	s.mu.Lock()
	s.msgs = append(s.msgs, *tx)
	s.mu.Unlock()
}

var (
	msgIDRE   = regexp.MustCompile(`(?im)^Message-Id:\s*<([^>]+)>`)
	queueIDRE = regexp.MustCompile(`\(Postfix\)(?:\s+with\s+\S+)?\s+id\s+([0-9A-Za-z]+)`)
)

// headerIDs extracts Message-Id and our instance's queue id from the
// top-level header, not from a message attached to a bounce.
func headerIDs(data []byte) (msgID, queueID string) {
	hdr, _, _ := strings.Cut(string(data), "\r\n\r\n")
	if m := msgIDRE.FindStringSubmatch(hdr); m != nil {
		msgID = m[1]
	}
	if m := queueIDRE.FindStringSubmatch(hdr); m != nil {
		queueID = m[1]
	}
	return msgID, queueID
}

var errEnd = errors.New("session ends")
