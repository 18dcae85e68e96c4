package agent

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
)

// Timing of the replay server. stallWait bounds the wait for bytes stock
// wrote before it read the server's next data: a client that waits for
// a reply there instead (less pipelining than stock) deadlocks until it
// runs out. eagerWait is how long the server listens for extra bytes
// before it speaks where stock waited for it (more pipelining than
// stock); on loopback the bytes of one write arrive well within it.
const (
	stallWait = 3 * time.Second
	eagerWait = 30 * time.Millisecond
	closeWait = 5 * time.Second
)

// replayServer plays the server side of a recorded session on one
// loopback connection and checks the client's bytes against stock's.
type replayServer struct {
	ln      net.Listener
	session []chunk
	stall   time.Duration // stallWait; shorter in the server's own test
	done    chan struct{}

	mu   sync.Mutex
	errs []string
}

func startReplay(t *testing.T, session []chunk, stall time.Duration) *replayServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &replayServer{ln: ln, session: session, stall: stall, done: make(chan struct{})}
	go func() {
		defer close(s.done)
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		s.play(c)
	}()
	t.Cleanup(func() { ln.Close(); <-s.done })
	return s
}

func (s *replayServer) fail(format string, args ...any) {
	s.mu.Lock()
	s.errs = append(s.errs, fmt.Sprintf(format, args...))
	s.mu.Unlock()
}

// errors waits for the session to end and returns what went wrong.
func (s *replayServer) errors() []string {
	s.ln.Close()
	<-s.done
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.errs...)
}

// play walks the recorded chunks. Server data is sent only after every
// byte stock wrote before reading it has arrived; after the last client
// chunk before server data, no further byte may arrive in eagerWait.
// On the first mismatch the connection is closed so that the agent fails
// fast instead of waiting for its timeouts.
func (s *replayServer) play(c net.Conn) {
	var pending []byte // client bytes read ahead of the chunk they belong to
	buf := make([]byte, 64*1024)
	for i, ch := range s.session {
		next := func() *chunk {
			if i+1 < len(s.session) {
				return &s.session[i+1]
			}
			return nil
		}()
		switch {
		case ch.eof:
			// Stock's read returned 0: the server closed its side.
			if tc, ok := c.(*net.TCPConn); ok {
				tc.CloseWrite()
			}
		case ch.server:
			if _, err := c.Write(ch.data); err != nil {
				s.fail("chunk %d: writing server data %q: %v", i, ch.data, err)
				return
			}
		default:
			var ok bool
			if pending, ok = s.expect(c, buf, i, ch.data, pending); !ok {
				return
			}
			if next != nil && next.server && !s.quiet(c, buf, i, pending) {
				return
			}
		}
	}
	s.end(c, buf, pending)
}

// expect reads until want has arrived and returns what arrived beyond it.
func (s *replayServer) expect(c net.Conn, buf []byte, i int, want, got []byte) ([]byte, bool) {
	for len(got) < len(want) {
		if !bytes.HasPrefix(want, got) {
			break
		}
		c.SetReadDeadline(time.Now().Add(s.stall))
		n, err := c.Read(buf)
		got = append(got, buf[:n]...)
		if err != nil && len(got) < len(want) && bytes.HasPrefix(want, got) {
			why := "then waited (stock wrote all of it before reading from the server)"
			if !isTimeout(err) {
				why = fmt.Sprintf("then the connection ended (%v)", err)
			}
			s.fail("client chunk %d: got %d of the %d bytes stock wrote, %s;\n  missing %q", i, len(got), len(want), why, want[len(got):])
			return nil, false
		}
	}
	if n := min(len(got), len(want)); !bytes.Equal(got[:n], want[:n]) {
		s.fail("client chunk %d differs from stock's: %s", i, firstDiff(got, want))
		return nil, false
	}
	return got[len(want):], true
}

// quiet checks that the client waits for the server, as stock did.
func (s *replayServer) quiet(c net.Conn, buf []byte, i int, pending []byte) bool {
	if len(pending) == 0 {
		c.SetReadDeadline(time.Now().Add(eagerWait))
		n, _ := c.Read(buf)
		pending = buf[:n]
	}
	if len(pending) > 0 {
		s.fail("after client chunk %d the client sent %q before the server's reply; stock waited for the reply", i, pending)
		return false
	}
	return true
}

// end expects the client to close the connection without sending more.
func (s *replayServer) end(c net.Conn, buf, pending []byte) {
	if len(pending) > 0 {
		s.fail("client sent %q after the end of stock's session", pending)
		return
	}
	c.SetReadDeadline(time.Now().Add(closeWait))
	n, err := c.Read(buf)
	switch {
	case n > 0:
		s.fail("client sent %q after the end of stock's session", buf[:n])
	case isTimeout(err):
		s.fail("client did not close the connection at the end of stock's session")
	case err != nil && !errors.Is(err, io.EOF) && !strings.Contains(err.Error(), "reset"):
		s.fail("end of session: %v", err)
	}
}

func isTimeout(err error) bool { return errors.Is(err, os.ErrDeadlineExceeded) }

// TestReplayServer checks that the replay server itself notices a client
// that pipelines less or more than the recording, and passes one that
// does exactly the same.
func TestReplayServer(t *testing.T) {
	session := []chunk{
		{server: true, data: []byte("220 x\r\n")},
		{data: []byte("A\r\nB\r\n")},
		{server: true, data: []byte("250 a\r\n250 b\r\n")},
		{data: []byte("C\r\n")},
		{server: true, data: []byte("250 c\r\n")},
	}
	for _, c := range []struct {
		name   string
		writes []string // each after reading one reply line
		want   string   // in the error; "" for none
	}{
		{"same", []string{"A\r\nB\r\n", "", "C\r\n"}, ""},
		{"less pipelining", []string{"A\r\n", "B\r\n"}, "then waited"},
		{"more pipelining", []string{"A\r\nB\r\nC\r\n"}, "before the server's reply"},
		{"different bytes", []string{"A\r\nX\r\n"}, "differs from stock's"},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := startReplay(t, session, 300*time.Millisecond)
			conn, err := net.Dial("tcp", s.ln.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			br := bufio.NewReader(conn)
			for _, w := range c.writes {
				if _, err := br.ReadString('\n'); err != nil {
					break
				}
				conn.Write([]byte(w))
			}
			if c.want == "" {
				br.ReadString('\n')
			}
			conn.Close()
			errs := strings.Join(s.errors(), "\n")
			if c.want == "" && errs != "" || !strings.Contains(errs, c.want) {
				t.Errorf("errors %q, want %q", errs, c.want)
			}
		})
	}
}
