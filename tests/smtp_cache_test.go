package tests

import (
	"strconv"
	"testing"

	"github.com/postfix-go/postfix-go/tests/harness"
)

// TestSMTPConnectionCache runs OUR smtp(8) with connection caching
// against the stock scache and against ours: 300 messages in several
// sessions, every one sent exactly once, connections reused (conn_use=2
// or more in our smtp's log), scache reporting hits, and the sockets
// parked in scache in blocking mode, as stock smtp processes expect.
func TestSMTPConnectionCache(t *testing.T) {
	for _, b := range []scacheBinary{stockScache, ourScache} {
		t.Run(b.name, func(t *testing.T) {
			harness.Require(t)
			testSMTPConnectionCache(t, b.path(t))
		})
	}
}

func testSMTPConnectionCache(t *testing.T, scacheBin string) {
	const messages = 300
	in := harness.New(t, harness.Options{
		Replace: map[string]string{
			"smtp":   harness.Daemon(t, "smtp"),
			"scache": scacheBin,
		},
		MainCF: map[string]string{
			// The bare domain of relayhost = [127.0.0.1]:port: stock
			// matches the next-hop without [] and :port.
			"smtp_connection_cache_destinations": "127.0.0.1",
			// Keep the last connections parked after the queue empties
			// so that their descriptors can be inspected.
			"smtp_connection_cache_time_limit": "60s",
			"connection_cache_ttl_limit":       "60s",
		},
		MasterParams: []string{"scache/unix/connection_cache_status_update_time=2s"},
	})
	sink := in.StartSink(t, harness.SinkOptions{Save: true})
	in.Inject(t, harness.InjectOptions{Messages: messages, Sessions: 6})
	if err := in.WaitQueueEmpty(deliverTimeout); err != nil {
		t.Fatal(err)
	}
	checkOurSMTP(t, in)
	deliveries := waitDeliveries(t, in, messages)
	maxUse, _ := checkSentOnce(t, deliveries, sink, messages, "smtp")
	if maxUse < 2 {
		t.Errorf("our smtp never reused a cached connection (max conn_use=%d)", maxUse)
	}

	// The parked sockets are blocking (no O_NONBLOCK, 04000).
	pid := requireDaemon(t, in, "scache")
	waitCachedConn(t, pid, sink.Port)
	conns, err := harness.TCPConns(pid)
	if err != nil {
		t.Fatal(err)
	}
	byInode := map[string]int{}
	for fd, ino := range socketInodes(t, pid) {
		byInode[ino] = fd
	}
	checked := 0
	for _, c := range conns {
		if !c.Established() || int(c.Remote.Port()) != sink.Port {
			continue
		}
		fd, ok := byInode[strconv.FormatUint(c.Inode, 10)]
		if !ok {
			continue
		}
		flags, err := fdFlags(pid, fd)
		if err != nil {
			continue // expired meanwhile
		}
		checked++
		if flags&0o4000 != 0 {
			t.Errorf("scache[%d] fd %d (cached SMTP socket) has flags %o: O_NONBLOCK set", pid, fd, flags)
		}
	}
	if checked == 0 {
		t.Errorf("found no cached SMTP socket in scache[%d]", pid)
	}

	// Statistics with hits.
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
	hits := 0
	for _, s := range stats {
		hits += s.DomainHits + s.AddrHits
	}
	if hits == 0 {
		t.Errorf("scache statistics show no hits:\n%s", lines.Program("scache"))
	}
	t.Logf("max conn_use=%d, %d cached sockets checked, %d scache hits in %d dumps", maxUse, checked, hits, len(stats))
	checkNoScacheProblems(t, lines)
	checkNoSMTPProblems(t, in)
}
