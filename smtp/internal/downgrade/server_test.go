package downgrade

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
)

// rawServer is a minimal SMTP server on loopback that does not announce
// 8BITMIME (so stock smtp downgrades) and keeps the DATA bytes exactly
// as received, keyed by the first RCPT TO address of the transaction. A session that ends
// inside DATA (stock's reaction to a MIME error) keeps what arrived.
type rawServer struct {
	ln   net.Listener
	mu   sync.Mutex
	data map[string][]byte
	done map[string]bool // transaction with this recipient ended
}

func startRawServer(t testing.TB, port int) *rawServer {
	t.Helper()
	ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	s := &rawServer{ln: ln, data: map[string][]byte{}, done: map[string]bool{}}
	go s.serve()
	t.Cleanup(func() { ln.Close() })
	return s
}

func (s *rawServer) serve() {
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		go s.session(c)
	}
}

func (s *rawServer) session(c net.Conn) {
	defer c.Close()
	br := bufio.NewReader(c)
	rcpt := ""
	defer func() {
		s.mu.Lock()
		if rcpt != "" {
			s.done[rcpt] = true
		}
		s.mu.Unlock()
	}()
	fmt.Fprint(c, "220 raw ESMTP\r\n")
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			return
		}
		cmd := strings.ToUpper(strings.TrimRight(line, "\r\n"))
		switch {
		case strings.HasPrefix(cmd, "EHLO"):
			fmt.Fprint(c, "250-raw\r\n250-PIPELINING\r\n250 ENHANCEDSTATUSCODES\r\n")
		case strings.HasPrefix(cmd, "MAIL FROM:"):
			rcpt = "" // connections are reused: one result per transaction
			fmt.Fprint(c, "250 2.1.0 Ok\r\n")
		case strings.HasPrefix(cmd, "RCPT TO:<"):
			if rcpt == "" {
				rcpt = strings.ToLower(strings.TrimSuffix(strings.SplitN(cmd[len("RCPT TO:<"):], ">", 2)[0], ">"))
			}
			fmt.Fprint(c, "250 2.1.5 Ok\r\n")
		case cmd == "DATA":
			fmt.Fprint(c, "354 go ahead\r\n")
			body, complete := readData(br)
			s.mu.Lock()
			s.data[rcpt] = body
			s.done[rcpt] = complete
			s.mu.Unlock()
			if !complete {
				return // the deferred function marks it done
			}
			fmt.Fprint(c, "250 2.0.0 Ok\r\n")
		case cmd == "QUIT":
			fmt.Fprint(c, "221 2.0.0 Bye\r\n")
			return
		default:
			fmt.Fprint(c, "250 2.0.0 Ok\r\n")
		}
	}
}

// readData reads DATA content through the "." line, which it keeps.
func readData(br *bufio.Reader) ([]byte, bool) {
	var b []byte
	for {
		line, err := br.ReadBytes('\n')
		b = append(b, line...)
		if err != nil {
			return b, false
		}
		if bytes.Equal(line, []byte(".\r\n")) && (len(b) == 3 || bytes.HasSuffix(b[:len(b)-3], []byte("\r\n"))) {
			return b, true
		}
	}
}

// result returns the DATA bytes for rcpt once its session has ended.
func (s *rawServer) result(rcpt string) ([]byte, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.data[rcpt], s.done[rcpt]
}

// keys lists the recipients seen, for error messages.
func (s *rawServer) keys() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var k []string
	for r := range s.data {
		k = append(k, fmt.Sprintf("%s(done=%v)", r, s.done[r]))
	}
	return strings.Join(k, " ")
}
