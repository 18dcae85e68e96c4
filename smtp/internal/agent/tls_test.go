package agent

import (
	"crypto/tls"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/postfix-go/postfix-go/internal/tlspolicy"
	"github.com/postfix-go/postfix-go/smtp/internal/deliver"
)

// tlsCase runs one delivery of bob@example.com through srv and returns
// the harness; nexthop policy entries are keyed by "[127.0.0.1]:port".
func tlsCase(t *testing.T, srv *tlsServer, level string, pki *testPKI, policy string) (*harness, deliver.Reply) {
	t.Helper()
	var pol map[string]string
	if policy != "" {
		pol = map[string]string{fmt.Sprintf("[127.0.0.1]:%d", srv.port()): policy}
	}
	roots := pki.pool()
	if strings.Contains(policy, "noroots") {
		roots = nil
		pol[fmt.Sprintf("[127.0.0.1]:%d", srv.port())] = strings.ReplaceAll(policy, " noroots", "")
	}
	h := newHarness(tlsTestConfig(t, level, roots, pol))
	return h, h.deliver(testRequest(srv.port(), "bob@example.com"))
}

func wantStatus(t *testing.T, h *harness, kind, status, reason string) {
	t.Helper()
	dsn, ok := h.status.find(kind, "bob@example.com")
	if !ok || dsn.Status != status || (reason != "" && dsn.Reason != reason) {
		t.Errorf("want %s %s %q, calls %+v", kind, status, reason, h.status.calls)
	}
}

func TestTLSLevels(t *testing.T) {
	pki := newTestPKI(t, "mx.test")
	namaddr := `127\.0\.0\.1\[127\.0\.0\.1\]:\d+`
	tls13 := `: TLSv1\.3 with cipher TLS_AES_128_GCM_SHA256 \(128/128 bits\) key-exchange X25519 server-signature ECDSA \(prime256v1\) server-digest SHA256$`
	for _, c := range []struct {
		name, level, policy string
		noOffer             bool
		kind, status        string
		reason, log         string
	}{
		{"may untrusted", "may", "may noroots", false, "sent", "2.0.0", "", `(?m)^Untrusted TLS connection established to ` + namaddr + tls13},
		{"may no offer", "may", "", true, "sent", "2.0.0", "", `^ABC123: to=<bob@example.com>`},
		{"encrypt trusted", "encrypt", "", false, "sent", "2.0.0", "", `(?m)^Trusted TLS connection established to ` + namaddr + tls13},
		{"encrypt not offered", "encrypt", "", true, "defer", "4.7.4", "TLS is required, but was not offered by host 127.0.0.1[127.0.0.1]", ""},
		{"verify match", "may", "verify match=mx.test", false, "sent", "2.0.0", "", `(?m)^Verified TLS connection established to ` + namaddr + tls13},
		{"verify wrong name", "may", "verify match=wrong.test", false, "defer", "4.7.5", "Server certificate not verified",
			`(?m)^server certificate verification failed for ` + namaddr + `: num=62:hostname mismatch\nUntrusted TLS`},
		{"verify untrusted", "may", "verify match=mx.test noroots", false, "defer", "4.7.5", "Server certificate not verified",
			`(?m)^certificate verification failed for ` + namaddr + `: untrusted issuer /O=Test CA/CN=Test Root$`},
		{"secure IP quirk", "may", "secure match=nexthop:dot-nexthop:mx.test", false, "defer", "4.7.5", "Server certificate not verified",
			`(?m)^server certificate verification failed for ` + namaddr + `: num=64:IP address mismatch$`},
		{"fingerprint", "may", "fingerprint match=" + tlspolicy.FormatFingerprint(tlspolicy.CertDigest(5, pki.leaf)), false, "sent", "2.0.0", "",
			`(?m)^Verified TLS connection established`},
		{"fingerprint wrong", "may", "fingerprint match=00:11", false, "defer", "4.7.5", "Server certificate not verified",
			`all fingerprints unusable`},
		{"policy error", "may", "encrypt foo=bar", false, "defer", "4.7.5", "client TLS configuration problem",
			`(?m)^warning: TLS policy lookup for \[127\.0\.0\.1\]:\d+/127\.0\.0\.1: client TLS configuration problem$`},
	} {
		t.Run(c.name, func(t *testing.T) {
			srv := startTLSServer(t, &tlsServer{cert: pki.server, noOffer: c.noOffer})
			h, _ := tlsCase(t, srv, c.level, pki, c.policy)
			wantStatus(t, h, c.kind, c.status, c.reason)
			if c.log != "" {
				wantLog(t, h, c.log)
			}
			cmds := srv.waitCommands()
			if c.kind == "sent" && !c.noOffer && !slices.Contains(cmds, "TLS MAIL FROM:<alice@example.com>") {
				t.Errorf("mail not sent over TLS: %q", cmds)
			}
			if c.kind == "sent" && c.noOffer && slices.ContainsFunc(cmds, func(s string) bool { return strings.HasPrefix(s, "TLS ") }) {
				t.Errorf("unexpected TLS: %q", cmds)
			}
			if c.status == "4.7.5" && c.policy != "encrypt foo=bar" && !slices.Contains(cmds, "TLS QUIT") {
				t.Errorf("no QUIT over TLS after a verification failure: %q", cmds)
			}
		})
	}
}

