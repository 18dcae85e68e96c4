// Package scriptsink is a scripted SMTP server for side-by-side tests of
// SMTP clients: it answers each command with the reply a Script gives
// for it and records what the client sent, command by command and in
// the chunks (pipelining batches) the bytes arrived in.
//
// smtp-sink(1) can only fail a whole stage; the conformance tests need
// per-recipient reply mixes, broken multi-line replies, oversized lines
// and disconnects at a chosen command, and a byte-exact record of the
// client's commands to compare two SMTP clients with.
package scriptsink

import (
	"bytes"
	"fmt"
	"net"
	"strings"
	"sync"
	"time"
)

// Close, used as a reply, makes the server drop the connection after
// reading the command instead of answering it.
const Close = "<close>"

// Script maps a command verb ("EHLO", "HELO", "MAIL", "RCPT", "DATA",
// "RSET", "QUIT", ...), "CONNECT" for the greeting and "." for the
// end-of-data reply to the replies for the verb's successive uses in a
// session; the last one repeats. A reply's lines are separated by "\n"
// and each is sent with CRLF. Verbs not in the script get Defaults.
type Script map[string][]string

// Defaults answer like a plain Postfix smtpd that announces PIPELINING.
var Defaults = Script{
	"CONNECT": {"220 scriptsink.test ESMTP"},
	"EHLO":    {"250-scriptsink.test\n250-PIPELINING\n250-8BITMIME\n250 ENHANCEDSTATUSCODES"},
	"HELO":    {"250 scriptsink.test"},
	"MAIL":    {"250 2.1.0 Ok"},
	"RCPT":    {"250 2.1.5 Ok"},
	"DATA":    {"354 End data with <CR><LF>.<CR><LF>"},
	".":       {"250 2.0.0 Ok: queued as SCRIPTED"},
	"RSET":    {"250 2.0.0 Ok"},
	"NOOP":    {"250 2.0.0 Ok"},
	"QUIT":    {"221 2.0.0 Bye"},
	"":        {"502 5.5.2 Error: command not recognized"},
}

// Session is the record of one connection.
type Session struct {
	// Lines is the conversation: "C: <command>" as received (CRLF
	// removed), "S: <reply line>", "C: <content>" standing for the
	// message content, and "-- closed by server" / "-- EOF".
	Lines []string
	// Content is the message content as received, one string per line,
	// dot-stuffing intact, for each DATA transaction.
	Content [][]string
	// Batches has one entry per read(2) that completed at least one
	// line: the verbs of the commands in it ("<content>" for content).
	Batches [][]string
	Done    bool // the connection is closed
}

// Server is a listening scripted server.
type Server struct {
	Addr string
	Port int

	ln       net.Listener
	script   Script
	mu       sync.Mutex
	sessions []*Session
	wg       sync.WaitGroup
}

// Start listens on 127.0.0.1 (port 0: any free port) and serves script.
func Start(port int, script Script) (*Server, error) {
	ln, err := net.Listen("tcp4", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		return nil, fmt.Errorf("scriptsink: %w", err)
	}
	s := &Server{ln: ln, script: script, Addr: ln.Addr().String(), Port: ln.Addr().(*net.TCPAddr).Port}
	s.wg.Add(1)
	go s.accept()
	return s, nil
}

// Stop closes the listener and every connection and waits for them.
func (s *Server) Stop() {
	s.ln.Close()
	s.wg.Wait()
}

// Sessions returns a snapshot of all sessions so far, oldest first.
func (s *Server) Sessions() []Session {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Session, len(s.sessions))
	for i, p := range s.sessions {
		out[i] = Session{
			Lines:   append([]string(nil), p.Lines...),
			Content: append([][]string(nil), p.Content...),
			Batches: append([][]string(nil), p.Batches...),
			Done:    p.Done,
		}
	}
	return out
}

// Idle reports whether every session so far has ended.
func (s *Server) Idle() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, p := range s.sessions {
		if !p.Done {
			return false
		}
	}
	return true
}

