package bench

import (
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/postfix-go/postfix-go/tests/harness"
)

// Defaults keep the whole benchmark well under three minutes on a
// 2-core machine; override with the environment variables below.
const (
	defaultPairs  = 20000 // save+find pairs per server per round
	defaultRounds = 6     // counted rounds per server
	warmupPairs   = 2000  // per server, not counted: page faults, first GC
	cachedConns   = 1000  // sessions held for the memory figure
	pairsEnv      = "POSTFIX_GO_BENCH_PAIRS"
	roundsEnv     = "POSTFIX_GO_BENCH_ROUNDS"
	daemonEnvEnv  = "POSTFIX_GO_BENCH_DAEMON_ENV"
	ourService    = "goscache"
	stockService  = "scache"
	ttlLimitParam = "connection_cache_ttl_limit=3600s"
)

// BenchmarkScache compares our scache with the stock one, both running
// at the same time under the same master(8) of one private instance:
// stock as service "scache", ours as service "goscache". Each call
// measures once, whatever b.N is; run it with -benchtime 1x (with Nx,
// N > 1, the framework calls it a second time). -count repeats the
// whole comparison for benchstat.
//
// Rounds alternate between the servers, and which one goes first flips
// every round (stock-ours, ours-stock, ...), so that machine noise and
// any drift over the run hit both alike.
func BenchmarkScache(b *testing.B) {
	harness.Require(b)
	pairs, rounds := envInt(b, pairsEnv, defaultPairs), envInt(b, roundsEnv, defaultRounds)
	in := harness.New(b, harness.Options{
		MainCF:  daemonEnv(b),
		Replace: map[string]string{ourService: harness.Daemon(b, "scache")},
		MasterEntries: []string{
			ourService + "/unix=" + ourService + " unix - - y - 1 " + ourService,
		},
		MasterParams: []string{
			stockService + "/unix/" + ttlLimitParam,
			ourService + "/unix/" + ttlLimitParam,
		},
	})
	stock := &target{name: "stock", service: stockService}
	ours := &target{name: "ours", service: ourService}
	both := []*target{stock, ours}
	warn := func(s string) { b.Logf("client: %s", s) }
	for _, s := range both {
		if err := s.connect(in, warn); err != nil {
			b.Fatal(err)
		}
		defer s.conn.Close()
	}

	// One socketpair end goes into every timed save: a real socket
	// descriptor, as smtp passes, without timing socket creation.
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		b.Fatal(err)
	}
	defer unix.Close(fds[0])
	defer unix.Close(fds[1])

	for _, s := range both {
		if err := s.round(warmupPairs, fds[0], false); err != nil {
			b.Fatal(err)
		}
		if s.rssWarm, err = rssAnon(s.pid); err != nil {
			b.Fatal(err)
		}
	}
	for r := range rounds {
		order := both
		if r%2 == 1 {
			order = []*target{ours, stock}
		}
		for _, s := range order {
			if err := s.round(pairs, fds[0], true); err != nil {
				b.Fatal(err)
			}
		}
	}

	// Memory last, so it shows a server that has been working for a
	// while, not a freshly started one.
	for _, s := range both {
		if s.rssIdle, err = rssAnon(s.pid); err != nil {
			b.Fatal(err)
		}
		if err := s.fill(cachedConns); err != nil {
			b.Fatal(err)
		}
		if s.rssFull, err = rssAnon(s.pid); err != nil {
			b.Fatal(err)
		}
	}
	for _, s := range both {
		if err := s.drain(cachedConns); err != nil {
			b.Fatal(err)
		}
	}

	report(b, pairs, rounds, stock, ours)
	logProblems(b, in)
}

// envInt reads a positive integer override.
func envInt(b *testing.B, name string, def int) int {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		b.Fatalf("%s=%q: want a positive integer", name, v)
	}
	return n
}

// daemonEnv passes extra environment settings (e.g. "GOMAXPROCS=1
// GODEBUG=gctrace=1") to the daemons, for trying runtime tuning without
// rebuilding. master(8) hands its children only what import_environment
// lists, so they are appended there; the stock scache ignores them.
func daemonEnv(b *testing.B) map[string]string {
	extra := strings.Fields(os.Getenv(daemonEnvEnv))
	if len(extra) == 0 {
		return nil
	}
	def, err := exec.Command("postconf", "-dh", "import_environment").Output()
	if err != nil {
		b.Fatalf("postconf -dh import_environment: %v", err)
	}
	b.Logf("%s: daemons also get %s", daemonEnvEnv, strings.Join(extra, " "))
	return map[string]string{"import_environment": strings.TrimSpace(string(def)) + " " + strings.Join(extra, " ")}
}

// logProblems shows warnings either server logged: a server that
// complained during the run may have measured something else than the
// plain protocol path.
func logProblems(b *testing.B, in *harness.Instance) {
	ls, err := in.LogLines()
	if err != nil {
		b.Logf("read maillog: %v", err)
		return
	}
	p := ls.Filter(func(l harness.LogLine) bool {
		return l.Program == stockService || l.Program == ourService
	}).Problems()
	if len(p) > 0 {
		b.Logf("scache warnings during the benchmark:\n%s", p)
	}
}