// A failed opportunistic handshake defers fresh mail, and retries older
// mail in plaintext on the same server (PLAINTEXT_FALLBACK_OK_...).
func TestTLSHandshakeFailureMay(t *testing.T) {
	pki := newTestPKI(t, "mx.test")
	srv := startTLSServer(t, &tlsServer{cert: pki.server})
	h, reply := tlsCase(t, srv, "may", pki, "may protocols=SSLv3")
	wantStatus(t, h, "defer", "4.7.5", "Cannot start TLS: handshake failure")
	wantLog(t, h, `(?m)^SSL_connect error to 127\.0\.0\.1\[127\.0\.0\.1\]:\d+: -1\nwarning: TLS library problem: error:0A0000BF:SSL routines::no protocols available`)
	if reply.HopStatus != (deliver.DSN{}) {
		t.Errorf("may must not throttle: %+v", reply.HopStatus)
	}

	pol := map[string]string{fmt.Sprintf("[127.0.0.1]:%d", srv.port()): "may protocols=SSLv3"}
	h = newHarness(tlsTestConfig(t, "may", pki.pool(), pol))
	req := testRequest(srv.port(), "bob@example.com")
	req.Stats.IncomingArrival = req.Stats.ActiveArrival.Add(-time.Hour)
	h.deliver(req)
	wantStatus(t, h, "sent", "2.0.0", "")
	wantLog(t, h, `(?m)^ABC123: Cannot start TLS: handshake failure$`)
}

func TestTLSHandshakeFailureEncrypt(t *testing.T) {
	pki := newTestPKI(t, "mx.test")
	srv := startTLSServer(t, &tlsServer{cert: pki.server, maxVer: tls.VersionTLS12})
	h, reply := tlsCase(t, srv, "encrypt", pki, "encrypt protocols=TLSv1.3")
	wantStatus(t, h, "defer", "4.7.5", "Cannot start TLS: handshake failure")
	if reply.HopStatus.Status != "4.7.5" {
		t.Errorf("encrypt must throttle: %+v", reply.HopStatus)
	}
	if cmds := srv.waitCommands(); slices.Contains(cmds, "QUIT") || len(cmds) != 2 {
		t.Errorf("no I/O after a failed handshake: %q", cmds)
	}
}

