package bench

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/postfix-go/postfix-go/tests/harness"
)

// BenchmarkSMTP (about three minutes on an idle 2-core machine) compares our smtp(8) with the stock
// one: both are transports of the same master(8) in one private
// instance, and each round drains the same number of held messages
// through one of them to smtp-sink on loopback.
//
// One instance with two transports rather than two instances: both
// agents then share the very same qmgr, trivial-rewrite, scache, sink,
// queue directory and master, so the only thing that differs between
// the A and B rounds is the delivery agent. The transports are
// "stocksmtp" (command stock/smtp) and "gosmtp" (command go/smtp):
// stock smtp picks SMTP or LMTP from the base name of argv[0], which
// master(8) sets to the command field, and master only runs commands
// relative to daemon_directory, so each binary gets a subdirectory of
// its own under the name "smtp".
//
// Environment: POSTFIX_GO_BENCH_SMTP_MESSAGES (messages per round,
// default 3000), POSTFIX_GO_BENCH_SMTP_ROUNDS (counted rounds per
// agent, default 3) and POSTFIX_GO_BENCH_DAEMON_ENV (see doc.go).
func BenchmarkSMTP(b *testing.B) {
	harness.Require(b)
	n := envInt(b, smtpMessagesEnv, defaultSMTPMessages)
	rounds := envInt(b, smtpRoundsEnv, defaultSMTPRounds)

	mainCF := map[string]string{
		// Never ask the system resolver anything: the next-hop is a
		// literal [127.0.0.1]:port anyway (harness relayhost).
		"disable_dns_lookups": "yes",
		// Every injected message waits in the hold queue until the
		// round releases it, so that the drain starts from a full
		// queue rather than racing the injection.
		"smtpd_client_restrictions": "check_client_access static:HOLD",
	}
	for k, v := range daemonEnv(b) {
		mainCF[k] = v
	}
	in := harness.New(b, harness.Options{
		NoStart:       true,
		MainCF:        mainCF,
		MasterEntries: []string{stockSMTP.entry(), ourSMTP.entry()},
		MasterParams:  append(stockSMTP.params(), ourSMTP.params()...),
	})
	stock, ours := *stockSMTP, *ourSMTP // copies: results are per run
	stock.exe = filepath.Join(in.Libexec, stock.command)
	ours.exe = filepath.Join(in.Libexec, ours.command)
	if err := install(filepath.Join(harness.StockDaemonDir, "smtp"), stock.exe); err != nil {
		b.Fatal(err)
	}
	if err := install(harness.Daemon(b, "smtp"), ours.exe); err != nil {
		b.Fatal(err)
	}
	if err := in.Start(); err != nil {
		b.Fatal(err)
	}
	sink := in.StartSink(b, harness.SinkOptions{})
	r := &runner{b: b, in: in, sink: sink, all: []*agent{&stock, &ours}}

	// Warm-up rounds, not counted: page cache for both binaries, the
	// first fork of every service, smtpd and cleanup processes.
	for _, a := range r.all {
		if _, err := r.round(a, warmupMessages); err != nil {
			b.Fatalf("warm-up %s: %v", a.name, err)
		}
	}
	// Strict alternation, stock first (ABAB...): every round starts
	// fresh processes (see runner.round), so a round inherits nothing
	// from the one before, and drift over the run (other load on the
	// machine) hits both agents alike.
	for i := range rounds {
		for _, a := range r.all {
			res, err := r.round(a, n)
			if err != nil {
				b.Fatalf("round %d, %s: %v", i+1, a.name, err)
			}
			a.results = append(a.results, res)
		}
	}
	reportSMTP(b, n, &stock, &ours)
	logSMTPProblems(b, in)
}

// install puts a daemon binary at dst, creating its subdirectory. A
// copy rather than a link: a rebuild of ours while the benchmark runs
// must not change what runs, and /usr may be another file system.
func install(src, dst string) error {
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o755)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return fmt.Errorf("copy %s: %w", src, err)
	}
	if err := out.Close(); err != nil {
		return err
	}
	return os.Chmod(dst, 0o755) // OpenFile's mode went through the umask
}

// logSMTPProblems shows warnings of the agents and master complaints:
// a round in which an agent complained may have measured something
// else than plain delivery.
func logSMTPProblems(b *testing.B, in *harness.Instance) {
	ls, err := in.LogLines()
	if err != nil {
		b.Logf("read maillog: %v", err)
		return
	}
	p := ls.Filter(func(l harness.LogLine) bool {
		return l.Program == "smtp" || l.Program == "qmgr" || l.Program == "master"
	}).Problems()
	if len(p) > 0 {
		b.Logf("warnings during the smtp benchmark:\n%s", p)
	}
}
