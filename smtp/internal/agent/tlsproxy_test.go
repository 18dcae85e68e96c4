package agent

import (
	"bufio"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/postfix-go/postfix-go/internal/tlsproxyproto"
	"github.com/postfix-go/postfix-go/master-compat/attr"
	"github.com/postfix-go/postfix-go/master-compat/fdpass"
	"github.com/postfix-go/postfix-go/smtp/internal/deliver"
	"github.com/postfix-go/postfix-go/smtp/internal/smtpwire"
)

// fakeProxy plays tlsproxy's client role in this process: it reads the
// two request lists, answers with status, receives the TCP descriptor,
// runs the handshake with crypto/tls, sends a context and then relays
// plaintext, as tlsproxy does (spec tlsproxy.md §3, §5).
type fakeProxy struct {
	path   string
	status int
}

func startFakeProxy(t *testing.T, status int) *fakeProxy {
	t.Helper()
	p := &fakeProxy{path: filepath.Join(t.TempDir(), "tlsproxy"), status: status}
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: p.path, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.AcceptUnix()
			if err != nil {
				return
			}
			go p.serve(c)
		}
	}()
	return p
}

func (p *fakeProxy) serve(c *net.UnixConn) {
	defer c.Close()
	c.Write(tlsproxyproto.AppendAnnounce(nil, tlsproxyproto.TLSProxyProtocol))
	// Exactly the two lists: the descriptor byte must stay unread for
	// recvmsg (it is sent only after our status anyway).
	br := bufio.NewReader(c)
	sc := attr.NewScanner(br, "smtp", nil)
	if req, err := tlsproxyproto.DecodeRequest(sc); err != nil || req.Role() != tlsproxyproto.RoleClient {
		return
	}
	set, err := tlsproxyproto.DecodeClientSettings(sc)
	if err != nil {
		return
	}
	c.Write(tlsproxyproto.AppendStatus(nil, p.status))
	if p.status == 0 {
		io.Copy(io.Discard, br)
		return
	}
	raw, err := c.SyscallConn()
	if err != nil {
		return
	}
	fd, err := fdpass.Recv(raw)
	if err != nil {
		return
	}
	f := os.NewFile(uintptr(fd), "peer")
	tcp, err := net.FileConn(f)
	f.Close()
	if err != nil {
		return
	}
	tc := tls.Client(tcp, &tls.Config{InsecureSkipVerify: true})
	if err := tc.Handshake(); err != nil {
		tcp.Close()
		return
	}
	ctx := tlsproxyproto.Context{PeerCN: "mx.test", IssuerCN: "Test Root", Level: set.Start.TLSLevel,
		PeerStatus: tlsproxyproto.PeerPresent | tlsproxyproto.PeerTrusted,
		Protocol:   "TLSv1.3", CipherName: "TLS_AES_128_GCM_SHA256", CipherUseBits: 128, CipherAlgBits: 128,
		KexName: "X25519", SrvrSigName: "ECDSA", SrvrSigCurve: "prime256v1", SrvrSigDigest: "SHA256",
		Namaddr: set.Start.Namaddr}
	c.Write(ctx.Append(nil))
	go func() { io.Copy(tc, br); tc.Close() }()
	io.Copy(c, tc)
}

// proxyConfig is TLS at encrypt with connection_reuse for the test
// server, through p, with connection caching.
func proxyConfig(t *testing.T, srv *tlsServer, pki *testPKI, p *fakeProxy) Config {
	cfg := tlsTestConfig(t, "encrypt", pki.pool(),
		map[string]string{fmt.Sprintf("[127.0.0.1]:%d", srv.port()): "encrypt connection_reuse=yes"})
	cfg.ServiceName = "smtp"
	px := vectorProxy()
	px.Path = p.path
	cfg.TLS.Proxy = px
	cfg.Cache = CacheConfig{Service: "smtp", Destinations: []string{"127.0.0.1"}, TimeLimit: 2,
		ReuseTimeLimit: 300 * time.Second, TLSLevel: 2}
	return cfg
}

