package bench

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/postfix-go/postfix-go/tests/harness"
)

const (
	defaultSMTPMessages = 3000
	defaultSMTPRounds   = 3
	smtpMessagesEnv     = "POSTFIX_GO_BENCH_SMTP_MESSAGES"
	smtpRoundsEnv       = "POSTFIX_GO_BENCH_SMTP_ROUNDS"
	warmupMessages      = 300
	// A small but not trivial body: per-message protocol work
	// dominates, as it does for most real mail.
	messageSize = 2048
	// Parallel smtp-source sessions for the (untimed) injection.
	injectSessions = 8
	// drainPoll bounds the error of the drain time; walking the
	// queue directories this often costs next to nothing.
	drainPoll    = 20 * time.Millisecond
	drainTimeout = 3 * time.Minute
	stepTimeout  = 60 * time.Second
)

// agent is one delivery agent under test, as a master.cf transport.
type agent struct {
	name    string // "stock" or "ours", for the report
	service string // master.cf service = transport name
	command string // master.cf command, relative to daemon_directory
	exe     string // absolute path of command in the instance
	results []smtpResult
}

var (
	stockSMTP = &agent{name: "stock", service: "stocksmtp", command: "stock/smtp"}
	ourSMTP   = &agent{name: "ours", service: "gosmtp", command: "go/smtp"}
)

// entry is the master.cf line, as the stock smtp entry (chroot y).
func (a *agent) entry() string {
	return a.service + "/unix=" + a.service + " unix - - y - - " + a.command
}

// params keep every process alive from its start to the end of the
// round: max_idle so that the CPU and memory of idle processes can
// still be read after the drain, max_use so that none retires after
// 100 deliveries (default) and takes its CPU time with it. Each round
// starts fresh processes anyway (see runner.round), so start-up cost
// is in the figures once per process.
func (a *agent) params() []string {
	return []string{
		a.service + "/unix/max_idle=3600s",
		a.service + "/unix/max_use=1000000",
	}
}

// smtpResult is what one round measured for one agent.
type smtpResult struct {
	messages  int
	wall      time.Duration // release to empty queue
	cpu       time.Duration // utime+stime, summed over the agent's processes
	sys       time.Duration // the stime part of cpu
	procs     int
	rssMedian int64 // KiB, median RssAnon over the agent's processes
	rssMax    int64 // KiB
	maxUse    int   // highest conn_use in the delivery lines
}

// runner holds what every round needs.
type runner struct {
	b    *testing.B
	in   *harness.Instance
	sink *harness.Sink
	all  []*agent
}

// round delivers n messages through a and measures. The reload makes
// every agent process of earlier rounds exit (master closes their
// status pipes), so each round starts with no process of either agent
// and its figures cover exactly the processes it started.
func (r *runner) round(a *agent, n int) (smtpResult, error) {
	res := smtpResult{messages: n}
	in := r.in
	if _, err := in.Postconf("-e", "default_transport="+a.service); err != nil {
		return res, err
	}
	if err := in.Reload(); err != nil {
		return res, err
	}
	if err := r.waitNoAgents(); err != nil {
		return res, err
	}
	in.Inject(r.b, harness.InjectOptions{Messages: n, Sessions: injectSessions, Size: messageSize, Reuse: true})
	if err := r.waitHeld(n); err != nil {
		return res, err
	}
	before, err := r.sink.Counters()
	if err != nil {
		return res, err
	}

	mark := in.LogMark()
	start := time.Now()
	if err := r.tool("postsuper", "-H", "ALL"); err != nil {
		return res, err
	}
	if err := r.tool("postqueue", "-f"); err != nil {
		return res, err
	}
	if err := waitDrained(in); err != nil {
		return res, err
	}
	res.wall = time.Since(start)

	// Read the processes first, while nothing else happens to them.
	pids, err := r.agentPIDs(a)
	if err != nil {
		return res, err
	}
	var rss []int64
	for _, pid := range pids {
		c, err := cpuTime(pid)
		if err != nil {
			return res, fmt.Errorf("%s pid %d: %w", a.name, pid, err)
		}
		st, err := sysTime(pid)
		if err != nil {
			return res, fmt.Errorf("%s pid %d: %w", a.name, pid, err)
		}
		kb, err := rssAnon(pid)
		if err != nil {
			return res, fmt.Errorf("%s pid %d: %w", a.name, pid, err)
		}
		res.cpu += c
		res.sys += st
		rss = append(rss, kb)
	}
	if len(rss) == 0 {
		return res, fmt.Errorf("no %s process alive after the drain", a.command)
	}
	slices.Sort(rss)
	res.procs, res.rssMedian, res.rssMax = len(rss), rss[len(rss)/2], rss[len(rss)-1]

	if res.maxUse, err = r.checkSent(a, mark, n, pids); err != nil {
		return res, err
	}
	return res, r.sink.WaitMessages(before.Messages+n, stepTimeout)
}

