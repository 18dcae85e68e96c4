package tests

import (
	"regexp"
	"testing"

	"github.com/postfix-go/postfix-go/tests/harness"
)

// TestSMTPRequiredTLSDefers: at "encrypt", a server that does not offer
// STARTTLS (smtp-sink) never gets the mail in plaintext: the message is
// deferred with stock's 4.7.4 text, stays queued, and the sink receives
// nothing.
func TestSMTPRequiredTLSDefers(t *testing.T) {
	harness.Require(t)
	in := harness.New(t, harness.Options{
		Replace: map[string]string{"smtp": harness.Daemon(t, "smtp")},
		MainCF:  map[string]string{"smtp_tls_security_level": "encrypt"},
	})
	sink := in.StartSink(t, harness.SinkOptions{Save: true})
	d := deliverOne(t, in, "deferred")
	checkOurSMTP(t, in)
	if d.DSN != "4.7.4" || d.Reason != "TLS is required, but was not offered by host 127.0.0.1[127.0.0.1]" {
		t.Errorf("deferral line: %s", d.Line.Raw)
	}
	counts, err := in.QueueCounts()
	if err != nil {
		t.Fatal(err)
	}
	if counts["deferred"]+counts["active"] != 1 {
		t.Errorf("queue counts %v, want the message still queued", counts)
	}
	if c, err := sink.Counters(); err != nil || c.Messages != 0 {
		t.Errorf("sink counted %+v (err %v), want no message", c, err)
	}
}

// TestSMTPUnreadablePolicyTableDefers: a policy table that smtp cannot
// read with postmap -s (a plain hash: whose database does not exist),
// that proxymap(8) refuses (proxy:hash: not approved in proxy_read_maps)
// or cannot open (an unknown type) may require TLS anywhere, so the mail
// waits, with stock's "TLS policy lookup" warning and 4.7.5 deferral.
func TestSMTPUnreadablePolicyTableDefers(t *testing.T) {
	harness.Require(t)
	for _, c := range []struct{ name, maps, warning, readMaps string }{
		{"unreadable", "hash:/nonexistent/tls_policy",
			`table hash:/nonexistent/tls_policy: open database /nonexistent/tls_policy.db: no such file or directory; TLS policy lookups in this table will fail`, ""},
		{"unapproved", "proxy:hash:/nonexistent/tls_policy",
			`proxymap service is not configured for table "hash:/nonexistent/tls_policy"`,
			// Not the default, which approves $smtp_tls_policy_maps;
			// smtpd needs the passwd entry.
			"proxy:unix:passwd.byname"},
		{"unknown-type", "proxy:nosuchtype:/etc/postfix/tls_policy", "", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			mainCF := map[string]string{"smtp_tls_policy_maps": c.maps}
			if c.readMaps != "" {
				mainCF["proxy_read_maps"] = c.readMaps
			}
			in := harness.New(t, harness.Options{
				Replace: map[string]string{"smtp": harness.Daemon(t, "smtp")},
				MainCF:  mainCF,
			})
			in.StartSink(t, harness.SinkOptions{Save: true})
			d := deliverOne(t, in, "deferred")
			checkOurSMTP(t, in)
			if d.DSN != "4.7.5" || d.Reason != "client TLS configuration problem" {
				t.Errorf("deferral line: %s", d.Line.Raw)
			}
			if c.warning != "" {
				if _, err := in.WaitLog(`smtp\[\d+\]: warning: `+regexp.QuoteMeta(c.warning)+`$`, logTimeout); err != nil {
					t.Error(err)
				}
			}
			if _, err := in.WaitLog(`smtp\[\d+\]: warning: TLS policy lookup for \[127\.0\.0\.1\]:\d+/127\.0\.0\.1: client TLS configuration problem$`, logTimeout); err != nil {
				t.Error(err)
			}
		})
	}
}
