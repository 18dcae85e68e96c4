package bench

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/postfix-go/postfix-go/tests/harness"
)

// BenchmarkTLSProxy (about two minutes on an idle 2-core machine)
// compares our tlsproxy(8) with the stock one. Both are services of the
// same master(8) in one private instance ("stocktlsproxy", command
// stock/tlsproxy, and "gotlsproxy", command go/tlsproxy), with the same
// main.cf, so the only difference between the A and B rounds is the
// tlsproxy binary. Rounds alternate strictly, stock first, after one
// uncounted warm-up round each. Three workloads:
//
//  1. Server role, handshakes per second. The benchmark itself plays
//     postscreen(8): it connects to private/<service>, reads the
//     announcement, sends postscreen's request (flags ROLE_SERVER,
//     serverid smtpd), reads the status, passes one end of a fresh
//     loopback TCP connection with SCM_RIGHTS and then plays the remote
//     SMTP client on the other end with crypto/tls: full handshake (no
//     session resumption, as for a first-time client), one line each
//     way through the proxy, close. A few workers do this
//     concurrently. This is exactly what tlsproxy sees from postscreen,
//     without postscreen's own costs (greet wait, its SMTP engine, the
//     cache that sends a client that passed once to smtpd instead),
//     which would otherwise dominate and blur the comparison.
//  2. Server role, relayed throughput: one established session per
//     round, POSTFIX_GO_BENCH_TLS_MIB MiB pushed from the TLS client to the plaintext
//     side (decrypt direction, "up") and then back (encrypt, "down").
//  3. Client role, delivery: the STOCK smtp(8) with
//     smtp_tls_connection_reuse=yes at level encrypt delivers held
//     messages to a second instance's stock smtpd (STARTTLS, discard
//     transport). Two transports differ only in tlsproxy_service_name,
//     so the same stock smtp, qmgr, scache and receiver serve both,
//     and the bench measures tlsproxy alone (our smtp may be in flux).
//
// Per round the CPU (utime+stime) of the service's tlsproxy processes
// and their RssAnon are read from /proc. Under concurrent load master
// runs more than one process per service (for both binaries), so CPU
// is summed over all of them and RssAnon is the largest. Both services run with
// max_use raised and max_idle 3600 s, so that no process retires in the
// middle of a round and takes its CPU time with it.
//
// Environment: POSTFIX_GO_BENCH_TLS_HANDSHAKES (per round, default
// 1000), POSTFIX_GO_BENCH_TLS_CLIENTS (concurrent handshake clients,
// default 4), POSTFIX_GO_BENCH_TLS_MIB (MiB per direction per round,
// default 64), POSTFIX_GO_BENCH_TLS_MESSAGES (per delivery round,
// default 1000), POSTFIX_GO_BENCH_TLS_ROUNDS (counted rounds per
// tlsproxy and workload, default 3) and POSTFIX_GO_BENCH_DAEMON_ENV.
func BenchmarkTLSProxy(b *testing.B) {
	harness.Require(b)
	cfg := tpConfig{
		handshakes: envInt(b, "POSTFIX_GO_BENCH_TLS_HANDSHAKES", 1000),
		clients:    envInt(b, "POSTFIX_GO_BENCH_TLS_CLIENTS", 4),
		mib:        envInt(b, "POSTFIX_GO_BENCH_TLS_MIB", 64),
		messages:   envInt(b, "POSTFIX_GO_BENCH_TLS_MESSAGES", 1000),
		rounds:     envInt(b, "POSTFIX_GO_BENCH_TLS_ROUNDS", 3),
	}

	// The receiving instance: stock smtpd with STARTTLS, every message
	// discarded once queued. Its certificate also serves tlsproxy's
	// server role in the sending instance.
	recv := harness.New(b, harness.Options{NoStart: true, MainCF: map[string]string{
		"smtpd_tls_security_level": "may",
		"default_transport":        "discard",
		"relay_transport":          "discard",
	}})
	certs := harness.MakeTestCerts(b, recv.Dir, tpServerName)
	if _, err := recv.Postconf("-e", "smtpd_tls_cert_file="+certs.CertFile, "smtpd_tls_key_file="+certs.KeyFile); err != nil {
		b.Fatal(err)
	}
	if err := recv.Start(); err != nil {
		b.Fatal(err)
	}

	stock := &tlsProxy{name: "stock", service: "stocktlsproxy", command: "stock/tlsproxy", transport: "viastocktlsproxy"}
	ours := &tlsProxy{name: "ours", service: "gotlsproxy", command: "go/tlsproxy", transport: "viagotlsproxy"}
	all := []*tlsProxy{stock, ours}

	mainCF := map[string]string{
		"disable_dns_lookups":       "yes",
		"smtpd_client_restrictions": "check_client_access static:HOLD",
		"relayhost":                 fmt.Sprintf("[127.0.0.1]:%d", recv.SMTPDPort),
		"default_transport":         stock.transport,
		// Client role, used by the stock smtp through tlsproxy.
		"smtp_tls_security_level":   "encrypt",
		"smtp_tls_connection_reuse": "yes",
		"smtp_tls_CAfile":           certs.CAFile,
		"smtp_tls_loglevel":         "1",
		// Server role, set on tlsproxy alone: this instance's smtpd
		// (the injection target) stays without TLS.
		"tlsproxy_tls_security_level": "may",
		"tlsproxy_tls_cert_file":      certs.CertFile,
		"tlsproxy_tls_key_file":       certs.KeyFile,
		"tlsproxy_tls_loglevel":       "1",
	}
	for k, v := range daemonEnv(b) {
		mainCF[k] = v
	}
	var entries, params []string
	for _, p := range all {
		entries = append(entries,
			p.service+"/unix="+p.service+" unix - - y - 0 "+p.command,
			p.transport+"/unix="+p.transport+" unix - - y - - smtp")
		params = append(params,
			p.service+"/unix/max_idle=3600s",
			p.service+"/unix/max_use=1000000",
			p.transport+"/unix/tlsproxy_service_name="+p.service)
	}
	in := harness.New(b, harness.Options{NoStart: true, MainCF: mainCF, MasterEntries: entries, MasterParams: params})
	stock.exe = filepath.Join(in.Libexec, stock.command)
	ours.exe = filepath.Join(in.Libexec, ours.command)
	if err := install(filepath.Join(harness.StockDaemonDir, "tlsproxy"), stock.exe); err != nil {
		b.Fatal(err)
	}
	if err := install(harness.Daemon(b, "tlsproxy"), ours.exe); err != nil {
		b.Fatal(err)
	}
	if err := in.Start(); err != nil {
		b.Fatal(err)
	}
	for _, p := range all {
		p.sock = filepath.Join(in.Spool, "private", p.service)
		p.results = map[string][]tpResult{}
	}
	r := &tpRunner{b: b, in: in, recv: recv, certs: certs, cfg: cfg, all: all}
	began := time.Now()

	// 1 and 2: server role, against long-lived processes (one per
	// service, started by the first request).
	one := func(phase string, f func(*tlsProxy) (tpResult, error)) func(*tlsProxy) (map[string]tpResult, error) {
		return func(p *tlsProxy) (map[string]tpResult, error) {
			res, err := f(p)
			return map[string]tpResult{phase: res}, err
		}
	}
	phases := []struct {
		name      string
		run, warm func(*tlsProxy) (map[string]tpResult, error)
	}{
		{phaseHandshake,
			one(phaseHandshake, func(p *tlsProxy) (tpResult, error) { return r.handshakeRound(p, cfg.handshakes) }),
			one(phaseHandshake, func(p *tlsProxy) (tpResult, error) { return r.handshakeRound(p, max(cfg.handshakes/5, 50)) })},
		{phaseThroughput,
			func(p *tlsProxy) (map[string]tpResult, error) { return r.throughputRound(p, cfg.mib) },
			func(p *tlsProxy) (map[string]tpResult, error) { return r.throughputRound(p, max(cfg.mib/8, 1)) }},
		{phaseDelivery,
			one(phaseDelivery, func(p *tlsProxy) (tpResult, error) { return r.deliveryRound(p, cfg.messages) }),
			one(phaseDelivery, func(p *tlsProxy) (tpResult, error) { return r.deliveryRound(p, max(cfg.messages/5, 50)) })},
	}
	for _, ph := range phases {
		for _, p := range all {
			if _, err := ph.warm(p); err != nil {
				b.Fatalf("%s warm-up, %s: %v", ph.name, p.name, err)
			}
		}
		for i := range cfg.rounds {
			for _, p := range all {
				res, err := ph.run(p)
				if err != nil {
					b.Fatalf("%s round %d, %s: %v", ph.name, i+1, p.name, err)
				}
				for k, v := range res {
					p.results[k] = append(p.results[k], v)
				}
			}
		}
	}
	reportTLSProxy(b, cfg, stock, ours, time.Since(began))
	logTLSProxyProblems(b, in, all)
}

