package tests

import (
	"strings"
	"testing"

	"github.com/postfix-go/postfix-go/tests/harness"
)

// TestSMTPRequiredTLSDefers proves that our agent, which has no TLS yet,
// never sends mail in plaintext when the configuration requires TLS: the
// message is deferred with a clear reason, stays queued, and the sink
// receives nothing.
func TestSMTPRequiredTLSDefers(t *testing.T) {
	harness.Require(t)
	in := harness.New(t, harness.Options{
		Replace: map[string]string{"smtp": harness.Daemon(t, "smtp")},
		MainCF:  map[string]string{"smtp_tls_security_level": "encrypt"},
	})
	sink := in.StartSink(t, harness.SinkOptions{Save: true})
	d := deliverOne(t, in, "deferred")
	checkOurSMTP(t, in)
	if d.DSN != "4.3.0" || !strings.Contains(d.Reason, "TLS is required") {
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
	if _, err := in.WaitLog(`smtp\[\d+\]: warning: TLS is required by the configuration`, logTimeout); err != nil {
		t.Errorf("no start-up warning: %v", err)
	}
}
