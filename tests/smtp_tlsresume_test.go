package tests

import (
	"fmt"
	"os"
	"regexp"
	"testing"

	"github.com/postfix-go/postfix-go/tests/harness"
)

// TestSMTPTLSResume: with smtp_tls_session_cache_database set, our smtp
// keeps its TLS sessions in the sending instance's stock tlsmgr(8), so
// that after the first full handshake to the stock smtpd of the sink
// every later delivery (each on a new connection: no connection cache)
// resumes the session. Both sides say so: our smtp logs "Reusing old
// session" and a summary without server-digest (there was no signature),
// the stock smtpd logs "Reusing old session (RFC 5077 session ticket)".
func TestSMTPTLSResume(t *testing.T) {
	harness.Require(t)
	const messages = 10
	dir, err := os.MkdirTemp("", "postfix-go-tls-")
	if err != nil {
		t.Fatal(err)
	}
	os.Chmod(dir, 0o755)
	t.Cleanup(func() { os.RemoveAll(dir) })
	ca, cert, key := tlsSinkCerts(t, dir)
	sink := harness.New(t, harness.Options{MainCF: map[string]string{
		"smtpd_tls_security_level": "may",
		"smtpd_tls_cert_file":      cert,
		"smtpd_tls_key_file":       key,
		"smtpd_tls_loglevel":       "routine, cache",
		"default_transport":        "discard",
		"relay_transport":          "discard",
	}})
	in := tlsSender(t, sink, map[string]string{
		"smtp_tls_security_level":         "encrypt",
		"smtp_tls_CAfile":                 ca,
		"smtp_tls_loglevel":               "routine, cache",
		"smtp_tls_session_cache_database": "btree:${data_directory}/smtp_scache",
		"smtp_connection_cache_on_demand": "no",
	})
	for i := 0; i < messages; i++ {
		if d := deliverOne(t, in, "sent"); d.DSN != "2.0.0" {
			t.Fatalf("delivery %d: %s", i, d.Line.Raw)
		}
	}
	checkOurSMTP(t, in)
	namaddr := regexp.QuoteMeta(fmt.Sprintf("127.0.0.1[127.0.0.1]:%d", sink.SMTPDPort))
	summary := regexp.MustCompile(`^Trusted TLS connection established to ` + namaddr +
		`: TLSv1\.3 with cipher \S+ \(\d+/\d+ bits\) key-exchange X25519 server-signature ECDSA \(prime256v1\)( server-digest SHA256)?$`)
	lines, err := in.LogLines()
	if err != nil {
		t.Fatal(err)
	}
	reuse := regexp.MustCompile(`^` + namaddr + `: Reusing old session$`)
	var full, resumed, reusing int
	for _, l := range lines.Program("smtp") {
		if m := summary.FindStringSubmatch(l.Text); m != nil {
			if m[1] != "" {
				full++
			} else {
				resumed++
			}
		}
		if reuse.MatchString(l.Text) {
			reusing++
		}
	}
	if full != 1 || resumed != messages-1 || reusing != messages-1 {
		t.Errorf("smtp: %d full handshakes, %d resumed summaries, %d \"Reusing old session\"; want 1, %d, %d",
			full, resumed, reusing, messages-1, messages-1)
	}
	// The stock server's view.
	sl, err := sink.LogLines()
	if err != nil {
		t.Fatal(err)
	}
	if got := len(sl.Program("smtpd").Match(`: Reusing old session \(RFC 5077 session ticket\)$`)); got != messages-1 {
		t.Errorf("sink smtpd resumed %d sessions, want %d", got, messages-1)
	}
	if p := lines.Program("tlsmgr").Problems(); len(p) > 0 {
		t.Errorf("tlsmgr problems:\n%s", p)
	}
	checkNoSMTPProblems(t, in)
}
