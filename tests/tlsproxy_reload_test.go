package tests

import (
	"crypto/tls"
	"strings"
	"testing"

	"github.com/postfix-go/postfix-go/tests/harness"
)

// TestTLSProxyReloadDrains: on "postfix reload" our tlsproxy stops
// accepting, finishes the session in progress with the old process, and
// exits when it ends, as stock does; new sessions go to a new process.
func TestTLSProxyReloadDrains(t *testing.T) {
	in, certs := newPostscreenTLS(t, false)
	p := dialTLSProxy(t, in)
	pid := requireDaemon(t, in, "tlsproxy")
	if st := p.serverRequest(1, 2001); st != "status\x001\x00\x00" {
		t.Fatalf("status %q", st)
	}
	tc := tls.Client(p.passPeer(), &tls.Config{RootCAs: certs.Pool, ServerName: "mx.test.example"})
	if err := tc.Handshake(); err != nil {
		t.Fatal(err)
	}
	if err := in.Reload(); err != nil {
		t.Fatal(err)
	}
	// The old process keeps its session (old configuration) ...
	if _, err := in.WaitLog(`master\[\d+\]: reload`, logTimeout); err != nil {
		t.Fatal(err)
	}
	tc.Write([]byte("NOOP\r\n"))
	if line, _ := p.r.ReadString('\n'); line != "NOOP\r\n" {
		t.Errorf("relayed after reload: %q", line)
	}
	if !harness.Alive(pid) {
		t.Fatalf("old tlsproxy %d exited with a session in progress", pid)
	}
	// ... and leaves when it ends.
	p.u.Close()
	tc.Close()
	if err := harness.WaitGone(pid, procTimeout); err != nil {
		t.Errorf("old tlsproxy did not exit after its last session: %v", err)
	}
	// A new process (new configuration) serves new sessions. Note:
	// master starts it only once the old process has exited, because
	// it still counts the draining process as available (stock forks
	// and lets the parent exit; see the report).
	q := dialTLSProxy(t, in)
	if st := q.serverRequest(1, 2002); st != "status\x001\x00\x00" {
		t.Fatalf("status after reload %q", st)
	}
	q.u.Close()
	if pids, _ := in.WaitPIDs("tlsproxy", procTimeout); len(pids) != 1 || pids[0] == pid {
		t.Errorf("tlsproxy after reload: %v (old %d)", pids, pid)
	}
	lines, _ := in.LogLines()
	// q hung up after its status: that warning is expected.
	noFD := func(l harness.LogLine) bool {
		return !strings.Contains(l.Text, "receive remote SMTP peer file descriptor")
	}
	if bad := lines.Program("tlsproxy").Problems().Filter(noFD); len(bad) > 0 {
		t.Errorf("%s", bad)
	}
	if bad := lines.Match(`tlsproxy.*(exit status|killed by signal)`); len(bad) > 0 {
		t.Errorf("%s", bad)
	}
}
