package tests

import (
	"fmt"
	"strings"
	"testing"

	"github.com/postfix-go/postfix-go/tests/harness"
)

// TestSMTPTLSAnonymousOnlyServer measures the consequence of what
// crypto/tls lacks: a stock smtpd with no certificate offers only
// anonymous cipher suites. The stock smtp at "may" gets an Anonymous
// TLS session there; ours cannot negotiate one, so fresh mail is
// deferred with stock's handshake-failure text (older mail would be
// retried in plaintext), and at "encrypt" the mail waits too. Nothing
// is ever sent in plaintext where TLS is required.
func TestSMTPTLSAnonymousOnlyServer(t *testing.T) {
	harness.Require(t)
	sink := harness.New(t, harness.Options{MainCF: map[string]string{
		"smtpd_tls_security_level": "may",
		"smtpd_tls_cert_file":      "none",
		"default_transport":        "discard",
		"relay_transport":          "discard",
	}})
	relay := fmt.Sprintf("[127.0.0.1]:%d", sink.SMTPDPort)
	cf := map[string]string{"relayhost": relay, "smtp_tls_loglevel": "1", "smtp_tls_security_level": "may"}

	stock := harness.New(t, harness.Options{MainCF: cf})
	deliverOne(t, stock, "sent")
	if _, err := stock.WaitLog(`smtp\[\d+\]: Anonymous TLS connection established to 127\.0\.0\.1\[127\.0\.0\.1\]:\d+: TLSv1\.2 `, logTimeout); err != nil {
		t.Errorf("stock smtp: %v", err)
	}

	for _, level := range []string{"may", "encrypt"} {
		t.Run("ours-"+level, func(t *testing.T) {
			ours := harness.New(t, harness.Options{Replace: map[string]string{"smtp": harness.Daemon(t, "smtp")},
				MainCF: map[string]string{"relayhost": relay, "smtp_tls_loglevel": "1", "smtp_tls_security_level": level}})
			d := deliverOne(t, ours, "deferred")
			if d.DSN != "4.7.5" || !strings.Contains(d.Reason, "Cannot start TLS: handshake failure") {
				t.Errorf("deferral: %s", d.Line.Raw)
			}
			t.Logf("ours at %s: %s", level, d.Line.Raw)
		})
	}
}
