package tests

import (
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/postfix-go/postfix-go/tests/faultsink"
	"github.com/postfix-go/postfix-go/tests/harness"
)

// Faults between our smtp(8) and a misbehaving server, with the stock
// qmgr, bounce, defer and cleanup around it: each fault must leave the
// stock status and reason, and once the server is healthy again a flush
// must deliver every recipient exactly once.

// faultStockEnv, when set, runs these tests against the stock smtp(8),
// to check that their expectations describe stock Postfix.
const faultStockEnv = "POSTFIX_GO_FAULTS_STOCK"

// faultAgent returns Options.Replace for the agent under test.
func faultAgent(t *testing.T) map[string]string {
	if os.Getenv(faultStockEnv) != "" {
		t.Logf("%s set: testing the stock smtp", faultStockEnv)
		return nil
	}
	return map[string]string{"smtp": harness.Daemon(t, "smtp")}
}

// faultMainCF keeps retries quick; literal next hops and no DNS at all.
func faultMainCF(extra map[string]string) map[string]string {
	m := map[string]string{
		"disable_dns_lookups":  "yes",
		"minimal_backoff_time": "1s",
		"maximal_backoff_time": "2s",
		"queue_run_delay":      "1s",
	}
	for k, v := range extra {
		m[k] = v
	}
	return m
}

// faultKind is a recipient domain with its own next hop (so that one
// domain's site failures throttle only its own qmgr queue) and what the
// server does to its recipients.
type faultKind struct {
	domain string
	fault  faultsink.Fault
	status string // of its recipients on the first attempt
	dsn    string
	reason string // regexp for the reason of the first attempt
	body   int    // bytes: DropContent needs more than the socket buffers hold
}

const faultPeerRE = `127\.0\.0\.1\[127\.0\.0\.1\]`

var faultKinds = []faultKind{
	{"soft.test", faultsink.SoftReject, "deferred", "4.2.0", `^host ` + faultPeerRE + ` said: 450 4\.2\.0 <[^>]+>: Recipient address rejected: try again later \(in reply to RCPT TO command\)$`, 0},
	{"hard.test", faultsink.HardReject, "bounced", "5.1.1", `^host ` + faultPeerRE + ` said: 550 5\.1\.1 <[^>]+>: Recipient address rejected: no such user \(in reply to RCPT TO command\)$`, 0},
	{"drop.test", faultsink.DropContent, "deferred", "4.4.2", `^lost connection with ` + faultPeerRE + ` while sending message body$`, 4 << 20},
	{"dotslow.test", faultsink.SilentDot, "deferred", "4.4.2", `^conversation with ` + faultPeerRE + ` timed out while sending end of data -- message may be sent more than once$`, 0},
	{"rcptslow.test", faultsink.SilentRcpt, "deferred", "4.4.2", `^conversation with ` + faultPeerRE + ` timed out while sending RCPT TO$`, 0},
}

// faultMsg is one submitted message: an ok.test recipient that is always
// accepted, plus one or two recipients of a fault kind.
type faultMsg struct {
	harness.Submission
	kind   faultKind
	faulty []string
	qid    string
}

