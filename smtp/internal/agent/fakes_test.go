package agent

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/postfix-go/postfix-go/master-compat/statusclient"
	"github.com/postfix-go/postfix-go/smtp/internal/deliver"
	"github.com/postfix-go/postfix-go/smtp/internal/queuefile"
)

// call is one status-service request the agent made.
type call struct {
	kind string // sent, defer, bounce, trace, verify, flush
	addr string
	dsn  statusclient.DSN
}

// fakeStatus records the status calls; fail makes calls of a kind fail.
type fakeStatus struct {
	mu    sync.Mutex
	calls []call
	fail  map[string]bool
}

func (f *fakeStatus) record(kind, addr string, dsn statusclient.DSN) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, call{kind, addr, dsn})
	if f.fail[kind] {
		return &statusclient.StatusError{Path: "private/" + kind + " socket", Status: -1}
	}
	return nil
}

func (f *fakeStatus) DeferAppend(_ context.Context, _ int, _ string, r statusclient.Recipient, d statusclient.DSN) error {
	return f.record("defer", r.Address, d)
}
func (f *fakeStatus) BounceAppend(_ context.Context, _ int, _ string, r statusclient.Recipient, d statusclient.DSN) error {
	return f.record("bounce", r.Address, d)
}
func (f *fakeStatus) TraceAppend(_ context.Context, _ int, _ string, r statusclient.Recipient, _ string, d statusclient.DSN) error {
	return f.record("trace", r.Address, d)
}

// Sent does what statusclient's Sent does for normal mail without
// trace records: nothing but the decision.
func (f *fakeStatus) Sent(_ context.Context, flags int, id string, r statusclient.Recipient, _ string, d statusclient.DSN) (statusclient.SentResult, error) {
	p := statusclient.PlanSent(flags, r, d)
	res := statusclient.SentResult{DSN: p.DSN, LogStatus: "sent"}
	if err := f.record("sent", r.Address, p.DSN); err != nil {
		dd := p.DSN
		dd.Status, dd.Reason = "4.3.0", id+": trace service failed"
		return statusclient.SentResult{DSN: p.DSN, Defer: &dd}, err
	}
	return res, nil
}
func (f *fakeStatus) VerifyAppend(_ context.Context, r statusclient.Recipient, _ int, action, reason string) (string, error) {
	return action, f.record("verify", r.Address, statusclient.DSN{Action: action, Reason: reason})
}
func (f *fakeStatus) FlushAdd(_ context.Context, site, _ string) (int, error) {
	return 0, f.record("flush", site, statusclient.DSN{})
}

func (f *fakeStatus) kinds() map[string]string {
	f.mu.Lock()
	defer f.mu.Unlock()
	m := map[string]string{}
	for _, c := range f.calls {
		m[c.addr] += c.kind + " "
	}
	for k, v := range m {
		m[k] = strings.TrimSpace(v)
	}
	return m
}

func (f *fakeStatus) find(kind, addr string) (statusclient.DSN, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, c := range f.calls {
		if c.kind == kind && c.addr == addr {
			return c.dsn, true
		}
	}
	return statusclient.DSN{}, false
}

// fakeMsg is a queue file: content records and the offsets marked done.
type fakeMsg struct {
	content  []byte
	mu       sync.Mutex
	done     []int64
	failMark bool
}

func newFakeMsg(lines ...string) *fakeMsg {
	var b []byte
	for _, l := range lines {
		b = queuefile.AppendRecord(b, queuefile.RecTypeNorm, []byte(l))
	}
	b = queuefile.AppendRecord(b, 'X', nil)
	return &fakeMsg{content: b}
}

func (m *fakeMsg) Content(off int64) (*queuefile.ContentReader, error) {
	return queuefile.NewContentReader(bytes.NewReader(m.content), "active/ABC123", "ABC123", off)
}

func (m *fakeMsg) MarkDone(off int64) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.failMark {
		return errors.New("update queue file active/ABC123: Input/output error")
	}
	m.done = append(m.done, off)
	return nil
}

// fakeLog keeps the log records.
type fakeLog struct {
	mu    sync.Mutex
	lines []string
}