func TestTLS12AndWrapper(t *testing.T) {
	pki := newTestPKI(t, "mx.test")
	srv := startTLSServer(t, &tlsServer{cert: pki.server, maxVer: tls.VersionTLS12})
	h, _ := tlsCase(t, srv, "encrypt", pki, "")
	wantStatus(t, h, "sent", "2.0.0", "")
	wantLog(t, h, `(?m)^Trusted TLS connection established to 127\.0\.0\.1\[127\.0\.0\.1\]:\d+: TLSv1\.2 with cipher ECDHE-ECDSA-AES128-GCM-SHA256 \(128/128 bits\)$`)

	ws := startTLSServer(t, &tlsServer{cert: pki.server, wrapper: true})
	cfg := tlsTestConfig(t, "encrypt", pki.pool(), nil)
	cfg.TLS.Wrapper = true
	h = newHarness(cfg)
	h.deliver(testRequest(ws.port(), "bob@example.com"))
	wantStatus(t, h, "sent", "2.0.0", "")
	if cmds := ws.waitCommands(); len(cmds) == 0 || cmds[0] != "TLS EHLO client.test" || slices.Contains(cmds, "TLS STARTTLS") {
		t.Errorf("SMTPS commands %q", cmds)
	}
}

func TestProtocolRange(t *testing.T) {
	for in, want := range map[string][2]uint16{
		">=TLSv1":                       {tls.VersionTLS10, tls.VersionTLS13},
		"!SSLv2, !SSLv3":                {tls.VersionTLS10, tls.VersionTLS13},
		"<=TLSv1.2":                     {tls.VersionTLS10, tls.VersionTLS12},
		"TLSv1.2:TLSv1.3":               {tls.VersionTLS12, tls.VersionTLS13},
		">=0x0303":                      {tls.VersionTLS12, tls.VersionTLS13},
		"!SSLv2 !SSLv3 !TLSv1 !TLSv1.1": {tls.VersionTLS12, tls.VersionTLS13},
	} {
		lo, hi, err := protocolRange(in)
		if err != nil || lo != want[0] || hi != want[1] {
			t.Errorf("protocolRange(%q) = %x %x %v", in, lo, hi, err)
		}
	}
	if _, _, err := protocolRange("SSLv3"); err != errNoProtocols {
		t.Errorf("SSLv3 only: %v", err)
	}
	if _, _, err := protocolRange("TLSv9"); err != errInvalidProtocols {
		t.Errorf("bad name: %v", err)
	}
}

func TestCipherSuites(t *testing.T) {
	all, err := cipherSuites("medium", "")
	if err != nil || !slices.Contains(all, tls.TLS_RSA_WITH_AES_128_CBC_SHA) || slices.Contains(all, tls.TLS_RSA_WITH_RC4_128_SHA) {
		t.Errorf("medium: %v %v", all, err)
	}
	noRSA, _ := cipherSuites("high", "kRSA, SHA1")
	if slices.Contains(noRSA, tls.TLS_RSA_WITH_AES_128_GCM_SHA256) || slices.Contains(noRSA, tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA) ||
		!slices.Contains(noRSA, tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256) {
		t.Errorf("exclusions: %v", noRSA)
	}
	if _, err := cipherSuites("bogus", ""); err == nil {
		t.Error("bad grade accepted")
	}
}

func TestParseTLSLogMask(t *testing.T) {
	m, bad := ParseTLSLogMask("1, peercert Bogus")
	if m != TLSLogSummary|TLSLogPeerCert || len(bad) != 1 {
		t.Errorf("mask %b bad %q", m, bad)
	}
	if m, _ := ParseTLSLogMask("2"); !m.has(TLSLogVerbose) || !m.has(TLSLogSummary) {
		t.Errorf("level 2: %b", m)
	}
}

// A server that sends an oversized certificate chain (about 400 KB, past
// crypto/tls's 256 KB bound on the certificate message) is a failed
// handshake like any other: deferred with stock's text, no crash, no
// unbounded read.
func TestTLSOversizedChain(t *testing.T) {
	pki := newTestPKI(t, "mx.test")
	huge := pki.server
	huge.Certificate = append([][]byte(nil), pki.server.Certificate...)
	for len(huge.Certificate) < 1000 {
		huge.Certificate = append(huge.Certificate, pki.ca.Raw)
	}
	srv := startTLSServer(t, &tlsServer{cert: huge})
	h, _ := tlsCase(t, srv, "encrypt", pki, "encrypt")
	wantStatus(t, h, "defer", "4.7.5", "Cannot start TLS: handshake failure")
	wantLog(t, h, `TLS library problem: .*exceeds maximum`)
}