const (
	tpServerName    = "mx.test.example"
	phaseHandshake  = "handshake"
	phaseThroughput = "throughput"
	phaseUp         = "relay up"
	phaseDown       = "relay down"
	phaseDelivery   = "delivery"
)

type tpConfig struct {
	handshakes, clients, mib, messages, rounds int
}

// tlsProxy is one tlsproxy under test and the smtp transport that uses
// it in the delivery workload.
type tlsProxy struct {
	name      string // "stock" or "ours", for the report
	service   string // master.cf service = socket name under private/
	command   string // master.cf command, relative to daemon_directory
	transport string // smtp transport with tlsproxy_service_name=service
	exe       string // absolute path of command in the instance
	sock      string // private/service
	results   map[string][]tpResult
	tlsInfo   string // negotiated protocol, cipher and group, once
}

// tpResult is one round of one workload.
type tpResult struct {
	units      float64       // handshakes, MiB or messages
	wall       time.Duration // the timed part
	cpu        time.Duration // tlsproxy utime+stime during it, all processes of the service
	procs      int           // tlsproxy processes alive at the end
	rssMax     int64         // KiB, highest RssAnon of those
	handshakes int           // delivery: TLS connections tlsproxy made (CONNECT lines)
	resumed    int           // delivery: of those, logged without server-digest (resumed sessions)
	maxUse     int           // delivery: highest conn_use
}

