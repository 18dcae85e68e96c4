package tests

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/postfix-go/postfix-go/tests/faultsink"
	"github.com/postfix-go/postfix-go/tests/harness"
)

// Checks of TestSMTPFaults, one per observable: the maillog, the queue
// and the fault sink's record of accepted transactions.

// waitQueueIDs maps each submitted Message-Id to its queue id.
func waitQueueIDs(t *testing.T, in *harness.Instance, subs []harness.Submission) map[string]string {
	t.Helper()
	var ids map[string]string
	err := harness.WaitFor(logTimeout, func() (bool, error) {
		var err error
		ids, err = in.QueueIDsByMessageID()
		for _, s := range subs {
			if ids[s.MessageID] == "" {
				return false, err
			}
		}
		return true, err
	}, func() string { return fmt.Sprintf("cleanup logged %d of %d Message-Ids", len(ids), len(subs)) })
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

// waitFirstAttempts waits until smtp logged a status for every recipient
// and returns the first line per "queue-id recipient".
func waitFirstAttempts(t *testing.T, in *harness.Instance, msgs []*faultMsg) map[string]harness.Delivery {
	t.Helper()
	first := map[string]harness.Delivery{}
	missing := 0
	err := harness.WaitFor(time.Minute, func() (bool, error) {
		ls, err := in.LogLines()
		first = map[string]harness.Delivery{}
		for _, d := range ls.Program("smtp").Deliveries() {
			if _, seen := first[d.QueueID+" "+d.To]; !seen {
				first[d.QueueID+" "+d.To] = d
			}
		}
		missing = 0
		for _, m := range msgs {
			for _, rcpt := range m.To {
				if _, ok := first[m.qid+" "+rcpt]; !ok {
					missing++
				}
			}
		}
		return missing == 0, err
	}, func() string { return fmt.Sprintf("%d recipients never attempted by smtp", missing) })
	if err != nil {
		t.Fatal(err)
	}
	return first
}

// checkStillQueued: messages with deferred recipients stay in the queue
// with exactly those recipients left; the others leave it.
func checkStillQueued(t *testing.T, in *harness.Instance, msgs []*faultMsg) {
	t.Helper()
	want := map[string][]string{}
	for _, m := range msgs {
		if m.kind.status == "deferred" {
			want[m.qid] = m.faulty
		}
	}
	var got map[string][]string
	err := harness.WaitFor(logTimeout, func() (bool, error) {
		q, err := in.Queue()
		got = map[string][]string{}
		for _, e := range q {
			for _, r := range e.Recipients {
				got[e.QueueID] = append(got[e.QueueID], r.Address)
			}
		}
		if len(got) != len(want) {
			return false, err
		}
		for id, rcpts := range want {
			if !slices.Equal(got[id], rcpts) {
				return false, err
			}
		}
		return true, err
	}, func() string { return fmt.Sprintf("queue holds %v, want %v", got, want) })
	if err != nil {
		t.Error(err)
	}
}

// checkBounces: each message with hard-rejected recipients produced one
// non-delivery notification that reached the sender (at the sink, with
// the null sender) and quotes the original message. It returns their
// number.
func checkBounces(t *testing.T, in *harness.Instance, sink *faultsink.Server, msgs []*faultMsg) int {
	t.Helper()
	var hard []*faultMsg
	for _, m := range msgs {
		if m.kind.fault == faultsink.HardReject {
			hard = append(hard, m)
		}
	}
	for _, m := range hard {
		if _, err := in.WaitLog(`/bounce\[\d+\]: `+m.qid+`: sender non-delivery notification: [0-9A-Za-z]+$`, logTimeout); err != nil {
			t.Errorf("%s: %v", m.qid, err)
		}
	}
	var quoted map[string]int
	n := 0
	err := harness.WaitFor(logTimeout, func() (bool, error) {
		quoted = map[string]int{}
		n = 0
		for _, sm := range sink.Messages() {
			if sm.From != "" {
				continue
			}
			n++
			for _, m := range hard {
				if slices.Equal(sm.Rcpts, []string{"sender@source.test"}) && strings.Contains(string(sm.Data), "<"+m.MessageID+">") {
					quoted[m.MessageID]++
				}
			}
		}
		return n >= len(hard), nil
	}, func() string { return fmt.Sprintf("%d bounces at the sink, want %d", n, len(hard)) })
	if err != nil {
		t.Error(err)
	}
	for _, m := range hard {
		if quoted[m.MessageID] != 1 {
			t.Errorf("bounce for %s arrived %d times, want 1", m.MessageID, quoted[m.MessageID])
		}
	}
	return len(hard)
}

// checkSentLines: the maillog agrees with the sink, one status=sent line
// per delivered recipient and none for bounced ones.
func checkSentLines(t *testing.T, in *harness.Instance, msgs []*faultMsg) {
	t.Helper()
	want := 0
	for _, m := range msgs {
		want += len(m.To)
		if m.kind.fault == faultsink.HardReject {
			want -= len(m.faulty)
		}
	}
	isSent := func(l harness.LogLine) bool {
		d, ok := harness.ParseDelivery(l)
		return ok && l.Program == "smtp" && d.Status == "sent" && !strings.HasSuffix(d.To, "@source.test")
	}
	lines, err := in.WaitLogCount(0, isSent, want, logTimeout)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	for _, d := range lines.Deliveries() {
		if seen[d.QueueID+" "+d.To]++; seen[d.QueueID+" "+d.To] > 1 {
			t.Errorf("second status=sent line: %s", d.Line.Raw)
		}
		if strings.HasSuffix(d.To, "@hard.test") {
			t.Errorf("hard-rejected recipient sent: %s", d.Line.Raw)
		}
	}
}
