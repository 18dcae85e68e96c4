package tests

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/postfix-go/postfix-go/scache/client"
	"github.com/postfix-go/postfix-go/tests/harness"
)

// The lifecycle scenarios: how scache starts, refuses to start, stops on
// its own and treats the descriptors master hands it. Each runs against
// stock and ours; where the stock wording or behaviour is the
// reference, the two variants' observations are also compared with each
// other, so a difference shows up as one failure naming both sides.

// lifeTimeout bounds the waits for a process to exit; max_idle is 3s in
// the idle test, so this only matters when something is broken.
const lifeTimeout = 20 * time.Second

// Labels of the shape smtp(8) sends; the contents do not matter.
const (
	lifeEndp = "smtp\n127.0.0.1\n25\n0\n"
	lifeProp = "tls_level=0\nreuse_count=0\n"
)

// TestScacheIdleExit: with no client connected scache leaves after
// max_idle, logs the statistics of its last interval on the way out, and
// master takes the exit as a normal one.
func TestScacheIdleExit(t *testing.T) { forEachScache(t, testScacheIdleExit) }

// TestScacheStartupFatal: a master.cf process limit other than 1 is
// refused at start-up with the stock fatal message, and master
// throttles the service.
func TestScacheStartupFatal(t *testing.T) {
	seen := map[string][]string{}
	forEachScache(t, func(t *testing.T, bin string) { seen[variantName(t)] = testScacheStartupFatal(t, bin) })
	compareVariants(t, "log lines of a refused start-up", seen)
}

// TestScacheDescriptorModes: scache must leave the file status flags of
// the descriptors it shares with master alone. O_NONBLOCK lives in the
// open file description, which master and every child share, so a
// daemon that flips it changes master's descriptor too.
func TestScacheDescriptorModes(t *testing.T) {
	seen := map[string][]string{}
	forEachScache(t, func(t *testing.T, bin string) { seen[variantName(t)] = testScacheDescriptorModes(t, bin) })
	compareVariants(t, "flags of the master status descriptor (fd 5) in scache", seen)
}

// TestScacheUnexpectedArgument: a left-over master.cf argument is fatal,
// but stock only notices when it serves the first request.
func TestScacheUnexpectedArgument(t *testing.T) {
	seen := map[string][]string{}
	forEachScache(t, func(t *testing.T, bin string) { seen[variantName(t)] = testScacheUnexpectedArgument(t, bin) })
	compareVariants(t, "log lines of the first request", seen)
}

func testScacheIdleExit(t *testing.T, bin string) {
	in := harness.New(t, scacheOptions(bin, harness.Options{
		MasterParams: []string{"scache/unix/max_idle=3s"},
	}))
	mark := in.LogMark()
	conn := dialScache(t, in)
	pid := requireDaemon(t, in, "scache")

	// One session saved and taken back: the exit dump then has an
	// address line and a max line with known figures.
	sp, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(sp[1])
	st, err := conn.SaveEndp(2, lifeEndp, lifeProp, sp[0])
	unix.Close(sp[0])
	if err != nil || st != client.StatOK {
		t.Fatalf("save_endp: status %d, %v", st, err)
	}
	st, prop, fd, err := conn.FindEndp(lifeEndp)
	if err != nil || st != client.StatOK || prop != lifeProp || fd < 0 {
		t.Fatalf("find_endp: status %d prop %q fd %d, %v", st, prop, fd, err)
	}
	unix.Close(fd)
	if !harness.Alive(pid) {
		t.Fatalf("scache %d exited while a client was connected", pid)
	}
	// The idle clock starts when the last client leaves.
	conn.Close()
	if err := harness.WaitGone(pid, lifeTimeout); err != nil {
		t.Fatalf("scache did not leave after max_idle: %v", err)
	}

	isMax := func(l harness.LogLine) bool {
		return l.Program == "scache" && l.PID == pid && statMaxRE.MatchString(l.Text)
	}
	if _, err := in.WaitLogSince(mark, isMax, logTimeout); err != nil {
		t.Fatalf("scache[%d] logged no statistics on its idle exit: %v", pid, err)
	}
	lines, err := in.LogLinesSince(mark)
	if err != nil {
		t.Fatal(err)
	}
	stats, err := parseScacheStats(lines.PID(pid))
	if err != nil {
		t.Fatal(err)
	}
	want := scacheStats{PID: pid, HasAddr: true, AddrHits: 1, HasMax: true, MaxAddrs: 1, MaxConn: 1}
	if len(stats) != 1 {
		t.Fatalf("scache[%d]: %d statistics dumps, want 1:\n%s", pid, len(stats), lines.PID(pid))
	}
	got := stats[0]
	got.Start = time.Time{}
	if got != want {
		t.Errorf("exit statistics %+v, want %+v:\n%s", got, want, lines.PID(pid))
	}
	// Master must have nothing to say about an idle exit.
	checkNoScacheProblems(t, lines)
	if p := lines.Program("master").Problems(); len(p) > 0 {
		t.Errorf("master warned:\n%s", p)
	}
}

