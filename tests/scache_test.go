package tests

import (
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/postfix-go/postfix-go/tests/harness"
)

// Deadlines for waits. They only bound how long a broken run hangs;
// nothing asserts on timing.
const (
	deliverTimeout = 3 * time.Minute
	logTimeout     = 30 * time.Second
	procTimeout    = 30 * time.Second
)

// alwaysCache makes smtp(8) cache every connection to the sink. By
// default it caches only on demand (when mail for the destination is
// backlogged), so a handful of sequential messages might never start
// scache.
const alwaysCache = "$relayhost"

// TestStockBaseline runs every scache scenario against the stock scache
// only. It proves the harness and the scenarios themselves against the
// reference implementation ("go test ./tests/ -run Stock").
func TestStockBaseline(t *testing.T) {
	for _, sc := range []struct {
		name string
		body func(*testing.T, string)
	}{
		{"Delivers", testScacheDelivers},
		{"ReloadAndStop", testScacheReloadAndStop},
		{"ChrootPrivileges", testScacheChrootAndPrivileges},
	} {
		t.Run(sc.name, func(t *testing.T) {
			harness.Require(t)
			sc.body(t, stockScache.path(t))
		})
	}
}

// TestScacheDeliversThroughOurs pushes enough mail through smtp(8) that
// connections are cached and reused, and checks every message arrives
// exactly once and scache logs its statistics in the stock format.
func TestScacheDeliversThroughOurs(t *testing.T) { forEachScache(t, testScacheDelivers) }

// TestScacheReloadAndStop checks that "postfix reload" makes scache log
// statistics and exit cleanly, and "postfix stop" ends it silently.
func TestScacheReloadAndStop(t *testing.T) { forEachScache(t, testScacheReloadAndStop) }

// TestScacheChrootAndPrivileges checks that scache runs chrooted into
// the queue directory as mail_owner on every thread.
func TestScacheChrootAndPrivileges(t *testing.T) { forEachScache(t, testScacheChrootAndPrivileges) }

func testScacheDelivers(t *testing.T, bin string) {
	const messages = 520
	in := harness.New(t, scacheOptions(bin, harness.Options{
		// Dump statistics every 2s so that they appear during the run.
		MasterParams: []string{"scache/unix/connection_cache_status_update_time=2s"},
	}))
	sink := in.StartSink(t, harness.SinkOptions{Save: true})
	in.Inject(t, harness.InjectOptions{Messages: messages, Sessions: 8})
	if err := in.WaitQueueEmpty(deliverTimeout); err != nil {
		t.Fatal(err)
	}
	if q, err := in.Queue(); err != nil || len(q) != 0 {
		t.Fatalf("showq after the queue emptied: %d entries, err %v", len(q), err)
	}
	requireDaemon(t, in, "scache")
	deliveries := waitDeliveries(t, in, messages)

	maxUse, msgs := checkSentOnce(t, deliveries, sink, messages, "")
	if maxUse < 2 {
		t.Errorf("no delivery reused a cached connection (max conn_use=%d)", maxUse)
	}
	if c, err := sink.Counters(); err != nil || c.Messages != messages || len(msgs) != messages {
		t.Errorf("sink counted %+v (err %v) and dumped %d messages, want %d", c, err, len(msgs), messages)
	}

	// Statistics: wait for a complete dump, then check every dump.
	isMax := func(l harness.LogLine) bool { return l.Program == "scache" && statMaxRE.MatchString(l.Text) }
	if _, err := in.WaitLogSince(0, isMax, logTimeout); err != nil {
		t.Fatalf("no scache statistics: %v", err)
	}
	lines, err := in.LogLines()
	if err != nil {
		t.Fatal(err)
	}
	stats, err := parseScacheStats(lines)
	if err != nil {
		t.Fatal(err)
	}
	var hits int
	var sawDomain, sawAddr bool
	for _, s := range stats {
		hits += s.DomainHits + s.AddrHits
		sawDomain = sawDomain || s.HasDomain
		sawAddr = sawAddr || s.HasAddr
	}
	if len(stats) == 0 || !sawDomain || !sawAddr || hits == 0 {
		t.Errorf("statistics incomplete: %d dumps, domain line %v, address line %v, %d hits:\n%s",
			len(stats), sawDomain, sawAddr, hits, lines.Program("scache"))
	}
	checkNoScacheProblems(t, lines)
}