func (l *fakeLog) Info(s string) { l.mu.Lock(); l.lines = append(l.lines, s); l.mu.Unlock() }
func (l *fakeLog) Warn(s string) {
	l.mu.Lock()
	l.lines = append(l.lines, "warning: "+s)
	l.mu.Unlock()
}
func (l *fakeLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n")
}

// fakeServer is a scripted SMTP server for one session.
type fakeServer struct {
	greeting string
	ehlo     string
	rcpt     func(addr string) string // RCPT reply by address; nil: 250
	mail     string                   // MAIL reply; "": 250
	data     string
	dot      string
	// hangupAt closes the connection instead of answering the named
	// command ("DATA", ".") ; stallAt never answers it.
	hangupAt, stallAt string

	ln   net.Listener
	mu   sync.Mutex
	cmds []string
	// batches groups the commands as they arrived: a command joins the
	// previous one when it was already waiting in the read buffer, which
	// on loopback means the client wrote them together (pipelining).
	batches  []string
	joinNext bool
	accepted int  // RCPTs accepted in the current transaction
	inMail   bool // MAIL was accepted
	body     string
	done     chan struct{}
}

func startServer(t *testing.T, s *fakeServer) *fakeServer {
	t.Helper()
	if s.greeting == "" {
		s.greeting = "220 fake.test ESMTP"
	}
	if s.ehlo == "" {
		s.ehlo = "250-fake.test\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250-8BITMIME\r\n250 DSN"
	}
	if s.data == "" {
		s.data = "354 End data with <CR><LF>.<CR><LF>"
	}
	if s.dot == "" {
		s.dot = "250 2.0.0 Ok: queued as FAKE1"
	}
	s.ln, s.done = serveOnce(t, "tcp", "127.0.0.1:0", s.session)
	return s
}

// serveOnce listens on network/addr and runs session on the first
// connection; done closes when it has finished (the listener is closed
// and waited for at the end of the test).
func serveOnce(t *testing.T, network, addr string, session func(net.Conn)) (net.Listener, chan struct{}) {
	t.Helper()
	ln, err := net.Listen(network, addr)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	t.Cleanup(func() { ln.Close(); <-done })
	go func() {
		defer close(done)
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		session(c)
	}()
	return ln, done
}

func (s *fakeServer) port() int { return s.ln.Addr().(*net.TCPAddr).Port }

func (s *fakeServer) session(c net.Conn) {
	br := bufio.NewReader(c)
	say := func(text string) { fmt.Fprintf(c, "%s\r\n", text) }
	say(s.greeting)
	if !strings.HasPrefix(s.greeting, "2") {
		// A refusing server still reads the QUIT.
		line, _ := br.ReadString('\n')
		s.log(strings.TrimRight(line, "\r\n"))
		return
	}
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			return
		}
		cmd := strings.TrimRight(line, "\r\n")
		s.log(cmd)
		s.batch(cmd, br.Buffered() > 0)
		verb := strings.ToUpper(strings.SplitN(cmd, ":", 2)[0])
		verb = strings.SplitN(verb, " ", 2)[0]
		if verb == s.hangupAt {
			return
		}
		if verb == s.stallAt {
			buf := make([]byte, 1)
			c.Read(buf) // until the client gives up
			return
		}
		switch verb {
		case "EHLO":
			say(s.ehlo)
		case "XFORWARD":
			say("250 2.0.0 Ok")
		case "HELO", "RSET":
			s.accepted, s.inMail = 0, false
			say("250 2.0.0 Ok")
		case "MAIL":
			if s.mail != "" {
				say(s.mail)
				continue
			}
			s.inMail = true
			say("250 2.1.0 Ok")
		case "RCPT":
			addr := cmd[strings.IndexByte(cmd, '<')+1 : strings.IndexByte(cmd, '>')]
			reply := "250 2.1.5 Ok"
			if !s.inMail {
				reply = "503 5.5.1 Error: need MAIL command"
			} else if s.rcpt != nil {
				reply = s.rcpt(addr)
			}
			if strings.HasPrefix(reply, "2") {
				s.accepted++
			}
			say(reply)
		case "DATA":
			if s.accepted == 0 {
				// What Postfix's smtpd says to a pipelined DATA
				// after every RCPT failed.
				say("554 5.5.1 Error: no valid recipients")
				continue
			}
			say(s.data)
			if !strings.HasPrefix(s.data, "354") {
				continue
			}
			var body strings.Builder
			for {
				l, err := br.ReadString('\n')
				if err != nil {
					return
				}
				if l == ".\r\n" {
					break
				}
				body.WriteString(l)
			}
			s.mu.Lock()
			s.body = body.String()
			s.mu.Unlock()
			s.log(".")
			s.batch(".", br.Buffered() > 0)
			s.accepted, s.inMail = 0, false
			if s.hangupAt == "." {
				return
			}
			if s.stallAt == "." {
				buf := make([]byte, 1)
				c.Read(buf)
				return
			}
			say(s.dot)
		case "QUIT":
			say("221 2.0.0 Bye")
			return
		default:
			say("502 5.5.2 Error: command not recognized")
		}
	}
}

