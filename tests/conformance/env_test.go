package conformance

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/postfix-go/postfix-go/tests/harness"
)

// Bounds for waits. They only limit how long a broken run hangs; nothing
// asserts on them.
const (
	ioTimeout   = 5 * time.Second  // one read or write on a client socket
	procTimeout = 15 * time.Second // a daemon to appear
	logTimeout  = 10 * time.Second // warnings to reach the maillog
	// expiryLimit bounds the wait for a cached descriptor to be closed:
	// far below the requested ttl of 100 s, far above the 2 s cap.
	expiryLimit = 10 * time.Second
)

// server is one of the two scache implementations in the instance.
type server struct {
	label   string // "stock" or "ours", for messages
	service string // master.cf service name; also its maillog program name
	sock    string // $queue_directory/private/<service>
}

// env is the shared instance with both servers running.
type env struct {
	in      *harness.Instance
	servers []server // stock first, then ours
	pids    map[string]int
	keepers []*conn // one idle client per server, so max_idle never ends one
	// barriers hold the log barrier connections (see warnings) open
	// until the end of the test.
	barriers map[string]*session
}

// ours reports whether srv is our implementation.
func (s server) ours() bool { return s.label == "ours" }

// newEnv starts the instance. Our binary is installed as "goscache" in
// the instance's daemon_directory and gets its own master.cf entry with
// exactly the stock scache's fields (chroot y, unprivileged, process
// limit 1, so master passes -l -u -c); connection_cache_ttl_limit is set
// explicitly on both so the ttl scenarios do not depend on defaults.
func newEnv(t *testing.T) *env {
	harness.Require(t)
	ours := harness.Daemon(t, "scache")
	in := harness.New(t, harness.Options{
		Replace:       map[string]string{"goscache": ours},
		MasterEntries: []string{"goscache/unix=goscache unix - - y - 1 goscache"},
		MasterParams: []string{
			"scache/unix/connection_cache_ttl_limit=2s",
			"goscache/unix/connection_cache_ttl_limit=2s",
		},
	})
	e := &env{in: in, pids: map[string]int{}, barriers: map[string]*session{}}
	for _, s := range []server{{label: "stock", service: "scache"}, {label: "ours", service: "goscache"}} {
		s.sock = filepath.Join(in.Spool, "private", s.service)
		e.servers = append(e.servers, s)
	}
	// master starts the servers on the first connection; the keepers
	// trigger that and stay connected for the whole test.
	for _, s := range e.servers {
		k := newSession(t, s, "keeper")
		c, err := k.tryDial()
		if err != nil {
			t.Fatalf("%s: %v", s.label, err)
		}
		e.keepers = append(e.keepers, c)
		e.pids[s.service] = daemonPID(t, in, s.service)
	}
	t.Cleanup(func() {
		for _, c := range e.keepers {
			c.uc.Close()
		}
		for _, s := range e.barriers {
			s.release()
		}
	})
	return e
}

// daemonPID waits for the one process running service and checks it is
// the binary installed under that name, chrooted into the queue
// directory, so a test can never pass against the wrong daemon.
// (tests/scache_test.go has a similar requireDaemon, but in package
// tests; the harness has no exported equivalent.)
func daemonPID(t *testing.T, in *harness.Instance, service string) int {
	t.Helper()
	pids, err := in.WaitPIDs(service, procTimeout)
	if err != nil {
		t.Fatal(err)
	}
	if len(pids) != 1 {
		t.Fatalf("%d %s processes (%v), want 1", len(pids), service, pids)
	}
	pid := pids[0]
	exe, err := os.Stat(fmt.Sprintf("/proc/%d/exe", pid))
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.Stat(in.DaemonPath(service))
	if err != nil {
		t.Fatal(err)
	}
	if !os.SameFile(exe, want) {
		t.Fatalf("%s pid %d does not run %s", service, pid, in.DaemonPath(service))
	}
	p, err := harness.ReadProc(pid)
	if err != nil {
		t.Fatal(err)
	}
	if p.Root != in.Spool {
		t.Fatalf("%s pid %d is chrooted to %q, want %q", service, pid, p.Root, in.Spool)
	}
	t.Logf("%s: %s", service, p)
	return pid
}

// checkSurvivors asserts that both servers are still the processes the
// test started with: a crash would make master start a new one silently.
func (e *env) checkSurvivors(t *testing.T) {
	t.Helper()
	for _, s := range e.servers {
		pids, err := e.in.PIDs(s.service)
		if err != nil {
			t.Fatal(err)
		}
		if want := e.pids[s.service]; len(pids) != 1 || pids[0] != want {
			t.Errorf("%s: %s processes now %v, want the original pid %d", s.label, s.service, pids, want)
		}
	}
	lines, err := e.in.LogLines()
	if err != nil {
		t.Fatal(err)
	}
	bad := lines.Program("master").Match(`(exit status|killed by signal|throttling)`)
	if len(bad) > 0 {
		t.Errorf("master complained about a daemon:\n%s", bad)
	}
	for _, s := range e.servers {
		if p := lines.Program(s.service).Filter(func(l harness.LogLine) bool {
			sev := l.Severity()
			return sev != "" && sev != "warning"
		}); len(p) > 0 {
			t.Errorf("%s logged errors:\n%s", s.label, p)
		}
	}
}