func TestSMTPFaults(t *testing.T) {
	harness.Require(t)
	const messages = 20
	in, sink := startFaultInstance(t)

	var msgs []*faultMsg
	var subs []harness.Submission
	for i := range messages {
		k := faultKinds[i%len(faultKinds)]
		m := &faultMsg{kind: k, faulty: []string{fmt.Sprintf("m%d@%s", i, k.domain)}}
		if i%2 == 0 {
			m.faulty = append(m.faulty, fmt.Sprintf("m%dx@%s", i, k.domain))
		}
		m.Submission = harness.Submission{
			To:        append([]string{fmt.Sprintf("m%d@ok.test", i)}, m.faulty...),
			MessageID: fmt.Sprintf("fault%d.%d@source.test", i, time.Now().UnixNano()),
			BodyBytes: k.body,
		}
		msgs, subs = append(msgs, m), append(subs, m.Submission)
	}
	if err := in.Submit(subs); err != nil {
		t.Fatal(err)
	}
	qids := waitQueueIDs(t, in, subs)
	for _, m := range msgs {
		m.qid = qids[m.MessageID]
	}

	// Phase 1: every recipient's first attempt by smtp has the stock
	// status and reason.
	first := waitFirstAttempts(t, in, msgs)
	checkOurSMTP(t, in)
	for _, m := range msgs {
		if d := first[m.qid+" "+m.To[0]]; d.Status != "sent" {
			t.Errorf("%s: healthy recipient: %s", m.kind.domain, d.Line.Raw)
		}
		for _, rcpt := range m.faulty {
			d := first[m.qid+" "+rcpt]
			if d.Status != m.kind.status || d.DSN != m.kind.dsn || !regexp.MustCompile(m.kind.reason).MatchString(d.Reason) {
				t.Errorf("%s: first attempt: %s\n want status=%s dsn=%s reason /%s/", m.kind.domain, d.Line.Text, m.kind.status, m.kind.dsn, m.kind.reason)
			}
		}
	}
	checkStillQueued(t, in, msgs)
	bounces := checkBounces(t, in, sink, msgs)

	// Phase 2: a healthy server and a flush deliver the rest exactly once.
	sink.Set(faultsink.Config{})
	if err := in.FlushUntilEmpty(3*time.Second, time.Minute); err != nil {
		t.Fatal(err)
	}
	got := map[string]int{} // "Message-Id rcpt" -> accepted transactions
	for _, sm := range sink.Messages() {
		if sm.From == "" {
			continue // bounces, checked above
		}
		for _, rcpt := range sm.Rcpts {
			got[sm.MessageID+" "+rcpt]++
		}
	}
	// One transaction for the ok.test recipient, one for the others
	// unless they bounced, one per bounce: nothing else reached the sink.
	transactions := bounces
	for _, m := range msgs {
		transactions++
		if m.kind.fault != faultsink.HardReject {
			transactions++
		}
		for _, rcpt := range m.To {
			n, exp := got[m.MessageID+" "+rcpt], 1
			if m.kind.fault == faultsink.HardReject && rcpt != m.To[0] {
				exp = 0
			}
			if n != exp {
				t.Errorf("%s (%s) for %s arrived %d times, want %d", m.MessageID, m.kind.domain, rcpt, n, exp)
			}
		}
	}
	if n := len(sink.Messages()); n != transactions {
		t.Errorf("sink accepted %d transactions, want %d", n, transactions)
	}
	checkSentLines(t, in, msgs)
	checkNoSMTPProblems(t, in)
}

// startFaultInstance starts an instance whose relayhost (where bounces
// to sender@source.test go) and every fault domain's next hop are
// listeners of one fault sink, each domain on its own port.
func startFaultInstance(t *testing.T) (*harness.Instance, *faultsink.Server) {
	in := harness.New(t, harness.Options{Replace: faultAgent(t), NoStart: true, MainCF: faultMainCF(nil),
		// Short timeouts only where the server goes silent: elsewhere
		// a loaded machine could time out a healthy "." reply, which
		// rightly causes a duplicate.
		MasterEntries: []string{"slowsmtp/unix=slowsmtp unix - - y - - smtp -o smtp_rcpt_timeout=2s -o smtp_data_done_timeout=2s"},
	})
	kinds := append([]faultKind{{domain: "ok.test"}}, faultKinds...)
	faults := map[string]faultsink.Fault{} // complete before any session reads it
	for _, k := range kinds {
		faults[k.domain] = k.fault
	}
	sink := faultsink.New(faultsink.Config{Faults: func(rcpt string) faultsink.Fault {
		_, domain, _ := strings.Cut(rcpt, "@")
		return faults[domain]
	}})
	t.Cleanup(sink.Close)
	if _, err := sink.Listen(fmt.Sprintf("127.0.0.1:%d", in.SinkPort)); err != nil {
		t.Fatal(err)
	}
	var routes []string
	for _, k := range kinds {
		addr, err := sink.Listen("127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		transport := "smtp"
		if k.fault == faultsink.SilentRcpt || k.fault == faultsink.SilentDot {
			transport = "slowsmtp"
		}
		routes = append(routes, fmt.Sprintf("%s=%s:[127.0.0.1]:%s", k.domain, transport, strings.TrimPrefix(addr, "127.0.0.1:")))
	}
	if _, err := in.Postconf("-e", "transport_maps=inline:{"+strings.Join(routes, ", ")+"}"); err != nil {
		t.Fatal(err)
	}
	if err := in.Start(); err != nil {
		t.Fatal(err)
	}
	return in, sink
}