// tpRunner holds what every round needs.
type tpRunner struct {
	b     *testing.B
	in    *harness.Instance // sending instance with both tlsproxy services
	recv  *harness.Instance // receiving smtpd for the delivery workload
	certs harness.TestCerts
	cfg   tpConfig
	all   []*tlsProxy
}

// procSample is the CPU time of each process of one service.
type procSample map[int]time.Duration

// sample reads the CPU time of every tlsproxy process of p (children of
// the master running p's binary).
func (r *tpRunner) sample(p *tlsProxy) (procSample, error) {
	pids, err := r.pidsOf(p.exe)
	if err != nil {
		return nil, err
	}
	s := procSample{}
	for _, pid := range pids {
		c, err := cpuTime(pid)
		if err != nil {
			return nil, fmt.Errorf("%s pid %d: %w", p.name, pid, err)
		}
		s[pid] = c
	}
	return s, nil
}

// measure fills cpu (the growth since before; processes started since
// count from zero), procs and rssMax. A process that exited since
// before took its CPU time with it; that is an error, since the figure
// would be too low.
func (r *tpRunner) measure(p *tlsProxy, before procSample, res *tpResult) error {
	after, err := r.sample(p)
	if err != nil {
		return err
	}
	for pid := range before {
		if _, ok := after[pid]; !ok {
			return fmt.Errorf("%s: tlsproxy pid %d exited during the round", p.name, pid)
		}
	}
	if len(after) == 0 {
		return fmt.Errorf("no %s process alive after the round", p.command)
	}
	res.cpu, res.procs, res.rssMax = 0, len(after), 0
	for pid, c := range after {
		res.cpu += c - before[pid]
		kb, err := rssAnon(pid)
		if err != nil {
			return fmt.Errorf("%s pid %d: %w", p.name, pid, err)
		}
		res.rssMax = max(res.rssMax, kb)
	}
	return nil
}

// pidsOf lists the master's children that run exe.
func (r *tpRunner) pidsOf(exe string) ([]int, error) {
	ps, err := r.in.Processes()
	if err != nil {
		return nil, err
	}
	master := r.in.MasterPID()
	var pids []int
	for _, p := range ps {
		if p.PPID == master && p.Exe == exe {
			pids = append(pids, p.PID)
		}
	}
	slices.Sort(pids)
	return pids, nil
}

// logTLSProxyProblems shows warnings of tlsproxy, smtp and master, and
// counts of notable tlsproxy lines per binary.
func logTLSProxyProblems(b *testing.B, in *harness.Instance, all []*tlsProxy) {
	ls, err := in.LogLines()
	if err != nil {
		b.Logf("read maillog: %v", err)
		return
	}
	p := ls.Filter(func(l harness.LogLine) bool {
		return l.Program == "tlsproxy" || l.Program == "smtp" || l.Program == "master"
	}).Problems()
	if len(p) > 40 {
		b.Logf("%d warnings during the tlsproxy benchmark, the last 40:", len(p))
		p = p[len(p)-40:]
	}
	if len(p) > 0 {
		b.Logf("warnings during the tlsproxy benchmark:\n%s", p)
	}
	var notes []string
	for _, re := range []string{`SSL_accept error`, `TLS handshake failed`, `SSL_connect error`, `timeout`, `lost connection`} {
		if n := len(ls.Program("tlsproxy").Match(re)); n > 0 {
			notes = append(notes, fmt.Sprintf("%d %q", n, re))
		}
	}
	if len(notes) > 0 {
		b.Logf("tlsproxy log lines of note: %s", strings.Join(notes, ", "))
	}
}