func testScacheReloadAndStop(t *testing.T, bin string) {
	in := harness.New(t, scacheOptions(bin, harness.Options{
		// Keep a cached connection alive across the reload: smtp asks
		// for smtp_connection_cache_time_limit, scache caps it at
		// connection_cache_ttl_limit; both default to 2s.
		MainCF: map[string]string{
			"smtp_connection_cache_time_limit":   "60s",
			"connection_cache_ttl_limit":         "60s",
			"smtp_connection_cache_destinations": alwaysCache,
		},
	}))
	sink := in.StartSink(t, harness.SinkOptions{})
	in.Inject(t, harness.InjectOptions{Messages: 10})
	if err := in.WaitQueueEmpty(deliverTimeout); err != nil {
		t.Fatal(err)
	}
	waitDeliveries(t, in, 10)
	old := requireDaemon(t, in, "scache")
	waitCachedConn(t, old, sink.Port)

	mark := in.LogMark()
	if err := in.Reload(); err != nil {
		t.Fatal(err)
	}
	if err := harness.WaitGone(old, procTimeout); err != nil {
		t.Fatalf("scache did not exit after reload: %v", err)
	}
	isStart := func(l harness.LogLine) bool {
		return l.Program == "scache" && l.PID == old && statStartRE.MatchString(l.Text)
	}
	if _, err := in.WaitLogSince(mark, isStart, logTimeout); err != nil {
		t.Errorf("scache[%d] logged no statistics on reload: %v", old, err)
	}

	// A new scache starts on demand. The deliveries also give master
	// time to log any complaint about the old one's exit.
	in.Inject(t, harness.InjectOptions{Messages: 10})
	if err := in.WaitQueueEmpty(deliverTimeout); err != nil {
		t.Fatal(err)
	}
	waitDeliveries(t, in, 20)
	fresh := requireDaemon(t, in, "scache")
	if fresh == old {
		t.Fatalf("scache pid %d survived the reload", old)
	}
	lines, err := in.LogLinesSince(mark)
	if err != nil {
		t.Fatal(err)
	}
	checkNoScacheProblems(t, lines)
	if _, err := parseScacheStats(lines); err != nil {
		t.Error(err)
	}

	// "postfix stop": scache goes away without logging, nothing is left.
	mark = in.LogMark()
	if err := in.Stop(); err != nil {
		t.Fatal(err)
	}
	if harness.Alive(fresh) {
		t.Errorf("scache %d still alive after stop", fresh)
	}
	lines, err = in.LogLinesSince(mark)
	if err != nil {
		t.Fatal(err)
	}
	if s := lines.Program("scache"); len(s) > 0 {
		t.Errorf("scache logged during stop:\n%s", s)
	}
	checkNoScacheProblems(t, lines)
}

func testScacheChrootAndPrivileges(t *testing.T, bin string) {
	in := harness.New(t, scacheOptions(bin, harness.Options{
		MainCF: map[string]string{"smtp_connection_cache_destinations": alwaysCache},
	}))
	in.StartSink(t, harness.SinkOptions{})
	in.Inject(t, harness.InjectOptions{Messages: 5})
	if err := in.WaitQueueEmpty(deliverTimeout); err != nil {
		t.Fatal(err)
	}
	pid := requireDaemon(t, in, "scache")
	st, err := harness.ProcStatus(pid)
	if err != nil {
		t.Fatal(err)
	}
	spool, err := filepath.EvalSymlinks(in.Spool)
	if err != nil {
		t.Fatal(err)
	}
	if st.Root != spool {
		t.Errorf("scache root is %q, want the queue directory %q", st.Root, spool)
	}
	if !isWithin(st.Cwd, spool) {
		t.Errorf("scache cwd %q is outside its chroot %q", st.Cwd, spool)
	}
	ids, err := harness.PostfixUser()
	if err != nil {
		t.Fatal(err)
	}
	wantUID := harness.Creds{Real: ids.UID, Effective: ids.UID, Saved: ids.UID, FS: ids.UID}
	wantGID := harness.Creds{Real: ids.GID, Effective: ids.GID, Saved: ids.GID, FS: ids.GID}
	for _, th := range st.Threads {
		if th.UID != wantUID || th.GID != wantGID {
			t.Errorf("thread %d: uid %+v gid %+v, want %+v %+v", th.TID, th.UID, th.GID, wantUID, wantGID)
		}
		if !slices.Equal(th.Groups, []int{ids.GID}) {
			t.Errorf("thread %d: supplementary groups %v, want [%d]", th.TID, th.Groups, ids.GID)
		}
	}
	t.Logf("scache pid %d: %d threads, %d fds, RssAnon %d kB, root %s", pid, len(st.Threads), st.FDs, st.RssAnonKB, st.Root)
}
