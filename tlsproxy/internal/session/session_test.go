package session

import (
	"bufio"
	"crypto/tls"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/postfix-go/postfix-go/internal/tlsproxyproto"
	"github.com/postfix-go/postfix-go/master-compat/attr"
	"github.com/postfix-go/postfix-go/tlsproxy/internal/tlsconf"
)

// harness for one service: start sessions, and wait for them all.
type fixture struct {
	t   *testing.T
	log *testLog
	svc *Service
}

func newFixture(t *testing.T, withServer, withClient bool) *fixture {
	f := &fixture{t: t, log: &testLog{}}
	cfg := Config{Log: f.log, IOTimeout: 2 * time.Second, FDTimeout: 2 * time.Second}
	if withServer {
		cfg.Server = &ServerRole{TLS: &tls.Config{Certificates: []tls.Certificate{testCert(t)}, CurvePreferences: tlsconf.Curves},
			LogSummary: true, MDAlg: "sha256"}
	}
	if withClient {
		r, _, err := NewClientRole(tlsconf.Files{}, "", "", false, "sha512 sha256")
		if err != nil {
			t.Fatal(err)
		}
		cfg.Client = r
	}
	f.svc = New(cfg)
	return f
}

// connect starts a session and returns the client end, announcement read.
func (f *fixture) connect() (*net.UnixConn, *bufio.Reader) {
	a, b := unixPair(f.t)
	f.svc.Start(b, func() {})
	a.SetDeadline(time.Now().Add(10 * time.Second))
	r := bufio.NewReaderSize(a, 16) // small: must never swallow relayed data we test
	sc := attr.NewScanner(r, "test", nil)
	if err := tlsproxyproto.DecodeAnnounce(sc, tlsproxyproto.TLSProxyProtocol); err != nil {
		f.t.Fatal(err)
	}
	return a, r
}

func (f *fixture) request(a *net.UnixConn, r *bufio.Reader, flags int, extra []byte) int {
	req := tlsproxyproto.Request{RemoteEndpoint: "[127.0.0.1]:4711", Flags: flags, HandshakeTimeout: 5, SessionTimeout: 5, ServerID: "smtpd"}
	if _, err := a.Write(append(req.Append(nil), extra...)); err != nil {
		f.t.Fatal(err)
	}
	st, err := tlsproxyproto.DecodeStatus(attr.NewScanner(r, "test", nil))
	if err != nil {
		f.t.Fatalf("status: %v", err)
	}
	return st
}

func (f *fixture) wait() { f.svc.Drain(0) }

func TestGarbageRequest(t *testing.T) {
	f := newFixture(t, true, false)
	before := openFDs(t)
	a, r := f.connect()
	a.Write([]byte("junk\x00value\x00\x00"))
	if n, err := io.Copy(io.Discard, r); err != nil || n != 0 {
		t.Errorf("after garbage: %d bytes, %v; want a plain close", n, err)
	}
	a.Close()
	f.wait()
	f.log.want(t, "warning: tlsp_get_request_event: receive request attributes:")
	if after := openFDs(t); after != before {
		t.Errorf("descriptors: %d before, %d after", before, after)
	}
}

func TestBadFlagsAndDisabledClientRole(t *testing.T) {
	f := newFixture(t, true, false)
	a, r := f.connect()
	if st := f.request(a, r, 0, nil); st != 0 {
		t.Errorf("bad flags: status %d", st)
	}
	a.Close()
	// Stock 3.7.11 crashes here; we refuse with status 0.
	a, r = f.connect()
	var set tlsproxyproto.ClientSettings
	set.Start.TLSLevel = tlsproxyproto.LevelEncrypt
	if st := f.request(a, r, tlsproxyproto.FlagRoleClient|tlsproxyproto.FlagSendContext, set.Append(nil)); st != 0 {
		t.Errorf("client role disabled: status %d", st)
	}
	a.Close()
	f.wait()
	f.log.want(t, "warning: tlsp_get_request_event: bad request flags: 0x0",
		"warning: TLS client role is disabled", "TLS handshake failed for service=smtpd peer=[127.0.0.1]:4711",
		"DISCONNECT [127.0.0.1]:4711", "CONNECT to [127.0.0.1]:4711")
}

func TestServerRoleSession(t *testing.T) {
	f := newFixture(t, true, false)
	before := openFDs(t)
	a, r := f.connect()
	if st := f.request(a, r, tlsproxyproto.FlagRoleServer|tlsproxyproto.FlagSendContext, nil); st != 1 {
		t.Fatalf("status %d", st)
	}
	remote, ours := tcpPair(t)
	passFD(t, a, ours)
	tc := tls.Client(remote, &tls.Config{InsecureSkipVerify: true})
	if err := tc.Handshake(); err != nil {
		t.Fatal(err)
	}
	ctx, err := tlsproxyproto.DecodeContext(attr.NewScanner(r, "test", nil))
	if err != nil {
		t.Fatal(err)
	}
	if ctx.Namaddr != "[127.0.0.1]:4711" || ctx.Protocol != "TLSv1.3" || ctx.KexName != "X25519" || ctx.SrvrSigName != "ECDSA" {
		t.Errorf("context: %+v", ctx)
	}
	tc.Write([]byte("EHLO x\r\n"))
	if line, _ := r.ReadString('\n'); line != "EHLO x\r\n" {
		t.Errorf("relayed to postscreen: %q", line)
	}
	a.Write([]byte("250 ok\r\n"))
	if line, _ := bufio.NewReader(tc).ReadString('\n'); line != "250 ok\r\n" {
		t.Errorf("relayed to client: %q", line)
	}
	a.Close() // postscreen done: close_notify to the client
	tc.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := tc.Read(make([]byte, 1)); err != io.EOF {
		t.Errorf("after plaintext EOF the client read %v, want io.EOF (close_notify)", err)
	}
	tc.Close()
	f.wait()
	f.log.want(t, "CONNECT from [127.0.0.1]:4711",
		"Anonymous TLS connection established from [127.0.0.1]:4711: TLSv1.3 with cipher",
		"server-signature ECDSA (prime256v1) server-digest SHA256", "DISCONNECT [127.0.0.1]:4711")
	if strings.Contains(f.log.text(), "handshake failed") {
		t.Errorf("log:\n%s", f.log.text())
	}
	if after := openFDs(t); after != before {
		t.Errorf("descriptors: %d before, %d after", before, after)
	}
}

// TestBrokenPeers: a client that vanishes mid-handshake and one that
// sends plaintext after STARTTLS; each session ends with stock's lines
// and the service keeps serving.
func TestBrokenPeers(t *testing.T) {
	f := newFixture(t, true, false)
	before := openFDs(t)
	for _, junk := range []string{"\x16\x03\x01\x02\x00\x01\x00\x01", "EHLO plaintext\r\n"} {
		a, r := f.connect()
		if st := f.request(a, r, tlsproxyproto.FlagRoleServer, nil); st != 1 {
			t.Fatalf("status %d", st)
		}
		remote, ours := tcpPair(t)
		passFD(t, a, ours)
		remote.Write([]byte(junk))
		remote.CloseWrite()
		io.Copy(io.Discard, r) // tlsproxy closes the plaintext side
		remote.Close()
		a.Close()
	}
	f.wait()
	f.log.want(t, "SSL_accept error from [127.0.0.1]:4711: lost connection",
		"warning: TLS library problem:", "TLS handshake failed for service=smtpd peer=[127.0.0.1]:4711")
	if after := openFDs(t); after != before {
		t.Errorf("descriptors: %d before, %d after", before, after)
	}
}
