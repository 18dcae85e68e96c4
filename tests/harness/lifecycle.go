package harness

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Bounds for master(8) operations. Generous: they only matter when
// something is broken, and then the error says what was left.
const (
	stopTimeout   = 20 * time.Second
	reloadTimeout = 30 * time.Second
	killTimeout   = 5 * time.Second
)

// Start starts the instance ("postfix start", which waits until master
// has initialised) and remembers its master pid.
func (in *Instance) Start() error {
	mark := in.LogMark()
	if _, err := in.run("postfix", "-c", in.ConfigDir, "start"); err != nil {
		return fmt.Errorf("start instance %s: %w\n%s", in.Dir, err, in.problemsSince(mark))
	}
	pid, err := in.readMasterPID()
	if err != nil {
		return fmt.Errorf("start instance %s: %w", in.Dir, err)
	}
	in.mu.Lock()
	in.masterPID, in.lastMaster = pid, pid
	in.mu.Unlock()
	return nil
}

// Stop runs "postfix stop" and waits until no process of the instance is
// left. Leftovers are killed and reported as an error, so tests can
// assert a clean shutdown with a plain error check. Stopping a stopped
// instance is a no-op.
func (in *Instance) Stop() error {
	master := in.MasterPID()
	if master != 0 {
		if _, err := in.run("postfix", "-c", in.ConfigDir, "stop"); err != nil {
			// Fall through: the sweep below still cleans up.
			in.t.Logf("postfix stop: %v", err)
		}
	}
	var left []Proc
	err := poll(stopTimeout, func() (bool, error) {
		ps, err := in.Processes()
		left = ps
		return len(ps) == 0, err
	}, func() string { return fmt.Sprintf("%d processes left", len(left)) })
	in.mu.Lock()
	in.masterPID = 0
	in.mu.Unlock()
	if err != nil {
		in.killLeftovers()
		return fmt.Errorf("stop instance %s: %w:\n%s", in.Dir, err, procList(left))
	}
	return nil
}

// Reload runs "postfix reload" and waits for master(8) to log that it
// re-read its configuration; SIGHUP handling is asynchronous.
func (in *Instance) Reload() error {
	mark := in.LogMark()
	if _, err := in.run("postfix", "-c", in.ConfigDir, "reload"); err != nil {
		return fmt.Errorf("reload instance %s: %w", in.Dir, err)
	}
	_, err := in.WaitLogSince(mark, func(l LogLine) bool {
		return l.Program == "master" && strings.HasPrefix(l.Text, "reload -- version")
	}, reloadTimeout)
	if err != nil {
		return fmt.Errorf("reload instance %s: no master reload line: %w", in.Dir, err)
	}
	return nil
}

// MasterPID is the pid of the running master(8), 0 when stopped.
func (in *Instance) MasterPID() int {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.masterPID != 0 && !Alive(in.masterPID) {
		in.masterPID = 0
	}
	return in.masterPID
}

// readMasterPID reads spool/pid/master.pid and checks that the pid is
// our master, not a recycled pid of something else.
func (in *Instance) readMasterPID() (int, error) {
	b, err := os.ReadFile(filepath.Join(in.Spool, "pid", "master.pid"))
	if err != nil {
		return 0, fmt.Errorf("read master pid: %w", err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		return 0, fmt.Errorf("parse master pid %q: %w", b, err)
	}
	p, err := ReadProc(pid)
	if err != nil {
		return 0, fmt.Errorf("master pid %d: %w", pid, err)
	}
	if len(p.Args) == 0 || !within(p.Args[0], in.Dir) {
		return 0, fmt.Errorf("pid %d from master.pid is not our master: %s", pid, p)
	}
	return pid, nil
}

// Processes returns every live process that belongs to the instance:
// the master, its children and process group, and anything whose
// executable, argv[0], working directory or root lies inside the
// instance directory (chrooted daemons, the postsuper that "postfix
// reload" leaves behind).
func (in *Instance) Processes() ([]Proc, error) {
	all, err := AllProcs()
	if err != nil {
		return nil, err
	}
	master, self := in.MasterPID(), os.Getpid()
	in.mu.Lock()
	group := in.lastMaster // children keep the group after the master dies
	in.mu.Unlock()
	var out []Proc
	for _, p := range all {
		if p.PID == self {
			continue
		}
		ours := master != 0 && (p.PID == master || p.PPID == master)
		ours = ours || (group != 0 && p.PGID == group)
		ours = ours || within(p.Exe, in.Dir) || within(p.Cwd, in.Dir) || within(p.Root, in.Dir)
		ours = ours || (len(p.Args) > 0 && within(p.Args[0], in.Dir))
		if ours && Alive(p.PID) {
			out = append(out, p)
		}
	}
	return out, nil
}

// PIDs returns the pids, ascending, of the master's children that run
// program (matched against argv[0] and the executable's name), e.g.
// PIDs("scache").
func (in *Instance) PIDs(program string) ([]int, error) {
	master := in.MasterPID()
	if master == 0 {
		return nil, nil
	}
	ps, err := in.Processes()
	if err != nil {
		return nil, err
	}
	var pids []int
	for _, p := range ps {
		if p.PPID == master && (p.Name == program || filepath.Base(p.Exe) == program) {
			pids = append(pids, p.PID)
		}
	}
	sort.Ints(pids)
	return pids, nil
}

// WaitPIDs waits until at least one process runs program and returns
// the pids; daemons such as scache are started on demand.
func (in *Instance) WaitPIDs(program string, timeout time.Duration) ([]int, error) {
	var pids []int
	err := poll(timeout, func() (bool, error) {
		var err error
		pids, err = in.PIDs(program)
		return len(pids) > 0, err
	}, func() string { return "no " + program + " process" })
	return pids, err
}

// killLeftovers SIGKILLs every process of the instance until none is
// left (or killTimeout passes) and returns what it found first.
func (in *Instance) killLeftovers() []Proc {
	first, _ := in.Processes()
	_ = poll(killTimeout, func() (bool, error) {
		ps, err := in.Processes()
		signalAll(ps, syscall.SIGKILL)
		return len(ps) == 0, err
	}, func() string { return "" })
	return first
}

// problemsSince returns the warning/fatal lines logged after mark, for
// error messages.
func (in *Instance) problemsSince(mark LogMark) string {
	ls, err := in.LogLinesSince(mark)
	if err != nil {
		return err.Error()
	}
	return ls.Problems().String()
}

// within reports whether path is dir or inside it.
func within(path, dir string) bool {
	return path != "" && (path == dir || strings.HasPrefix(path, dir+"/"))
}

func procList(ps []Proc) string {
	var b strings.Builder
	for _, p := range ps {
		b.WriteString("  " + p.String() + "\n")
	}
	return b.String()
}
