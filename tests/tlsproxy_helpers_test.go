package tests

import (
	"bufio"
	"crypto/tls"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/postfix-go/postfix-go/tests/harness"
)

// smtpClient is a minimal SMTP client for driving postscreen and smtpd
// through STARTTLS from a test.
type smtpClient struct {
	t    *testing.T
	conn net.Conn
	r    *bufio.Reader
	port int // local port: tlsproxy and postscreen log it
}

func dialSMTP(t *testing.T, addr string) *smtpClient {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	c.SetDeadline(time.Now().Add(45 * time.Second))
	return &smtpClient{t: t, conn: c, r: bufio.NewReader(c), port: c.LocalAddr().(*net.TCPAddr).Port}
}

// reply reads one (multi-line) reply and returns its last line.
func (c *smtpClient) reply() string {
	c.t.Helper()
	for {
		line, err := c.r.ReadString('\n')
		if err != nil {
			c.t.Fatalf("read reply: %v (partial %q)", err, line)
		}
		line = strings.TrimRight(line, "\r\n")
		if len(line) < 4 || line[3] != '-' {
			return line
		}
	}
}

// cmd sends a command and checks the reply code's first digit(s).
func (c *smtpClient) cmd(want, format string, args ...any) string {
	c.t.Helper()
	if _, err := fmt.Fprintf(c.conn, format+"\r\n", args...); err != nil {
		c.t.Fatalf("send %q: %v", fmt.Sprintf(format, args...), err)
	}
	r := c.reply()
	if !strings.HasPrefix(r, want) {
		c.t.Fatalf("%q: reply %q, want %s...", fmt.Sprintf(format, args...), r, want)
	}
	return r
}

// startTLS runs STARTTLS and the handshake, checking the server's
// certificate against the test CA.
func (c *smtpClient) startTLS(certs harness.TestCerts) tls.ConnectionState {
	c.t.Helper()
	c.cmd("220", "STARTTLS")
	tc := tls.Client(c.conn, &tls.Config{RootCAs: certs.Pool, ServerName: "mx.test.example"})
	if err := tc.Handshake(); err != nil {
		c.t.Fatalf("TLS handshake: %v", err)
	}
	c.conn, c.r = tc, bufio.NewReader(tc)
	return tc.ConnectionState()
}

func (c *smtpClient) close() { c.conn.Close() }

// fdCount counts the open descriptors of a process.
func fdCount(t *testing.T, pid int) int {
	t.Helper()
	ents, err := readDirNames(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		t.Fatal(err)
	}
	return len(ents)
}
