package tests

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/postfix-go/postfix-go/tests/harness"
)

// The first slice of our smtp(8): plain SMTP to relayhost =
// [127.0.0.1]:port (the harness sink), under the stock master, qmgr and
// bounce/defer services.

// smtpScenario is one run of a private instance whose relayhost is an
// smtp-sink with sinkArgs; bin is our smtp, or "" for the stock one.
type smtpScenario struct {
	in   *harness.Instance
	sink *harness.Sink
}

func newSMTPScenario(t *testing.T, bin string, sinkArgs ...string) smtpScenario {
	t.Helper()
	opts := harness.Options{}
	if bin != "" {
		opts.Replace = map[string]string{"smtp": bin}
	}
	in := harness.New(t, opts)
	sink := in.StartSink(t, harness.SinkOptions{Save: true, Args: sinkArgs})
	return smtpScenario{in, sink}
}

// checkOurSMTP verifies that every smtp process of the instance runs our
// binary, so the test can never pass against the stock daemon.
func checkOurSMTP(t *testing.T, in *harness.Instance) {
	t.Helper()
	pids, err := in.WaitPIDs("smtp", procTimeout)
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.Stat(in.DaemonPath("smtp"))
	if err != nil {
		t.Fatal(err)
	}
	for _, pid := range pids {
		exe, err := os.Stat(fmt.Sprintf("/proc/%d/exe", pid))
		if err != nil {
			continue // exited meanwhile
		}
		if !os.SameFile(exe, want) {
			t.Fatalf("smtp pid %d does not run %s", pid, in.DaemonPath("smtp"))
		}
	}
}

// checkNoSMTPProblems fails on warnings from smtp and on master
// complaints about it.
func checkNoSMTPProblems(t *testing.T, in *harness.Instance) {
	t.Helper()
	lines, err := in.LogLines()
	if err != nil {
		t.Fatal(err)
	}
	if p := lines.Program("smtp").Problems(); len(p) > 0 {
		t.Errorf("smtp problems:\n%s", p)
	}
	if p := lines.Program("master").Match(`bad command startup|process \S*smtp\S* pid \d+ (exit status|killed by signal)`); len(p) > 0 {
		t.Errorf("master complained:\n%s", p)
	}
}

// TestSMTPDelivers200 pushes 200 messages through our smtp to
// smtp-sink: every one is sent, arrives exactly once, and the queue
// empties.
func TestSMTPDelivers200(t *testing.T) {
	harness.Require(t)
	const messages = 200
	sc := newSMTPScenario(t, harness.Daemon(t, "smtp"))
	in := sc.in
	in.Inject(t, harness.InjectOptions{Messages: messages, Sessions: 4})
	if err := in.WaitQueueEmpty(deliverTimeout); err != nil {
		t.Fatal(err)
	}
	if q, err := in.Queue(); err != nil || len(q) != 0 {
		t.Fatalf("showq after the queue emptied: %d entries, err %v", len(q), err)
	}
	checkOurSMTP(t, in)
	deliveries := waitDeliveries(t, in, messages)
	sent := map[string]int{}
	for _, d := range deliveries {
		if d.Status != "sent" || d.Line.Program != "smtp" || d.DSN != "2.0.0" {
			t.Errorf("unexpected delivery: %s", d.Line.Raw)
		}
		sent[d.QueueID]++
	}
	if len(sent) != messages {
		t.Errorf("%d queue ids delivered, want %d", len(sent), messages)
	}
	if err := sc.sink.WaitMessages(messages, logTimeout); err != nil {
		t.Fatal(err)
	}
	msgs, err := sc.sink.Messages()
	if err != nil {
		t.Fatal(err)
	}
	byID, byQID := map[string]int{}, map[string]int{}
	for _, m := range msgs {
		if m.MessageID == "" {
			t.Errorf("sink message %s has no Message-Id", m.File)
		}
		byID[m.MessageID]++
		byQID[m.QueueID]++
	}
	for id, n := range byID {
		if n != 1 {
			t.Errorf("Message-Id %s arrived %d times", id, n)
		}
	}
	for qid, n := range byQID {
		if n != 1 || sent[qid] != 1 {
			t.Errorf("queue id %s: %d at the sink, %d sent lines", qid, n, sent[qid])
		}
	}
	if len(msgs) != messages || len(byID) != messages {
		t.Errorf("sink has %d messages with %d distinct Message-Ids, want %d", len(msgs), len(byID), messages)
	}
	checkNoSMTPProblems(t, in)
}

// deliverOne injects one message and returns its first delivery line.
func deliverOne(t *testing.T, in *harness.Instance, status string) harness.Delivery {
	t.Helper()
	mark := in.LogMark()
	in.Inject(t, harness.InjectOptions{Messages: 1})
	l, err := in.WaitLogSince(mark, func(l harness.LogLine) bool {
		d, ok := harness.ParseDelivery(l)
		return ok && d.Line.Program == "smtp" && d.Status == status
	}, logTimeout)
	if err != nil {
		t.Fatal(err)
	}
	d, _ := harness.ParseDelivery(l)
	return d
}