func (s *fakeServer) log(cmd string) { s.mu.Lock(); s.cmds = append(s.cmds, cmd); s.mu.Unlock() }

// batch records cmd in the current batch; more: another command is
// already waiting.
func (s *fakeServer) batch(cmd string, more bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	verb := strings.SplitN(strings.SplitN(cmd, ":", 2)[0], " ", 2)[0]
	if s.joinNext && len(s.batches) > 0 {
		s.batches[len(s.batches)-1] += "|" + verb
	} else {
		s.batches = append(s.batches, verb)
	}
	s.joinNext = more
}

// writes is the command verbs grouped by the client's writes.
func (s *fakeServer) writes() []string {
	<-s.done
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.batches...)
}

func (s *fakeServer) commands() []string {
	<-s.done
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.cmds...)
}

// testConfig is the stock defaults, with short timeouts.
func testConfig() Config {
	return Config{
		HeloName:         "client.test",
		MyHostname:       "client.test",
		Timeouts:         Timeouts{Connect: 5 * time.Second, Helo: 5 * time.Second, Mail: 5 * time.Second, Rcpt: 5 * time.Second, DataInit: 5 * time.Second, DataXfer: 5 * time.Second, DataDone: 5 * time.Second, RSET: 5 * time.Second, Quit: 5 * time.Second},
		SMTPLineLimit:    998,
		Skip5xxGreeting:  true,
		QuoteEnvelope:    true,
		SkipQuitResponse: true,
		DelayResolution:  2,
		BounceService:    "bounce",
		DeferService:     "defer",
		TraceService:     "trace",
		VerifyService:    "verify",
	}
}

// testRequest is a request for the given recipients, offsets 100, 200, ...
func testRequest(port int, rcpts ...string) *deliver.Request {
	now := time.Now()
	req := &deliver.Request{
		Flags:     deliver.FlagDefault,
		QueueName: "active",
		QueueID:   "ABC123",
		DataSize:  42,
		Nexthop:   fmt.Sprintf("[127.0.0.1]:%d", port),
		Encoding:  "8bit",
		Sender:    "alice@example.com",
		Stats: deliver.MsgStats{
			IncomingArrival: now.Add(-time.Second),
			ActiveArrival:   now.Add(-500 * time.Millisecond),
			AgentHandoff:    now,
		},
	}
	for i, r := range rcpts {
		req.Recipients = append(req.Recipients, deliver.Recipient{
			OrigAddr: r, Address: r, Offset: int64(100 * (i + 1)), DSNOrcpt: "rfc822;" + r,
		})
	}
	return req
}

type harness struct {
	status *fakeStatus
	msg    *fakeMsg
	log    *fakeLog
	agent  *Agent
}

func newHarness(cfg Config) *harness {
	h := &harness{status: &fakeStatus{fail: map[string]bool{}}, msg: newFakeMsg("Subject: hi", "", "hello", ".dot", "bye"), log: &fakeLog{}}
	h.agent = New(cfg, h.status, h.log)
	return h
}