// checkSent insists that the round really went through a: n status=sent
// lines and nothing else, every one logged by a live process of a (so
// the CPU sum missed none). It returns the highest conn_use.
func (r *runner) checkSent(a *agent, mark harness.LogMark, n int, pids []int) (int, error) {
	isDelivery := func(l harness.LogLine) bool { _, ok := harness.ParseDelivery(l); return ok }
	lines, err := r.in.WaitLogCount(mark, isDelivery, n, stepTimeout)
	if err != nil {
		return 0, err
	}
	maxUse := 0
	for _, d := range lines.Deliveries() {
		if d.Status != "sent" {
			return 0, fmt.Errorf("not sent: %s", d.Line.Raw)
		}
		if !slices.Contains(pids, d.Line.PID) {
			return 0, fmt.Errorf("delivered by pid %d, not a live %s process %v: %s", d.Line.PID, a.command, pids, d.Line.Raw)
		}
		maxUse = max(maxUse, d.ConnUse)
	}
	if len(lines) != n {
		return 0, fmt.Errorf("%d delivery lines, want %d", len(lines), n)
	}
	return maxUse, nil
}

// agentPIDs lists the master's children that run a's binary.
func (r *runner) agentPIDs(a *agent) ([]int, error) {
	ps, err := r.in.Processes()
	if err != nil {
		return nil, err
	}
	master := r.in.MasterPID()
	var pids []int
	for _, p := range ps {
		if p.PPID == master && p.Exe == a.exe {
			pids = append(pids, p.PID)
		}
	}
	return pids, nil
}

// waitNoAgents waits until the reload has emptied both transports.
func (r *runner) waitNoAgents() error {
	var left []int
	return harness.WaitFor(stepTimeout, func() (bool, error) {
		left = nil
		for _, a := range r.all {
			pids, err := r.agentPIDs(a)
			if err != nil {
				return false, err
			}
			left = append(left, pids...)
		}
		return len(left) == 0, nil
	}, func() string { return fmt.Sprintf("agent processes still running after reload: %v", left) })
}

// waitHeld waits until all n injected messages sit in the hold queue
// and nothing else is queued.
func (r *runner) waitHeld(n int) error {
	var last map[string]int
	return harness.WaitFor(stepTimeout, func() (bool, error) {
		c, err := r.in.QueueCounts()
		last = c
		return err == nil && c["hold"] == n && c["incoming"]+c["active"]+c["deferred"]+c["maildrop"] == 0, err
	}, func() string { return fmt.Sprintf("want %d held: %v", n, last) })
}

// waitDrained polls more often than harness.WaitQueueEmpty (50 ms),
// since the poll interval is part of the measured drain time.
func waitDrained(in *harness.Instance) error {
	deadline := time.Now().Add(drainTimeout)
	for {
		c, err := in.QueueCounts()
		if err != nil {
			return err
		}
		total := 0
		for _, v := range c {
			total += v
		}
		if total == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("queue not drained after %v: %v", drainTimeout, c)
		}
		time.Sleep(drainPoll)
	}
}

// tool runs a Postfix command against the instance. The harness's own
// runner is unexported; this one is the same minus its care for
// "postfix reload" leftovers, which postsuper and postqueue don't have.
func (r *runner) tool(name string, args ...string) error {
	ctx, cancel := context.WithTimeout(context.Background(), stepTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, append([]string{"-c", r.in.ConfigDir}, args...)...)
	cmd.Env = append(os.Environ(), "MAIL_CONFIG="+r.in.ConfigDir)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s %s: %v: %s", name, strings.Join(args, " "), err, out)
	}
	return nil
}

// sysTime is the stime of pid. Kernel work dominates a delivery agent
// (sockets, queue file, IPC with qmgr and scache), so the user/system
// split tells runtime overhead from syscall count. cpuTime (shared with
// the scache benchmark) returns only the sum.
func sysTime(pid int) (time.Duration, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, err
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, fmt.Errorf("pid %d: bad stat line", pid)
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0, fmt.Errorf("pid %d: short stat line", pid)
	}
	stime, err := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(stime) * clockTick, err
}