func testScacheStartupFatal(t *testing.T, bin string) []string {
	in := harness.New(t, scacheOptions(bin, harness.Options{
		// "-" is default_process_limit: master then omits -l.
		MasterFields: []string{"scache/unix/process_limit=-"},
	}))
	mark := in.LogMark()
	// A connection makes master start the process; nothing will ever
	// accept it, so it is only closed at the end.
	nc, err := net.DialTimeout("unix", scacheSocket(in), procTimeout)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()

	fatal, err := in.WaitLogSince(mark, func(l harness.LogLine) bool {
		return l.Program == "scache" && l.Severity() == "fatal"
	}, logTimeout)
	if err != nil {
		t.Fatalf("no fatal line from scache: %v", err)
	}
	const want = "fatal: service scache requires a process limit of 1"
	if fatal.Text != want {
		t.Errorf("scache[%d] says %q, want %q", fatal.PID, fatal.Text, want)
	}
	if _, err := in.WaitLogSince(mark, func(l harness.LogLine) bool {
		return l.Program == "master" && strings.HasSuffix(l.Text, ": bad command startup -- throttling")
	}, logTimeout); err != nil {
		t.Errorf("master did not throttle scache: %v", err)
	}
	if err := harness.WaitGone(fatal.PID, lifeTimeout); err != nil {
		t.Error(err)
	}
	lines, err := in.LogLinesSince(mark)
	if err != nil {
		t.Fatal(err)
	}
	// Exactly one line from scache, and master saw a failure exit.
	if s := lines.Program("scache"); len(s) != 1 {
		t.Errorf("scache logged %d lines, want only the fatal one:\n%s", len(s), s)
	}
	if !exitedNonZero(lines, fatal.PID) {
		t.Errorf("master logged no non-zero exit for scache[%d]:\n%s", fatal.PID, lines.Program("master"))
	}
	return normalizedProblems(in, lines)
}

func testScacheDescriptorModes(t *testing.T, bin string) []string {
	in := harness.New(t, scacheOptions(bin, harness.Options{}))
	master := in.MasterPID()
	listen := masterListenFDs(t, master, "private/scache")
	if len(listen) != 1 {
		t.Fatalf("master %d has %d descriptors for private/scache (%v), want 1", master, len(listen), listen)
	}
	before := socketFlags(t, master)
	if f := before[listen[0]].flags; f&syscall.O_NONBLOCK == 0 {
		t.Fatalf("master's private/scache descriptor %d is blocking before scache ran (flags %#o)", listen[0], f)
	}

	conn := dialScache(t, in)
	defer conn.Close()
	pid := requireDaemon(t, in, "scache")
	// A request makes scache write TAKEN and AVAIL on fd 5 at least once.
	if st, _, fd, err := conn.FindEndp(lifeEndp); err != nil || st != client.StatFail || fd != -1 {
		t.Fatalf("find_endp: status %d fd %d, %v", st, fd, err)
	}
	status, err := fdFlags(pid, 5)
	if err != nil {
		t.Fatal(err)
	}
	if status&syscall.O_NONBLOCK != 0 {
		t.Errorf("scache[%d] fd 5 (master status) is non-blocking: flags %#o", pid, status)
	}

	after := socketFlags(t, master)
	for fd, b := range before {
		// Only the same socket counts: master reuses descriptor numbers
		// for short-lived sockets of its own.
		if a, ok := after[fd]; ok && a.inode == b.inode && a.flags != b.flags {
			t.Errorf("master %d socket fd %d: flags %#o before scache ran, %#o after", master, fd, b.flags, a.flags)
		}
	}
	if f := after[listen[0]].flags; f&syscall.O_NONBLOCK == 0 {
		t.Errorf("master's private/scache descriptor %d lost O_NONBLOCK (flags %#o)", listen[0], f)
	}
	t.Logf("scache[%d] fd 5 flags %#o; master fd %d (private/scache) flags %#o", pid, status, listen[0], after[listen[0]].flags)
	return []string{fmt.Sprintf("%#o", status)}
}

