package tests

import (
	"strings"
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

// TestSMTPUnreadablePolicyTableDefers: a policy table type this agent
// cannot read (hash:) may require TLS anywhere, so everything waits.
func TestSMTPUnreadablePolicyTableDefers(t *testing.T) {
	harness.Require(t)
	in := harness.New(t, harness.Options{
		Replace: map[string]string{"smtp": harness.Daemon(t, "smtp")},
		MainCF:  map[string]string{"smtp_tls_policy_maps": "hash:/etc/postfix/tls_policy"},
	})
	in.StartSink(t, harness.SinkOptions{Save: true})
	d := deliverOne(t, in, "deferred")
	checkOurSMTP(t, in)
	if d.DSN != "4.3.0" || !strings.Contains(d.Reason, "table hash:/etc/postfix/tls_policy: type is not supported") {
		t.Errorf("deferral line: %s", d.Line.Raw)
	}
	if _, err := in.WaitLog(`smtp\[\d+\]: warning: table hash:/etc/postfix/tls_policy: .*deferring all mail`, logTimeout); err != nil {
		t.Errorf("no start-up warning: %v", err)
	}
}