// TestSMTPRcpt450Defers: a sink that answers RCPT with 450 leaves the
// message deferred in the queue, with the stock log line.
func TestSMTPRcpt450Defers(t *testing.T) {
	harness.Require(t)
	sc := newSMTPScenario(t, harness.Daemon(t, "smtp"), "-r", "RCPT")
	d := deliverOne(t, sc.in, "deferred")
	checkOurSMTP(t, sc.in)
	if !strings.HasPrefix(d.DSN, "4.") || !strings.Contains(d.Reason, "said: 450 ") ||
		!strings.HasSuffix(d.Reason, "(in reply to RCPT TO command)") {
		t.Errorf("deferral line: %s", d.Line.Raw)
	}
	err := harness.WaitFor(logTimeout, func() (bool, error) {
		q, err := sc.in.Queue()
		if err != nil {
			return false, err
		}
		for _, e := range q {
			if e.QueueID == d.QueueID && e.QueueName == "deferred" && len(e.Recipients) == 1 &&
				strings.Contains(e.Recipients[0].DelayReason, "450") {
				return true, nil
			}
		}
		return false, nil
	}, func() string { return "message " + d.QueueID + " not in the deferred queue with its reason" })
	if err != nil {
		t.Fatal(err)
	}
	if c, err := sc.sink.Counters(); err != nil || c.Messages != 0 {
		t.Errorf("sink counted %+v (err %v), want no message", c, err)
	}
	checkNoSMTPProblems(t, sc.in)
}

// TestSMTPLogLinesMatchStock runs the same scenarios with the stock
// smtp and ours and compares the delivery lines field by field, except
// queue ids, times, and the sink's port, which differs per instance.
func TestSMTPLogLinesMatchStock(t *testing.T) {
	harness.Require(t)
	ours := harness.Daemon(t, "smtp")
	for _, c := range []struct {
		name, status string
		sinkArgs     []string
	}{
		{"sent", "sent", nil},
		{"rcpt450", "deferred", []string{"-r", "RCPT"}},
		{"rcpt550", "bounced", []string{"-f", "RCPT"}},
		{"greeting5xx", "deferred", []string{"-f", "CONNECT"}},
		{"disconnectDot", "deferred", []string{"-q", "."}},
	} {
		t.Run(c.name, func(t *testing.T) {
			stock := newSMTPScenario(t, "", c.sinkArgs...)
			want := deliverOne(t, stock.in, c.status)
			our := newSMTPScenario(t, ours, c.sinkArgs...)
			got := deliverOne(t, our.in, c.status)
			checkOurSMTP(t, our.in)
			norm := func(s string, sc smtpScenario) string {
				return strings.ReplaceAll(s, fmt.Sprint(sc.sink.Port), "PORT")
			}
			for _, f := range []string{"to", "orig_to", "relay", "conn_use", "dsn", "status"} {
				if g, w := norm(got.Fields[f], our), norm(want.Fields[f], stock); g != w {
					t.Errorf("field %s: ours %q, stock %q", f, g, w)
				}
			}
			if g, w := norm(got.Reason, our), norm(want.Reason, stock); g != w {
				t.Errorf("reason:\n ours  %q\n stock %q", g, w)
			}
			for _, f := range []string{"delay", "delays"} {
				if (got.Fields[f] == "") != (want.Fields[f] == "") ||
					strings.Count(got.Fields[f], "/") != strings.Count(want.Fields[f], "/") {
					t.Errorf("field %s: ours %q, stock %q", f, got.Fields[f], want.Fields[f])
				}
			}
			t.Logf("stock: %s\nours:  %s", want.Line.Text, got.Line.Text)
		})
	}
}

// TestSMTPStartsAsLMTP: the same binary runs as lmtp(8) by name and,
// with no LMTP server listening, defers with the stock connect failure
// instead of failing or losing the mail (delivery itself is covered by
// TestLMTPDelivers50).
func TestSMTPStartsAsLMTP(t *testing.T) {
	harness.Require(t)
	in := harness.New(t, harness.Options{Replace: map[string]string{"lmtp": harness.Daemon(t, "lmtp")}})
	if _, err := in.Postconf("-e", fmt.Sprintf("default_transport=lmtp:inet:[127.0.0.1]:%d", in.SinkPort)); err != nil {
		t.Fatal(err)
	}
	if err := in.Reload(); err != nil {
		t.Fatal(err)
	}
	mark := in.LogMark()
	in.Inject(t, harness.InjectOptions{Messages: 1})
	l, err := in.WaitLogSince(mark, func(l harness.LogLine) bool {
		d, ok := harness.ParseDelivery(l)
		return ok && l.Program == "lmtp" && d.Status == "deferred"
	}, logTimeout)
	if err != nil {
		t.Fatal(err)
	}
	if d, _ := harness.ParseDelivery(l); d.DSN != "4.4.1" || !strings.Contains(d.Reason, "Connection refused") {
		t.Errorf("lmtp deferral: %s", l.Raw)
	}
	lines, err := in.LogLines()
	if err != nil {
		t.Fatal(err)
	}
	if p := lines.Program("lmtp").Problems(); len(p) > 0 {
		t.Errorf("lmtp problems:\n%s", p)
	}
}
