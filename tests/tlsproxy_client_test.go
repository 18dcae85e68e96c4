package tests

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/postfix-go/postfix-go/tests/harness"
)

// TestTLSProxyClientRoleReuse: stock smtp with TLS connection reuse asks
// our tlsproxy for TLS to a second instance's smtpd (STARTTLS, level
// encrypt, certificate from a CA smtp trusts); 500 messages arrive, and
// stock scache hands TLS sessions to later deliveries (conn_use >= 2).
func TestTLSProxyClientRoleReuse(t *testing.T) { testClientRole(t, false) }

// TestTLSProxyClientRoleReuseStock is the same with the stock tlsproxy.
func TestTLSProxyClientRoleReuseStock(t *testing.T) { testClientRole(t, true) }

func testClientRole(t *testing.T, stock bool) {
	harness.Require(t)
	// The stock run only shows that the test itself is sound.
	messages := 500
	if stock {
		messages = 120
	}
	// The receiving instance: stock smtpd with STARTTLS, relaying to
	// its own sink.
	recv := harness.New(t, harness.Options{NoStart: true})
	certs := harness.MakeTestCerts(t, recv.Dir, "mx.test.example")
	if _, err := recv.Postconf("-e", "smtpd_tls_security_level=may",
		"smtpd_tls_cert_file="+certs.CertFile, "smtpd_tls_key_file="+certs.KeyFile); err != nil {
		t.Fatal(err)
	}
	if err := recv.Start(); err != nil {
		t.Fatal(err)
	}
	sink := recv.StartSink(t, harness.SinkOptions{})

	opts := harness.Options{
		MainCF: map[string]string{
			"relayhost":                 "[127.0.0.1]:" + fmt.Sprint(recv.SMTPDPort),
			"smtp_tls_security_level":   "encrypt",
			"smtp_tls_connection_reuse": "yes",
			"smtp_tls_CAfile":           certs.CAFile,
			"smtp_tls_loglevel":         "1",
		},
		MasterEntries: []string{harness.TLSProxyEntry},
		Replace:       map[string]string{},
	}
	if !stock {
		opts.Replace["tlsproxy"] = harness.Daemon(t, "tlsproxy")
	}
	send := harness.New(t, opts)
	send.Inject(t, harness.InjectOptions{Messages: messages, Sessions: 4})
	if err := send.WaitQueueEmpty(time.Minute); err != nil {
		t.Fatal(err)
	}
	if err := sink.WaitMessages(messages, logTimeout); err != nil {
		t.Fatal(err)
	}
	if !stock {
		requireDaemon(t, send, "tlsproxy")
	}
	ds := waitDeliveries(t, send, messages)
	reused := 0
	for _, d := range ds {
		if d.Status != "sent" {
			t.Errorf("delivery not sent: %s", d.Line.Raw)
		}
		if d.ConnUse >= 2 {
			reused++
		}
	}
	if reused == 0 {
		t.Errorf("no delivery reused a cached TLS connection (conn_use >= 2)")
	}
	lines, err := send.LogLines()
	if err != nil {
		t.Fatal(err)
	}
	tp := lines.Program("tlsproxy")
	est := tp.Match(`^Trusted TLS connection established to 127\.0\.0\.1\[127\.0\.0\.1\]:\d+: TLSv1\.3 with cipher `)
	conn := tp.Match(`^CONNECT to \[127\.0\.0\.1\]:\d+$`)
	disc := tp.Match(`^DISCONNECT \[127\.0\.0\.1\]:\d+$`)
	smtpReused := lines.Program("smtp").Match(`TLS connection reused to`)
	t.Logf("%d deliveries, %d with conn_use >= 2; tlsproxy: %d CONNECT, %d established, %d DISCONNECT; smtp: %d reused",
		len(ds), reused, len(conn), len(est), len(disc), len(smtpReused))
	if len(est) == 0 || len(conn) != len(est) {
		t.Errorf("tlsproxy logged %d CONNECT and %d established lines", len(conn), len(est))
	}
	if len(est) > 0 {
		t.Logf("%s", est[0].Raw)
	}
	// Stock warns the same way: this instance has no smtpd TLS.
	serverOff := func(l harness.LogLine) bool { return !strings.Contains(l.Text, "TLS server role is disabled") }
	if p := tp.Problems().Filter(serverOff); len(p) > 0 {
		t.Errorf("tlsproxy problems:\n%s", p)
	}
	for _, l := range lines.Program("smtp").Problems() {
		if strings.Contains(l.Raw, "tlsproxy") || strings.Contains(l.Raw, "TLS") {
			t.Errorf("smtp: %s", l.Raw)
		}
	}
}
