package bench

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/postfix-go/postfix-go/tests/harness"
)

// deliveryRound delivers n held messages through p.transport: the stock
// smtp, TLS by p, to the receiving instance. As in BenchmarkSMTP the
// reload first ends every process of earlier rounds (smtp, scache and
// so the cached TLS sessions, both tlsproxy services), so the round's
// tlsproxy processes start with it and their CPU counts from zero.
func (r *tpRunner) deliveryRound(p *tlsProxy, n int) (tpResult, error) {
	res := tpResult{units: float64(n)}
	in := r.in
	if _, err := in.Postconf("-e", "default_transport="+p.transport); err != nil {
		return res, err
	}
	if err := in.Reload(); err != nil {
		return res, err
	}
	if err := r.waitNoneRunning(); err != nil {
		return res, err
	}
	in.Inject(r.b, harness.InjectOptions{Messages: n, Sessions: injectSessions, Size: messageSize, Reuse: true})
	sr := &runner{b: r.b, in: in}
	if err := sr.waitHeld(n); err != nil {
		return res, err
	}

	mark := in.LogMark()
	start := time.Now()
	if err := sr.tool("postsuper", "-H", "ALL"); err != nil {
		return res, err
	}
	if err := sr.tool("postqueue", "-f"); err != nil {
		return res, err
	}
	if err := waitDrained(in); err != nil {
		return res, err
	}
	res.wall = time.Since(start)
	if err := r.measure(p, procSample{}, &res); err != nil {
		return res, err
	}
	pids, err := r.pidsOf(p.exe)
	if err != nil {
		return res, err
	}
	if err := r.checkDelivered(p, mark, n, pids, &res); err != nil {
		return res, err
	}
	// Untimed: let the receiver discard what it queued, so that its
	// backlog does not slow the next round.
	return res, r.recv.WaitQueueEmpty(drainTimeout)
}

// checkDelivered insists on n status=sent lines through p's transport,
// TLS connections made by p's processes and none by the other tlsproxy,
// and fills maxUse and handshakes.
func (r *tpRunner) checkDelivered(p *tlsProxy, mark harness.LogMark, n int, pids []int, res *tpResult) error {
	isDelivery := func(l harness.LogLine) bool { _, ok := harness.ParseDelivery(l); return ok }
	lines, err := r.in.WaitLogCount(mark, isDelivery, n, stepTimeout)
	if err != nil {
		return err
	}
	if len(lines) != n {
		return fmt.Errorf("%d delivery lines, want %d", len(lines), n)
	}
	for _, d := range lines.Deliveries() {
		if d.Status != "sent" {
			return fmt.Errorf("not sent: %s", d.Line.Raw)
		}
		res.maxUse = max(res.maxUse, d.ConnUse)
	}
	since, err := r.in.LogLinesSince(mark)
	if err != nil {
		return err
	}
	for _, l := range since.Program("tlsproxy").Match(`^CONNECT to `) {
		if !slices.Contains(pids, l.PID) {
			return fmt.Errorf("TLS connection by pid %d, not a live %s process %v: %s", l.PID, p.command, pids, l.Raw)
		}
		res.handshakes++
	}
	// A resumed TLS 1.3 session has no server signature digest, so
	// the summary line lacks "server-digest" (stock resumes only with
	// a session cache database, which this instance has not).
	for _, l := range since.Program("tlsproxy").Match(`TLS connection established to `) {
		if !strings.Contains(l.Text, " server-digest ") {
			res.resumed++
		}
	}
	if res.handshakes == 0 {
		return fmt.Errorf("%s made no TLS connection", p.command)
	}
	return nil
}

// waitNoneRunning waits until the reload has ended every smtp and
// tlsproxy process of earlier rounds.
func (r *tpRunner) waitNoneRunning() error {
	exes := []string{filepath.Join(r.in.Libexec, "smtp")}
	for _, p := range r.all {
		exes = append(exes, p.exe)
	}
	var left []int
	return harness.WaitFor(stepTimeout, func() (bool, error) {
		left = nil
		for _, exe := range exes {
			pids, err := r.pidsOf(exe)
			if err != nil {
				return false, err
			}
			left = append(left, pids...)
		}
		return len(left) == 0, nil
	}, func() string { return fmt.Sprintf("smtp/tlsproxy processes still running after reload: %v", left) })
}
