package harness

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Proc is one process as seen through /proc.
type Proc struct {
	PID, PPID, PGID int
	Name            string   // basename of argv[0]; master(8) sets it to the master.cf command ("scache", "smtp", ...)
	Args            []string // full argv
	Exe             string   // readlink /proc/PID/exe, without a " (deleted)" suffix
	Cwd             string   // readlink /proc/PID/cwd, as seen from our root
	Root            string   // readlink /proc/PID/root, as seen from our root
}

func (p Proc) String() string {
	return fmt.Sprintf("pid %d ppid %d %q exe=%s cwd=%s root=%s", p.PID, p.PPID, strings.Join(p.Args, " "), p.Exe, p.Cwd, p.Root)
}

// ReadProc inspects one process. Links that cannot be read (kernel
// threads, races with exit) are left empty rather than failing, because
// callers mostly scan all of /proc.
func ReadProc(pid int) (Proc, error) {
	base := "/proc/" + strconv.Itoa(pid)
	stat, err := os.ReadFile(base + "/stat")
	if err != nil {
		return Proc{}, fmt.Errorf("read %s/stat: %w", base, err)
	}
	// comm is parenthesised and may itself contain ") ", so parse from
	// the last ')': " state ppid pgrp ...".
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return Proc{}, fmt.Errorf("parse %s/stat: no comm", base)
	}
	f := strings.Fields(string(stat[i+1:]))
	if len(f) < 3 {
		return Proc{}, fmt.Errorf("parse %s/stat: short line", base)
	}
	p := Proc{PID: pid}
	p.PPID, _ = strconv.Atoi(f[1])
	p.PGID, _ = strconv.Atoi(f[2])
	if cmd, err := os.ReadFile(base + "/cmdline"); err == nil && len(cmd) > 0 {
		p.Args = strings.Split(strings.TrimRight(string(cmd), "\x00"), "\x00")
		p.Name = filepath.Base(p.Args[0])
	}
	p.Exe, _ = os.Readlink(base + "/exe")
	p.Exe = strings.TrimSuffix(p.Exe, " (deleted)")
	p.Cwd, _ = os.Readlink(base + "/cwd")
	p.Root, _ = os.Readlink(base + "/root")
	return p, nil
}

// AllProcs lists every process that could be inspected.
func AllProcs() ([]Proc, error) {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return nil, fmt.Errorf("list /proc: %w", err)
	}
	var ps []Proc
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if p, err := ReadProc(pid); err == nil {
			ps = append(ps, p)
		}
	}
	return ps, nil
}

// Alive reports whether pid exists and is not a zombie.
func Alive(pid int) bool {
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	i := bytes.LastIndexByte(stat, ')')
	return i >= 0 && i+2 < len(stat) && stat[i+2] != 'Z'
}

// WaitGone waits until pid has exited (or is a zombie nobody reaped yet).
func WaitGone(pid int, timeout time.Duration) error {
	return poll(timeout, func() (bool, error) { return !Alive(pid), nil },
		func() string { return fmt.Sprintf("pid %d still alive", pid) })
}

// Creds is one of the uid or gid quadruples from /proc/PID/status.
type Creds struct{ Real, Effective, Saved, FS int }

// ThreadStatus is the identity of one thread; Go daemons have several
// and privilege drops must reach all of them.
type ThreadStatus struct {
	TID    int
	UID    Creds
	GID    Creds
	Groups []int // supplementary groups
}

// Status is what the privilege and resource tests look at.
type Status struct {
	PID       int
	Threads   []ThreadStatus
	RssAnonKB int64 // RssAnon from /proc/PID/status
	VmRSSKB   int64
	FDs       int    // open descriptors
	Root      string // readlink /proc/PID/root: the chroot directory
	Cwd       string
	Exe       string
}

// ProcStatus inspects pid and every one of its threads.
func ProcStatus(pid int) (Status, error) {
	base := "/proc/" + strconv.Itoa(pid)
	st := Status{PID: pid}
	kv, err := readStatus(base + "/status")
	if err != nil {
		return st, err
	}
	st.RssAnonKB = kbField(kv["RssAnon"])
	st.VmRSSKB = kbField(kv["VmRSS"])
	fds, err := os.ReadDir(base + "/fd")
	if err != nil {
		return st, fmt.Errorf("list %s/fd: %w", base, err)
	}
	st.FDs = len(fds)
	if st.Root, err = os.Readlink(base + "/root"); err != nil {
		return st, fmt.Errorf("readlink %s/root: %w", base, err)
	}
	st.Cwd, _ = os.Readlink(base + "/cwd")
	st.Exe, _ = os.Readlink(base + "/exe")
	tasks, err := os.ReadDir(base + "/task")
	if err != nil {
		return st, fmt.Errorf("list %s/task: %w", base, err)
	}
	for _, e := range tasks {
		tid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		kv, err := readStatus(base + "/task/" + e.Name() + "/status")
		if errors.Is(err, os.ErrNotExist) || errors.Is(err, syscall.ESRCH) {
			continue // thread exited while we looked
		}
		if err != nil {
			return st, err
		}
		ts := ThreadStatus{TID: tid}
		if ts.UID, err = parseCreds(kv["Uid"]); err != nil {
			return st, fmt.Errorf("thread %d of pid %d: Uid: %w", tid, pid, err)
		}
		if ts.GID, err = parseCreds(kv["Gid"]); err != nil {
			return st, fmt.Errorf("thread %d of pid %d: Gid: %w", tid, pid, err)
		}
		for _, g := range strings.Fields(kv["Groups"]) {
			n, err := strconv.Atoi(g)
			if err != nil {
				return st, fmt.Errorf("thread %d of pid %d: Groups %q: %w", tid, pid, kv["Groups"], err)
			}
			ts.Groups = append(ts.Groups, n)
		}
		st.Threads = append(st.Threads, ts)
	}
	if len(st.Threads) == 0 {
		return st, fmt.Errorf("pid %d: no threads (exited?)", pid)
	}
	return st, nil
}

func readStatus(path string) (map[string]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	kv := map[string]string{}
	for _, line := range strings.Split(string(b), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if ok {
			kv[k] = strings.TrimSpace(v)
		}
	}
	return kv, nil
}

func parseCreds(s string) (Creds, error) {
	f := strings.Fields(s)
	if len(f) != 4 {
		return Creds{}, fmt.Errorf("want 4 ids, got %q", s)
	}
	var n [4]int
	for i := range f {
		v, err := strconv.Atoi(f[i])
		if err != nil {
			return Creds{}, fmt.Errorf("parse %q: %w", s, err)
		}
		n[i] = v
	}
	return Creds{n[0], n[1], n[2], n[3]}, nil
}

// kbField parses "1234 kB"; absent fields (kernel threads) yield 0.
func kbField(s string) int64 {
	n, _ := strconv.ParseInt(strings.TrimSuffix(s, " kB"), 10, 64)
	return n
}

// signalAll sends sig to every pid, ignoring processes that are gone.
func signalAll(ps []Proc, sig syscall.Signal) {
	for _, p := range ps {
		_ = syscall.Kill(p.PID, sig)
	}
}
