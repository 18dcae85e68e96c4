package tests

import (
	"fmt"
	"regexp"
	"testing"

	"github.com/postfix-go/postfix-go/tests/harness"
)

// newPostscreenTLS starts an instance with postscreen(8) in front of
// smtpd(8) on the instance's SMTP port, deep protocol tests on (so that
// postscreen's own SMTP engine answers STARTTLS through tlsproxy), and
// our tlsproxy unless stock is set (to check the test itself).
func newPostscreenTLS(t *testing.T, stock bool) (*harness.Instance, harness.TestCerts) {
	t.Helper()
	harness.Require(t)
	opts := harness.Options{NoStart: true, Replace: map[string]string{}}
	if !stock {
		opts.Replace["tlsproxy"] = harness.Daemon(t, "tlsproxy")
	}
	in := harness.New(t, opts)
	certs := harness.MakeTestCerts(t, in.Dir, "mx.test.example")
	settings := []string{
		"smtpd_tls_security_level=may",
		"smtpd_tls_cert_file=" + certs.CertFile,
		"smtpd_tls_key_file=" + certs.KeyFile,
		"smtpd_tls_loglevel=1",
		"postscreen_tls_security_level=may",
		"postscreen_pipelining_enable=yes", // a deep test: postscreen speaks SMTP itself
		"postscreen_access_list=",          // 127.0.0.1 must not be permitted outright
		"postscreen_greet_wait=1s",
		"smtpd_relay_restrictions=permit_mynetworks,reject",
	}
	if _, err := in.Postconf(append([]string{"-e"}, settings...)...); err != nil {
		t.Fatal(err)
	}
	entries := []string{
		fmt.Sprintf("127.0.0.1:%d/inet=127.0.0.1:%d inet n - y - 1 postscreen", in.SMTPDPort, in.SMTPDPort),
		"smtpd/pass=smtpd pass - - y - - smtpd",
		harness.TLSProxyEntry,
	}
	for _, e := range entries {
		if _, err := in.Postconf("-Me", e); err != nil {
			t.Fatal(err)
		}
	}
	if err := in.Start(); err != nil {
		t.Fatal(err)
	}
	return in, certs
}

// postscreenSTARTTLS is the first visit of a new client: STARTTLS is
// answered by postscreen and the TLS runs in tlsproxy; the SMTP dialogue
// over TLS reaches postscreen's engine, which turns the client away with
// 450 after RCPT (it passed the tests, and must come back). It returns
// the client's local port, which tlsproxy logs.
func postscreenSTARTTLS(t *testing.T, in *harness.Instance, certs harness.TestCerts) int {
	t.Helper()
	c := dialSMTP(t, in.SMTPDAddr)
	defer c.close()
	c.reply() // 220 (postscreen's greeting, delayed by greet_wait)
	c.cmd("250", "EHLO client.test.example")
	cs := c.startTLS(certs)
	if len(cs.PeerCertificates) == 0 || cs.PeerCertificates[0].Subject.CommonName != "mx.test.example" {
		t.Fatalf("server certificate: %v", cs.PeerCertificates)
	}
	c.cmd("250", "EHLO client.test.example")
	c.cmd("250", "MAIL FROM:<a@client.test.example>")
	c.cmd("450", "RCPT TO:<b@example.com>") // postscreen: "450 4.3.2 Service currently unavailable"
	c.cmd("221", "QUIT")
	return c.port
}

// TestTLSProxyServerRolePostscreen: a client does STARTTLS with
// postscreen, so with our tlsproxy, and then, as a client that passed
// postscreen's tests, delivers a message (to smtpd, then the sink).
func TestTLSProxyServerRolePostscreen(t *testing.T) { testServerRole(t, false) }

// TestTLSProxyServerRolePostscreenStock runs the same test against the
// stock tlsproxy, to show the test itself is sound.
func TestTLSProxyServerRolePostscreenStock(t *testing.T) { testServerRole(t, true) }

func testServerRole(t *testing.T, stock bool) {
	in, certs := newPostscreenTLS(t, stock)
	sink := in.StartSink(t, harness.SinkOptions{})
	port := postscreenSTARTTLS(t, in, certs)
	if !stock {
		requireDaemon(t, in, "tlsproxy")
	}
	// Second visit: postscreen hands the client to smtpd (which does
	// its own STARTTLS); the message goes on to the sink.
	if _, err := in.WaitLog(`postscreen\[\d+\]: PASS NEW \[127\.0\.0\.1\]`, logTimeout); err != nil {
		t.Fatal(err)
	}
	c := dialSMTP(t, in.SMTPDAddr)
	c.reply()
	c.cmd("250", "EHLO client.test.example")
	c.startTLS(certs)
	c.cmd("250", "EHLO client.test.example")
	c.cmd("250", "MAIL FROM:<a@client.test.example>")
	c.cmd("250", "RCPT TO:<b@example.com>")
	c.cmd("354", "DATA")
	c.cmd("250", "Subject: tlsproxy test\r\n\r\nhello\r\n.")
	c.cmd("221", "QUIT")
	c.close()
	if err := sink.WaitMessages(1, logTimeout); err != nil {
		t.Fatal(err)
	}
	ep := regexp.QuoteMeta(fmt.Sprintf("[127.0.0.1]:%d", port))
	for _, re := range []string{
		`tlsproxy\[\d+\]: CONNECT from ` + ep + `$`,
		`tlsproxy\[\d+\]: Anonymous TLS connection established from ` + ep + `: TLSv1\.3 with cipher \S+ \(\d+/\d+ bits\) key-exchange \S+ server-signature RSA-PSS \(2048 bits\)`,
		`tlsproxy\[\d+\]: DISCONNECT ` + ep + `$`,
	} {
		l, err := in.WaitLog(re, logTimeout)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s", l.Raw)
	}
	lines, err := in.LogLines()
	if err != nil {
		t.Fatal(err)
	}
	if p := lines.Program("tlsproxy").Problems(); len(p) > 0 {
		t.Errorf("tlsproxy problems:\n%s", p)
	}
	if l := lines.Match(`TLS handshake failed`); len(l) > 0 {
		t.Errorf("unexpected: %s", l)
	}
}