func testScacheUnexpectedArgument(t *testing.T, bin string) []string {
	in := harness.New(t, scacheOptions(bin, harness.Options{
		MasterFields: []string{"scache/unix/command=scache extra"},
	}))
	mark := in.LogMark()
	conn := dialScache(t, in)
	defer conn.Close()
	pid := requireDaemon(t, in, "scache")
	// The announcement came, so start-up is over: the argument must not
	// have been rejected yet.
	if lines, err := in.LogLinesSince(mark); err != nil || len(lines.Program("scache").Problems()) > 0 || !harness.Alive(pid) {
		t.Fatalf("scache[%d] objected before the first request (alive %v, err %v):\n%s",
			pid, harness.Alive(pid), err, lines.Program("scache"))
	}
	if _, _, _, err := conn.FindEndp(lifeEndp); err == nil {
		t.Error("find_endp was answered despite the bad argument")
	}
	if err := harness.WaitGone(pid, lifeTimeout); err != nil {
		t.Fatal(err)
	}
	fatal, err := in.WaitLogSince(mark, func(l harness.LogLine) bool {
		return l.Program == "scache" && l.PID == pid && l.Severity() == "fatal"
	}, logTimeout)
	if err != nil {
		t.Fatalf("no fatal line from scache[%d]: %v", pid, err)
	}
	if want := "fatal: unexpected command-line argument: extra"; fatal.Text != want {
		t.Errorf("scache[%d] says %q, want %q", pid, fatal.Text, want)
	}
	// Let master reap the process and log about it before comparing.
	if _, err := in.WaitLogSince(mark, func(l harness.LogLine) bool {
		return l.Program == "master" && strings.Contains(l.Text, fmt.Sprintf(" pid %d exit status ", pid))
	}, logTimeout); err != nil {
		t.Errorf("master logged no exit status for scache[%d]: %v", pid, err)
	}
	lines, err := in.LogLinesSince(mark)
	if err != nil {
		t.Fatal(err)
	}
	if !exitedNonZero(lines, pid) {
		t.Errorf("master logged no non-zero exit for scache[%d]:\n%s", pid, lines.Program("master"))
	}
	return normalizedProblems(in, lines)
}