// Three messages: one TLS session through the proxy, cached with its
// context, reused twice without a new handshake.
func TestProxyDeliveryReuse(t *testing.T) {
	pki := newTestPKI(t, "mx.test")
	srv := startTLSServer(t, &tlsServer{cert: pki.server})
	p := startFakeProxy(t, 1)
	cache := newFakeCache(t)
	h := deliverN(t, proxyConfig(t, srv, pki, p), cache, srv.port(), 3, 0)
	log := h.log.String()
	namaddr := fmt.Sprintf("127.0.0.1[127.0.0.1]:%d", srv.port())
	sum := ": TLSv1.3 with cipher TLS_AES_128_GCM_SHA256 (128/128 bits) key-exchange X25519 server-signature ECDSA (prime256v1) server-digest SHA256\n"
	if !strings.Contains(log, "Trusted TLS connection established to "+namaddr+sum) ||
		strings.Count(log, "Trusted TLS connection reused to "+namaddr+sum) != 2 {
		t.Errorf("TLS summaries missing:\n%s", log)
	}
	if got := strings.Join(connUses(log), ","); got != ",conn_use=2,conn_use=3" {
		t.Errorf("conn_use %q\n%s", got, log)
	}
	// The session stays open in the cache: poll for the last command
	// rather than wait for the end of the session.
	var cmds []string
	joined, sessions := "", 0
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		srv.mu.Lock()
		cmds, sessions = append([]string(nil), srv.cmds...), srv.sessions
		srv.mu.Unlock()
		if joined = strings.Join(cmds, "|"); strings.Count(joined, "TLS DATA") == 3 {
			break
		}
	}
	if sessions != 1 || !strings.Contains(joined, "STARTTLS|TLS EHLO client.test|TLS MAIL") ||
		strings.Count(joined, "TLS RSET") != 2 || strings.Contains(joined, "QUIT") {
		t.Errorf("%d sessions, commands %q", sessions, cmds)
	}
	el := fmt.Sprintf("smtp\n127.0.0.1\n%d\n2\n", srv.port())
	if !slicesContains(cache.ops, "save_endp 2 "+el) {
		t.Errorf("ops %q", cache.ops)
	}
	for i, prop := range cache.saved {
		e, ctx, ok := parseEndpProps(prop)
		if !ok || ctx == nil || e.reuseCount != i || e.tlsLevel != 2 || e.features&smtpwire.FeatureFromProxy == 0 ||
			ctx.Namaddr != namaddr || ctx.PeerCN != "mx.test" {
			t.Errorf("saved props %d: %q", i, prop)
		}
	}
	if strings.Contains(log, "warning") {
		t.Errorf("warnings:\n%s", log)
	}
}

func slicesContains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// No fallback to in-process TLS when tlsproxy cannot help: the attempt
// is a handshake failure (spec tlsproxy.md 8.1).
func TestProxyUnavailable(t *testing.T) {
	pki := newTestPKI(t, "mx.test")
	for _, c := range []struct {
		name, warning string
		status        int
		listen        bool
	}{
		{"refused", `%s service role "client" is not available`, 0, true},
		{"absent", `connect to %s service: No such file or directory`, 1, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			srv := startTLSServer(t, &tlsServer{cert: pki.server})
			p := &fakeProxy{path: filepath.Join(t.TempDir(), "tlsproxy")}
			if c.listen {
				p = startFakeProxy(t, c.status)
			}
			h := newHarness(proxyConfig(t, srv, pki, p))
			if reply := h.deliver(testRequest(srv.port(), "bob@example.com")); reply.Status != deliver.StatDefer {
				t.Errorf("reply %+v", reply)
			}
			wantStatus(t, h, "defer", "4.7.5", "Cannot start TLS: handshake failure")
			wantLog(t, h, `(?m)^warning: `+regexp.QuoteMeta(fmt.Sprintf(c.warning, p.path))+`$`)
			if cmds := srv.waitCommands(); strings.Contains(strings.Join(cmds, " "), "TLS ") {
				t.Errorf("TLS without tlsproxy: %q", cmds)
			}
		})
	}
}
