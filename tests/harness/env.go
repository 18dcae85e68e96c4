package harness

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// Locations of the stock Postfix installation (Debian 12 layout).
const (
	StockDaemonDir = "/usr/lib/postfix/sbin"
	stockMainCF    = "/usr/share/postfix/main.cf.debian"
	// master.cf.dist is the packaged master.cf; preferring it over
	// /etc/postfix/master.cf keeps local edits of the system instance
	// out of our tests.
	stockMasterCF    = "/usr/share/postfix/master.cf.dist"
	fallbackMasterCF = "/etc/postfix/master.cf"
)

// tools are the programs the integration tests run; all ship with the
// Debian postfix package.
var tools = []string{"postfix", "postconf", "postqueue", "smtp-sink", "smtp-source"}

// Require skips t unless integration tests can run here: root, the
// postfix package and its user. Unit tests do not call it.
func Require(t testing.TB) {
	t.Helper()
	if testing.Short() {
		t.Skip("integration test skipped in -short mode")
	}
	if os.Geteuid() != 0 {
		t.Skip("integration test needs root (it starts a private Postfix master)")
	}
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("integration test needs the postfix package: %s not in PATH", tool)
		}
	}
	if _, err := os.Stat(filepath.Join(StockDaemonDir, "master")); err != nil {
		t.Skipf("integration test needs the postfix package: %v", err)
	}
	if _, err := PostfixUser(); err != nil {
		t.Skipf("integration test needs the postfix user: %v", err)
	}
}

// IDs is a numeric uid/gid pair.
type IDs struct{ UID, GID int }

var (
	postfixOnce sync.Once
	postfixIDs  IDs
	postfixErr  error
)

// PostfixUser returns the uid/gid of mail_owner "postfix"; our daemons
// must run with exactly these on every thread.
func PostfixUser() (IDs, error) {
	postfixOnce.Do(func() {
		u, err := user.Lookup("postfix")
		if err != nil {
			postfixErr = fmt.Errorf("look up user postfix: %w", err)
			return
		}
		uid, err1 := strconv.Atoi(u.Uid)
		gid, err2 := strconv.Atoi(u.Gid)
		if err1 != nil || err2 != nil {
			postfixErr = fmt.Errorf("user postfix has non-numeric ids %q/%q", u.Uid, u.Gid)
			return
		}
		postfixIDs = IDs{uid, gid}
	})
	return postfixIDs, postfixErr
}

// FreePort returns a loopback TCP port that was free a moment ago, for
// a second sink or any other extra listener.
func FreePort() (int, error) {
	p, err := freePorts(1)
	if err != nil {
		return 0, err
	}
	return p[0], nil
}

// freePorts returns n distinct loopback TCP ports that were free a moment
// ago. The listeners are held until all are chosen so the same port is
// not handed out twice; the race with other programs is accepted (a
// clash shows up as a clear bind error in the maillog).
func freePorts(n int) ([]int, error) {
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	ports := make([]int, 0, n)
	for range n {
		l, err := net.Listen("tcp4", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("reserve loopback port: %w", err)
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// checkTraversable fails when user postfix could not reach dir: every
// ancestor needs the search bit for "other", because postfix is neither
// owner nor group of the directories we (root) create.
func checkTraversable(dir string) error {
	for d := dir; ; d = filepath.Dir(d) {
		fi, err := os.Stat(d)
		if err != nil {
			return err
		}
		if fi.Mode().Perm()&0o001 == 0 {
			return fmt.Errorf("%s (mode %v) is not searchable by user postfix; set TMPDIR to a world-searchable directory", d, fi.Mode().Perm())
		}
		if d == filepath.Dir(d) {
			return nil
		}
	}
}

// sanitize turns a test name into a short, shell- and Postfix-safe
// fragment for directory names.
func sanitize(name string) string {
	var b strings.Builder
	for _, r := range name {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	s := b.String()
	if len(s) > 40 {
		s = s[:40]
	}
	return s
}