func (s *Server) accept() {
	defer s.wg.Done()
	var conns []net.Conn
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		conns = append(conns, c)
		p := &Session{}
		s.mu.Lock()
		s.sessions = append(s.sessions, p)
		s.mu.Unlock()
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			s.serve(c, p)
		}()
	}
}

// conn is the state of one session while it is served.
type conn struct {
	s     *Server
	p     *Session
	c     net.Conn
	uses  map[string]int
	inBuf []byte
}

func (s *Server) record(f func()) {
	s.mu.Lock()
	f()
	s.mu.Unlock()
}

// serve runs one session. Deadlines only stop a hung client from
// keeping the goroutine forever; no test relies on them.
func (s *Server) serve(c net.Conn, p *Session) {
	cn := &conn{s: s, p: p, c: c, uses: map[string]int{}}
	defer func() {
		c.Close()
		s.record(func() { p.Done = true })
	}()
	_ = c.SetDeadline(time.Now().Add(2 * time.Minute))
	if !cn.reply("CONNECT") {
		return
	}
	inData := false
	var content []string
	buf := make([]byte, 64*1024)
	for {
		n, err := c.Read(buf)
		if n == 0 && err != nil {
			s.record(func() { p.Lines = append(p.Lines, "-- EOF") })
			return
		}
		cn.inBuf = append(cn.inBuf, buf[:n]...)
		var batch []string
		for {
			i := bytes.Index(cn.inBuf, []byte("\r\n"))
			if i < 0 {
				break
			}
			line := string(cn.inBuf[:i])
			cn.inBuf = cn.inBuf[i+2:]
			if inData {
				if line != "." {
					content = append(content, line)
					if len(batch) == 0 || batch[len(batch)-1] != "<content>" {
						batch = append(batch, "<content>")
					}
					continue
				}
				inData = false
				cc := content
				content = nil
				s.record(func() {
					p.Content = append(p.Content, cc)
					p.Lines = append(p.Lines, "C: <content>", "C: .")
				})
				batch = append(batch, ".")
				if !cn.reply(".") {
					cn.flushBatch(batch)
					return
				}
				continue
			}
			verb := strings.ToUpper(strings.Fields(line + " x")[0])
			if strings.HasPrefix(verb, "MAIL") || strings.HasPrefix(verb, "RCPT") {
				verb = verb[:4] // "MAIL FROM:<x>" without a space
			}
			batch = append(batch, verb)
			s.record(func() { p.Lines = append(p.Lines, "C: "+line) })
			r, ok := cn.next(verb)
			if !ok || !cn.send(r) {
				cn.flushBatch(batch)
				return
			}
			if verb == "DATA" && strings.HasPrefix(r, "354") {
				inData = true
			}
			if verb == "QUIT" {
				cn.flushBatch(batch)
				return
			}
		}
		cn.flushBatch(batch)
	}
}

func (cn *conn) flushBatch(b []string) {
	if len(b) > 0 {
		cn.s.record(func() { cn.p.Batches = append(cn.p.Batches, b) })
	}
}

// next picks the reply for the verb's next use; ok is false for Close.
func (cn *conn) next(verb string) (string, bool) {
	rs, found := cn.s.script[verb]
	if !found {
		if rs, found = Defaults[verb]; !found {
			rs = Defaults[""]
		}
	}
	i := min(cn.uses[verb], len(rs)-1)
	cn.uses[verb]++
	if rs[i] == Close {
		cn.s.record(func() { cn.p.Lines = append(cn.p.Lines, "-- closed by server") })
		return "", false
	}
	return rs[i], true
}

// reply answers a pseudo-command (greeting); false ends the session.
func (cn *conn) reply(verb string) bool {
	r, ok := cn.next(verb)
	return ok && cn.send(r)
}

// send writes one reply, all its lines in one write.
func (cn *conn) send(r string) bool {
	lines := strings.Split(r, "\n")
	cn.s.record(func() {
		for _, l := range lines {
			cn.p.Lines = append(cn.p.Lines, "S: "+l)
		}
	})
	_, err := cn.c.Write([]byte(strings.Join(lines, "\r\n") + "\r\n"))
	return err == nil
}
