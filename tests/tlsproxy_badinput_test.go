package tests

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"testing"
	"time"

	"github.com/postfix-go/postfix-go/master-compat/attr"
	"github.com/postfix-go/postfix-go/master-compat/fdpass"
	"github.com/postfix-go/postfix-go/tests/harness"
)

// rawTLSProxy is a hand-driven client of private/tlsproxy.
type rawTLSProxy struct {
	t *testing.T
	u *net.UnixConn
	r *bufio.Reader
}

func dialTLSProxy(t *testing.T, in *harness.Instance) *rawTLSProxy {
	t.Helper()
	c, err := net.DialTimeout("unix", filepath.Join(in.Spool, "private", "tlsproxy"), 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	c.SetDeadline(time.Now().Add(30 * time.Second))
	p := &rawTLSProxy{t: t, u: c.(*net.UnixConn), r: bufio.NewReaderSize(c, 16)}
	if got := p.list(); got != "protocol\x00tlsproxy_protocol\x00\x00" {
		t.Fatalf("announcement %q", got)
	}
	return p
}

// list reads one attr0 list (up to the empty name).
func (p *rawTLSProxy) list() string {
	var b bytes.Buffer
	for {
		tok, err := p.r.ReadBytes(0)
		b.Write(tok)
		if err != nil || len(tok) == 1 {
			return b.String()
		}
		v, err := p.r.ReadBytes(0)
		b.Write(v)
		if err != nil {
			return b.String()
		}
	}
}

// serverRequest sends list 1 of a server-role request (as postscreen
// does) and returns the status list.
func (p *rawTLSProxy) serverRequest(flags int, port int) string {
	var b []byte
	b = attr.AppendStr(b, "remote_endpoint", fmt.Sprintf("[127.0.0.1]:%d", port))
	b = attr.AppendInt(b, "flags", flags)
	b = attr.AppendInt(b, "timeout", 10)
	b = attr.AppendInt(b, "timeout", 10)
	b = attr.AppendStr(b, "serverid", "smtpd")
	if _, err := p.u.Write(attr.AppendEnd(b)); err != nil {
		p.t.Fatal(err)
	}
	return p.list()
}

// passPeer hands over our end of a fresh loopback TCP connection and
// returns the remote end, which the test then plays.
func (p *rawTLSProxy) passPeer() net.Conn {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		p.t.Fatal(err)
	}
	defer ln.Close()
	remote, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		p.t.Fatal(err)
	}
	ours, err := ln.Accept()
	if err != nil {
		p.t.Fatal(err)
	}
	f, err := ours.(*net.TCPConn).File()
	ours.Close()
	if err != nil {
		p.t.Fatal(err)
	}
	defer f.Close()
	raw, _ := p.u.SyscallConn()
	if err := fdpass.Send(raw, int(f.Fd())); err != nil {
		p.t.Fatal(err)
	}
	remote.SetDeadline(time.Now().Add(30 * time.Second))
	return remote
}

// TestTLSProxyBadInput: garbage requests, bad flags, a peer that
// vanishes mid-handshake and one that talks plaintext after STARTTLS;
// our tlsproxy logs each, keeps serving (same process, a good session
// afterwards) and its descriptor count returns to the baseline.
func TestTLSProxyBadInput(t *testing.T) {
	in, certs := newPostscreenTLS(t, false)
	postscreenSTARTTLS(t, in, certs) // starts tlsproxy
	pid := requireDaemon(t, in, "tlsproxy")
	if _, err := in.WaitLog(`tlsproxy\[\d+\]: DISCONNECT `, logTimeout); err != nil {
		t.Fatal(err)
	}
	base := fdCount(t, pid)
	mark := in.LogMark()

	p := dialTLSProxy(t, in)
	p.u.Write([]byte("garbage\x00\x00"))
	if n, _ := io.Copy(io.Discard, p.r); n != 0 {
		t.Errorf("garbage request: %d bytes back, want a plain close", n)
	}
	p.u.Close()

	p = dialTLSProxy(t, in)
	if st := p.serverRequest(3, 1001); st != "status\x000\x00\x00" {
		t.Errorf("bad flags: %q", st)
	}
	p.u.Close()

	for i, junk := range []string{"\x16\x03\x01\x02\x00\x01\x00", "EHLO plaintext\r\n"} {
		p = dialTLSProxy(t, in)
		if st := p.serverRequest(1, 1002+i); st != "status\x001\x00\x00" {
			t.Fatalf("status %q", st)
		}
		remote := p.passPeer()
		remote.Write([]byte(junk))
		remote.(*net.TCPConn).CloseWrite()
		io.Copy(io.Discard, p.r)
		remote.Close()
		p.u.Close()
	}

	// Still serving: a complete session over the same process.
	p = dialTLSProxy(t, in)
	if st := p.serverRequest(1, 1010); st != "status\x001\x00\x00" {
		t.Fatalf("status %q", st)
	}
	remote := p.passPeer()
	tc := tls.Client(remote, &tls.Config{RootCAs: certs.Pool, ServerName: "mx.test.example"})
	if err := tc.Handshake(); err != nil {
		t.Fatal(err)
	}
	tc.Write([]byte("NOOP\r\n"))
	if line, _ := p.r.ReadString('\n'); line != "NOOP\r\n" {
		t.Errorf("relayed %q", line)
	}
	p.u.Close()
	tc.Close()

	for _, re := range []string{
		`warning: tlsp_get_request_event: receive request attributes: `,
		`warning: tlsp_get_request_event: bad request flags: 0x3`,
		`SSL_accept error from \[127\.0\.0\.1\]:1002: lost connection`,
		`warning: TLS library problem: `,
		`TLS handshake failed for service=smtpd peer=\[127\.0\.0\.1\]:1003`,
		`DISCONNECT \[127\.0\.0\.1\]:1010`,
	} {
		if _, err := in.WaitLogSince(mark, func(l harness.LogLine) bool {
			return l.Program == "tlsproxy" && l.PID == pid && matchText(re, l.Text)
		}, logTimeout); err != nil {
			t.Errorf("%s: %v", re, err)
		}
	}
	err := harness.WaitFor(procTimeout, func() (bool, error) { return fdCount(t, pid) == base, nil },
		func() string { return fmt.Sprintf("tlsproxy has %d descriptors, baseline %d", fdCount(t, pid), base) })
	if err != nil {
		t.Error(err)
	}
	if pids, _ := in.PIDs("tlsproxy"); len(pids) != 1 || pids[0] != pid {
		t.Errorf("tlsproxy processes %v, want still %d", pids, pid)
	}
	lines, _ := in.LogLinesSince(mark)
	if bad := lines.Match(`^(fatal|panic):`); len(bad) > 0 {
		t.Errorf("%s", bad)
	}
}
