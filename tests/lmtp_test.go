package tests

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/postfix-go/postfix-go/tests/harness"
)

// TestLMTPDelivers50 pushes 50 messages with 2 recipients each through
// our lmtp(8) to smtp-sink in LMTP mode at inet:[127.0.0.1]:port:
// every recipient is sent by its own end-of-data reply, every message
// arrives exactly once, and the queue empties.
func TestLMTPDelivers50(t *testing.T) {
	harness.Require(t)
	const messages, rcpts = 50, 2
	port, err := harness.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	in := harness.New(t, harness.Options{
		Replace: map[string]string{"lmtp": harness.Daemon(t, "lmtp")},
		MainCF: map[string]string{
			"relayhost":         "",
			"default_transport": fmt.Sprintf("lmtp:inet:[127.0.0.1]:%d", port),
		},
	})
	sink := in.StartSink(t, harness.SinkOptions{Port: port, LMTP: true, Save: true})
	in.Inject(t, harness.InjectOptions{Messages: messages, Recipients: rcpts, Sessions: 4})
	if err := in.WaitQueueEmpty(deliverTimeout); err != nil {
		t.Fatal(err)
	}
	// Every lmtp process is our binary.
	pids, err := in.WaitPIDs("lmtp", procTimeout)
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.Stat(in.DaemonPath("lmtp"))
	if err != nil {
		t.Fatal(err)
	}
	for _, pid := range pids {
		if exe, err := os.Stat(fmt.Sprintf("/proc/%d/exe", pid)); err == nil && !os.SameFile(exe, want) {
			t.Fatalf("lmtp pid %d does not run %s", pid, in.DaemonPath("lmtp"))
		}
	}
	deliveries := waitDeliveries(t, in, messages*rcpts)
	relay := fmt.Sprintf("127.0.0.1[127.0.0.1]:%d", port)
	sent := map[string]int{}
	for _, d := range deliveries {
		if d.Status != "sent" || d.Line.Program != "lmtp" || !strings.HasPrefix(d.DSN, "2.") || d.Relay != relay {
			t.Errorf("unexpected delivery: %s", d.Line.Raw)
		}
		sent[d.QueueID]++
	}
	if len(sent) != messages {
		t.Errorf("%d queue ids delivered, want %d", len(sent), messages)
	}
	for qid, n := range sent {
		if n != rcpts {
			t.Errorf("queue id %s: %d sent lines, want %d", qid, n, rcpts)
		}
	}
	if err := sink.WaitMessages(messages, logTimeout); err != nil {
		t.Fatal(err)
	}
	msgs, err := sink.Messages()
	if err != nil {
		t.Fatal(err)
	}
	byQID := map[string]int{}
	for _, m := range msgs {
		if m.Proto != "LMTP" {
			t.Errorf("sink message %s: protocol %q, want LMTP", m.File, m.Proto)
		}
		if len(m.RcptArgs) != rcpts {
			t.Errorf("sink message %s: %d recipients, want %d", m.File, len(m.RcptArgs), rcpts)
		}
		byQID[m.QueueID]++
	}
	for qid, n := range byQID {
		if n != 1 || sent[qid] != rcpts {
			t.Errorf("queue id %s: %d at the sink, %d sent lines", qid, n, sent[qid])
		}
	}
	if len(msgs) != messages || len(byQID) != messages {
		t.Errorf("sink has %d messages with %d distinct queue ids, want %d", len(msgs), len(byQID), messages)
	}
	lines, err := in.LogLines()
	if err != nil {
		t.Fatal(err)
	}
	if p := lines.Program("lmtp").Problems(); len(p) > 0 {
		t.Errorf("lmtp problems:\n%s", p)
	}
	if p := lines.Program("master").Match(`bad command startup|process \S*lmtp\S* pid \d+ (exit status|killed by signal)`); len(p) > 0 {
		t.Errorf("master complained:\n%s", p)
	}
}

// TestLMTPHostName delivers to inet:name:port: lmtp(8) looks the name up
// (no MX lookup) where stock does with DNS disabled, in the chroot's
// etc/hosts.
func TestLMTPHostName(t *testing.T) {
	harness.Require(t)
	const messages = 5
	port, err := harness.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	in := harness.New(t, harness.Options{
		NoStart: true,
		Replace: map[string]string{"lmtp": harness.Daemon(t, "lmtp")},
		MainCF: map[string]string{
			"relayhost":         "",
			"default_transport": fmt.Sprintf("lmtp:inet:%s:%d", sinkHost, port),
		},
		MasterFields: []string{"lmtp/unix/chroot=y"},
	})
	etc := filepath.Join(in.Spool, "etc")
	if err := os.MkdirAll(etc, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(etc, "hosts"), []byte("127.0.0.1 "+sinkHost+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := in.Start(); err != nil {
		t.Fatal(err)
	}
	sink := in.StartSink(t, harness.SinkOptions{Port: port, LMTP: true, Save: true})
	in.Inject(t, harness.InjectOptions{Messages: messages, Recipients: 1, Sessions: 1})
	if err := in.WaitQueueEmpty(deliverTimeout); err != nil {
		t.Fatal(err)
	}
	relay := fmt.Sprintf("%s[127.0.0.1]:%d", sinkHost, port)
	for _, d := range waitDeliveries(t, in, messages) {
		if d.Status != "sent" || d.Relay != relay {
			t.Errorf("unexpected delivery: %s", d.Line.Raw)
		}
	}
	if err := sink.WaitMessages(messages, logTimeout); err != nil {
		t.Fatal(err)
	}
}
