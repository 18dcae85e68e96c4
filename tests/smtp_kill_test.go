package tests

import (
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/postfix-go/postfix-go/tests/faultsink"
	"github.com/postfix-go/postfix-go/tests/harness"
)

// SIGKILL of our smtp(8) at each step of the SMTP dialogue, under the
// stock master and qmgr (spec §2.11, §3.7). The server pauses the first
// session at the step (and holds later ones before the greeting), the
// test kills every smtp process, then the server turns healthy and the
// queue is flushed. Nothing may be lost,
// and a message may arrive twice only when the server had received the
// final "." before the kill (RFC 5321 §4.1.4): the fake server commits
// a message when it reads ".", so a kill before its 250 reply reached
// the agent must cause exactly one duplicate, and a kill after the
// agent recorded the 250 none.

// killSteps lists where the dialogue stops and how often the message of
// the paused session must arrive in the end.
var killSteps = []struct {
	step   faultsink.Step
	copies int
}{
	{faultsink.StepConnect, 1},
	{faultsink.StepGreeting, 1},
	{faultsink.StepEHLO, 1},
	{faultsink.StepMail, 1},
	{faultsink.StepRcpt, 1},
	{faultsink.StepData, 1},
	{faultsink.StepContent, 1},
	{faultsink.StepDot, 2},
	{faultsink.StepDotReplied, 1},
}

func TestSMTPKill(t *testing.T) {
	harness.Require(t)
	replace := faultAgent(t)
	for _, c := range killSteps {
		t.Run(c.step.String(), func(t *testing.T) {
			// Independent instances; mostly waiting for retries.
			t.Parallel()
			testSMTPKill(t, replace, c.step, c.copies)
		})
	}
}

func testSMTPKill(t *testing.T, replace map[string]string, step faultsink.Step, copies int) {
	const messages = 3
	in := harness.New(t, harness.Options{Replace: replace, NoStart: true, MainCF: faultMainCF(map[string]string{
		// One session at a time, so the paused one is the only
		// delivery in progress and every kill hits the same step.
		"smtp_destination_concurrency_limit": "1",
		// master(8) suspends a service whose child died on its first
		// request ("bad command startup") for this long.
		"service_throttle_time": "1s",
		// Wait for the QUIT reply, so that after the 250 for "." the
		// agent is still busy with the request when it is killed.
		"smtp_skip_quit_response": "no",
	})})
	sink := faultsink.New(faultsink.Config{PauseAt: step, PauseOnce: true})
	t.Cleanup(sink.Close)
	if _, err := sink.Listen(fmt.Sprintf("127.0.0.1:%d", in.SinkPort)); err != nil {
		t.Fatal(err)
	}
	if err := in.Start(); err != nil {
		t.Fatal(err)
	}
	var subs []harness.Submission
	for i := range messages {
		subs = append(subs, harness.Submission{
			To:        []string{fmt.Sprintf("k%da@example.com", i), fmt.Sprintf("k%db@example.com", i)},
			MessageID: fmt.Sprintf("kill%d.%d@source.test", i, time.Now().UnixNano()),
			BodyBytes: 256 << 10, // more than the sink reads before StepContent
		})
	}
	if err := in.Submit(subs); err != nil {
		t.Fatal(err)
	}
	if err := sink.WaitPaused(1, procTimeout); err != nil {
		t.Fatal(err)
	}
	checkOurSMTP(t, in)
	paused := sink.Paused()[0]
	if step == faultsink.StepDotReplied {
		waitRecorded(t, in, paused.QueueID)
	}
	pids, err := in.PIDs("smtp")
	if err != nil || len(pids) == 0 {
		t.Fatalf("smtp pids %v, err %v", pids, err)
	}
	for _, pid := range pids {
		if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
	}
	for _, pid := range pids {
		if err := harness.WaitGone(pid, procTimeout); err != nil {
			t.Fatal(err)
		}
	}
	checkCrashLogged(t, in, pids)
	// The killed request logged nothing per recipient (it was the first
	// and only delivery), except the "sent" lines after the 250.
	sent := 0
	if step == faultsink.StepDotReplied {
		sent = 2
	}
	ls, err := in.LogLines()
	if err != nil {
		t.Fatal(err)
	}
	if d := ls.Program("smtp").Deliveries(); len(d) != sent {
		t.Errorf("%d smtp delivery lines before the flush, want %d:\n%s", len(d), sent, ls.Program("smtp"))
	}

	sink.Set(faultsink.Config{})
	sink.Release()
	if err := in.FlushUntilEmpty(2*time.Second, time.Minute); err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	for _, m := range sink.Messages() {
		for _, r := range m.Rcpts {
			got[m.MessageID+" "+r]++
		}
	}
	for _, s := range subs {
		want := 1
		if paused.MessageID != "" && s.MessageID == paused.MessageID {
			want = copies
		}
		for _, r := range s.To {
			if got[s.MessageID+" "+r] != want {
				t.Errorf("killed at %s: %s for %s arrived %d times, want %d", step, s.MessageID, r, got[s.MessageID+" "+r], want)
			}
		}
	}
	if copies > 1 && paused.MessageID == "" {
		t.Errorf("paused at %s without a Message-Id: %+v", step, paused)
	}
}

// waitRecorded waits until the agent logged status=sent for the paused
// message and marked its recipients done in the queue file (spec §3.7:
// the "D" record is written right after the log line, before QUIT).
func waitRecorded(t *testing.T, in *harness.Instance, qid string) {
	t.Helper()
	if qid == "" {
		t.Fatal("paused after the 250 reply without a queue id in the Received header")
	}
	isSent := func(l harness.LogLine) bool {
		d, ok := harness.ParseDelivery(l)
		return ok && l.Program == "smtp" && d.QueueID == qid && d.Status == "sent"
	}
	if _, err := in.WaitLogCount(0, isSent, 2, logTimeout); err != nil {
		t.Fatal(err)
	}
	var env string
	err := harness.WaitFor(logTimeout, func() (bool, error) {
		var err error
		env, err = in.Postcat(qid)
		if err != nil {
			return true, nil // gone: qmgr already removed it
		}
		return !strings.Contains(env, "\nrecipient: ") && strings.Count(env, "done_recipient: ") == 2, nil
	}, func() string { return "recipients not marked done after status=sent:\n" + env })
	if err != nil {
		t.Error(err)
	}
}

// checkCrashLogged checks what stock master(8) and qmgr(8) log when a
// delivery agent dies inside its first request (spec §2.11).
func checkCrashLogged(t *testing.T, in *harness.Instance, pids []int) {
	t.Helper()
	want := []string{
		`qmgr\[\d+\]: warning: private/smtp( socket)?: malformed response$`,
		`master\[\d+\]: warning: \S+/smtp: bad command startup -- throttling$`,
	}
	for _, pid := range pids {
		want = append(want, fmt.Sprintf(`master\[\d+\]: warning: process \S+/smtp pid %d killed by signal 9$`, pid))
	}
	for _, re := range want {
		if _, err := in.WaitLog(re, logTimeout); err != nil {
			t.Error(err)
		}
	}
}
