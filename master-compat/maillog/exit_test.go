package maillog

import (
	"errors"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

func TestFatal(t *testing.T) {
	ev := &events{}
	l, buf := stderrLogger(t, ev)
	l.AddCleanup(func() { ev.add("hook1") })
	l.AddCleanup(func() {
		// The record is out before cleanup runs.
		if !strings.Contains(buf.String(), "fatal: bad thing 7") {
			t.Error("hook ran before the fatal record was logged")
		}
		ev.add("hook2")
		l.Fatal("recursive") // must neither log nor rerun hooks
	})
	l.Fatalf("bad thing %d", 7)
	if got, want := ev.String(), "hook2,sleep:1s,exit:1,hook1,sleep:1s,exit:1"; got != want {
		t.Errorf("events %q, want %q", got, want)
	}
	if got, want := buf.String(), "postfix/smtp: fatal: bad thing 7\n"; got != want {
		t.Errorf("logged %q, want %q", got, want)
	}
}

func TestPanic(t *testing.T) {
	ev := &events{}
	l, buf := stderrLogger(t, ev)
	l.AddCleanup(func() { ev.add("hook") })
	l.Panicf("oops %s", "x")
	if got, want := ev.String(), "sleep:1s,abort,exit:1"; got != want {
		t.Errorf("events %q, want %q", got, want)
	}
	if got, want := buf.String(), "postfix/smtp: panic: oops x\n"; got != want {
		t.Errorf("logged %q, want %q", got, want)
	}
}

func TestTooManyErrors(t *testing.T) {
	ev := &events{}
	l, buf := stderrLogger(t, ev)
	for i := 1; i < ErrorLimit; i++ {
		l.Errorf("e%d", i)
	}
	if ev.String() != "" {
		t.Fatalf("exited after %d errors: %s", ErrorLimit-1, ev)
	}
	l.Error("last")
	if got, want := ev.String(), "sleep:1s,exit:1"; got != want {
		t.Errorf("events %q, want %q", got, want)
	}
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	if len(lines) != ErrorLimit+1 || lines[ErrorLimit-1] != "postfix/smtp: error: last" ||
		lines[ErrorLimit] != "postfix/smtp: fatal: too many errors - program terminated" {
		t.Errorf("logged %q", lines)
	}
}

func TestVerbose(t *testing.T) {
	l, buf := stderrLogger(t, &events{})
	l.Verbosef(1, "hidden")
	if old := l.SetVerbose(2); old != 0 {
		t.Errorf("SetVerbose returned %d", old)
	}
	l.Verbosef(2, "shown %d", l.Verbose())
	l.Verbosef(3, "hidden")
	if got, want := buf.String(), "postfix/smtp: shown 2\n"; got != want {
		t.Errorf("logged %q, want %q", got, want)
	}
}

// TestConcurrent is for -race: records from many goroutines stay whole.
func TestConcurrent(t *testing.T) {
	l, buf := stderrLogger(t, &events{})
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Go(func() {
			for j := 0; j < 50; j++ {
				l.Infof("g%d n%d", i, j)
				l.SetVerbose(j)
			}
		})
	}
	wg.Wait()
	for _, line := range strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n") {
		if !strings.HasPrefix(line, "postfix/smtp: g") {
			t.Fatalf("mangled line %q", line)
		}
	}
}

// TestRealExit runs Fatal and Panic with the real exit and abort in a child
// process: master(8) must see "exit status 1" and "killed by signal 6".
func TestRealExit(t *testing.T) {
	if mode := os.Getenv("MAILLOG_TEST_CHILD"); mode != "" {
		var lim syscall.Rlimit // no core file from the abort
		_ = syscall.Setrlimit(syscall.RLIMIT_CORE, &lim)
		l := New(Options{ProcessName: "smtp", LookupEnv: fakeEnv(nil), SyslogPath: "/nonexistent/log",
			Sleep: func(time.Duration) {}})
		if mode == "fatal" {
			l.Fatal("child")
		}
		l.Panic("child")
		os.Exit(0) // not reached
	}
	for mode, check := range map[string]func(syscall.WaitStatus) bool{
		"fatal": func(ws syscall.WaitStatus) bool { return ws.Exited() && ws.ExitStatus() == 1 },
		"panic": func(ws syscall.WaitStatus) bool { return ws.Signaled() && ws.Signal() == syscall.SIGABRT },
	} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestRealExit$")
		cmd.Env = append(os.Environ(), "MAILLOG_TEST_CHILD="+mode)
		err := cmd.Run()
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			t.Fatalf("%s: child did not fail: %v", mode, err)
		}
		if ws := ee.Sys().(syscall.WaitStatus); !check(ws) {
			t.Errorf("%s: wait status %v", mode, ee)
		}
	}
}