// dialScache connects to the instance's scache socket as smtp(8) would,
// which makes master start the daemon on demand.
func dialScache(t *testing.T, in *harness.Instance) *client.Conn {
	t.Helper()
	c, err := client.Dial(scacheSocket(in), procTimeout, func(s string) { t.Logf("client: %s", s) })
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func scacheSocket(in *harness.Instance) string { return filepath.Join(in.Spool, "private", "scache") }

// variantName is the forEachScache subtest name: "stock" or "ours".
func variantName(t *testing.T) string { return filepath.Base(t.Name()) }

// compareVariants fails when stock and ours observed different things.
// It says nothing when a variant was skipped (ours not built yet).
func compareVariants(t *testing.T, what string, seen map[string][]string) {
	t.Helper()
	stock, ok1 := seen[stockScache.name]
	ours, ok2 := seen[ourScache.name]
	switch {
	case ok1 && ok2 && !slices.Equal(stock, ours):
		t.Errorf("%s differ:\nstock: %q\nours:  %q", what, stock, ours)
	case ok1 && ok2:
		t.Logf("%s, stock and ours: %q", what, stock)
	}
}

var (
	pidRE      = regexp.MustCompile(`\bpid \d+\b`)
	exitLineRE = regexp.MustCompile(`^warning: process \S+ pid (\d+) exit status (\d+)$`)
)

// normalizedProblems returns the warning-or-worse lines of scache and
// master, as "program: text" with the instance directory and pids
// replaced, so that two instances' lines compare equal.
func normalizedProblems(in *harness.Instance, lines harness.LogLines) []string {
	var out []string
	for _, l := range lines.Problems() {
		if l.Program != "scache" && l.Program != "master" {
			continue
		}
		text := strings.ReplaceAll(l.Text, in.Dir, "$DIR")
		out = append(out, l.Program+": "+pidRE.ReplaceAllString(text, "pid N"))
	}
	return out
}

// exitedNonZero reports whether master logged a failure exit for pid.
func exitedNonZero(lines harness.LogLines, pid int) bool {
	for _, l := range lines.Program("master") {
		m := exitLineRE.FindStringSubmatch(l.Text)
		if m != nil && m[1] == strconv.Itoa(pid) && m[2] != "0" {
			return true
		}
	}
	return false
}

// fdFlags returns the "flags:" field of /proc/PID/fdinfo/FD: the file
// status flags of the open file description plus O_CLOEXEC of the
// descriptor, in octal as the kernel prints it.
func fdFlags(pid, fd int) (int, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/fdinfo/%d", pid, fd))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "flags:"); ok {
			n, err := strconv.ParseInt(strings.TrimSpace(v), 8, 64)
			return int(n), err
		}
	}
	return 0, fmt.Errorf("/proc/%d/fdinfo/%d: no flags line", pid, fd)
}

// socketInodes maps each socket descriptor of pid to its inode.
func socketInodes(t *testing.T, pid int) map[int]string {
	t.Helper()
	dir := fmt.Sprintf("/proc/%d/fd", pid)
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	out := map[int]string{}
	for _, e := range ents {
		fd, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		link, err := os.Readlink(filepath.Join(dir, e.Name()))
		if ino, ok := strings.CutPrefix(link, "socket:["); err == nil && ok {
			out[fd] = strings.TrimSuffix(ino, "]")
		}
	}
	return out
}

// sockState is one socket descriptor of a process.
type sockState struct {
	inode string
	flags int
}

// socketFlags returns the flags of every socket descriptor of pid.
func socketFlags(t *testing.T, pid int) map[int]sockState {
	t.Helper()
	out := map[int]sockState{}
	for fd, ino := range socketInodes(t, pid) {
		f, err := fdFlags(pid, fd)
		if errors.Is(err, os.ErrNotExist) {
			// master opens and closes short-lived sockets of its own
			// (wakeup triggers, children being spawned): one that is
			// gone by now has no flags to compare.
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		out[fd] = sockState{inode: ino, flags: f}
	}
	return out
}

// masterListenFDs finds master's descriptors for the unix socket bound
// as name (master binds relative to the queue directory), by matching
// socket inodes against /proc/net/unix. Other instances have sockets of
// the same name; only master's own descriptors are considered.
func masterListenFDs(t *testing.T, master int, name string) []int {
	t.Helper()
	f, err := os.Open("/proc/net/unix")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	named := map[string]bool{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// Num RefCount Protocol Flags Type St Inode Path
		fields := strings.Fields(sc.Text())
		if len(fields) == 8 && (fields[7] == name || strings.HasSuffix(fields[7], "/"+name)) {
			named[fields[6]] = true
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	var fds []int
	for fd, ino := range socketInodes(t, master) {
		if named[ino] {
			fds = append(fds, fd)
		}
	}
	slices.Sort(fds)
	return fds
}
