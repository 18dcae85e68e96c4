package tests

import (
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/postfix-go/postfix-go/tests/harness"
)

// requireDaemon waits for the single process running program and checks
// that it is the binary we installed in the instance, so a test can
// never pass against the wrong daemon.
func requireDaemon(t *testing.T, in *harness.Instance, program string) int {
	t.Helper()
	pids, err := in.WaitPIDs(program, procTimeout)
	if err != nil {
		t.Fatal(err)
	}
	if len(pids) != 1 {
		t.Fatalf("%d %s processes (%v), want 1", len(pids), program, pids)
	}
	exe, err := os.Stat(fmt.Sprintf("/proc/%d/exe", pids[0]))
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.Stat(in.DaemonPath(program))
	if err != nil {
		t.Fatal(err)
	}
	if !os.SameFile(exe, want) {
		t.Fatalf("%s pid %d does not run %s", program, pids[0], in.DaemonPath(program))
	}
	return pids[0]
}

// waitDeliveries waits until n delivery lines are in the maillog: the
// queue empties before postlogd has necessarily written every line.
func waitDeliveries(t *testing.T, in *harness.Instance, n int) []harness.Delivery {
	t.Helper()
	isDelivery := func(l harness.LogLine) bool { _, ok := harness.ParseDelivery(l); return ok }
	lines, err := in.WaitLogCount(0, isDelivery, n, logTimeout)
	if err != nil {
		t.Fatalf("waiting for %d delivery lines: %v", n, err)
	}
	if len(lines) != n {
		t.Errorf("%d delivery lines, want %d", len(lines), n)
	}
	return lines.Deliveries()
}

// waitCachedConn waits until pid holds an established TCP connection to
// the sink, i.e. smtp(8) parked a connection in scache.
func waitCachedConn(t *testing.T, pid, port int) {
	t.Helper()
	err := harness.WaitFor(procTimeout, func() (bool, error) {
		conns, err := harness.TCPConns(pid)
		for _, c := range conns {
			if c.Established() && int(c.Remote.Port()) == port {
				return true, nil
			}
		}
		return false, err
	}, func() string { return fmt.Sprintf("scache %d holds no connection to port %d", pid, port) })
	if err != nil {
		t.Fatal(err)
	}
}

// scacheComplaints are master(8) messages about a daemon that exits
// badly; the stock scache never causes them.
var scacheComplaints = regexp.MustCompile(`bad command startup -- throttling|warning: process \S*scache\S* pid \d+ (exit status|killed by signal)`)

// checkNoScacheProblems fails on any warning/error/fatal/panic from
// scache and on master complaints about it.
func checkNoScacheProblems(t *testing.T, lines harness.LogLines) {
	t.Helper()
	if p := lines.Program("scache").Problems(); len(p) > 0 {
		t.Errorf("scache problems:\n%s", p)
	}
	if p := lines.Program("master").Filter(func(l harness.LogLine) bool {
		return scacheComplaints.MatchString(l.Text)
	}); len(p) > 0 {
		t.Errorf("master complained:\n%s", p)
	}
}

// isWithin reports whether path is dir or below it.
func isWithin(path, dir string) bool {
	return path == dir || strings.HasPrefix(path, dir+"/")
}

// checkSentOnce asserts exactly-once delivery on both sides: every one of
// the messages has exactly one status=sent line (from program, when it is
// not empty) and its queue id reached the sink exactly once. It returns
// the highest conn_use seen and the sink's messages.
func checkSentOnce(t *testing.T, deliveries []harness.Delivery, sink *harness.Sink, messages int, program string) (int, []harness.SinkMessage) {
	t.Helper()
	sent := map[string]int{}
	maxUse := 0
	for _, d := range deliveries {
		if d.Status != "sent" || (program != "" && d.Line.Program != program) {
			t.Errorf("unexpected delivery: %s", d.Line.Raw)
		}
		sent[d.QueueID]++
		maxUse = max(maxUse, d.ConnUse)
	}
	for id, n := range sent {
		if n != 1 {
			t.Errorf("queue id %s has %d delivery lines, want 1", id, n)
		}
	}
	if len(sent) != messages {
		t.Errorf("%d queue ids delivered, want %d", len(sent), messages)
	}
	if err := sink.WaitMessages(messages, logTimeout); err != nil {
		t.Fatal(err)
	}
	msgs, err := sink.Messages()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	for _, m := range msgs {
		got[m.QueueID]++
	}
	for id, n := range got {
		if n != 1 || sent[id] != 1 {
			t.Errorf("sink got queue id %q %d times; maillog has %d sent lines for it", id, n, sent[id])
		}
	}
	if len(msgs) != messages {
		t.Errorf("sink has %d messages, want %d", len(msgs), messages)
	}
	return maxUse, msgs
}
