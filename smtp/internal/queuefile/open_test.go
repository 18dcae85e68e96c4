package queuefile

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

func TestOpenOK(t *testing.T) {
	data := readFixture(t, "queuefile-mixed-before")
	l, full := queueDir(t, "hold", "10901984142", data)

	if w, err := l.OpenOK("hold", "10901984142"); err != nil || w != "" {
		t.Fatalf("ready file: %q %v", w, err)
	}
	// A second hard link only warns after a minute; a fresh one is fine.
	if err := os.Link(full, full+"_link"); err != nil {
		t.Fatal(err)
	}
	if w, err := l.OpenOK("hold", "10901984142"); err != nil || w != "" {
		t.Errorf("fresh second link: %q %v", w, err)
	}
	os.Remove(full + "_link")

	if err := os.MkdirAll(filepath.Join(l.QueueDir, "hold", "ADIR"), 0o700); err != nil {
		t.Fatal(err)
	}
	uid := strconv.Itoa(os.Geteuid())
	for _, tc := range []struct {
		name, queue, id string
		chmod           os.FileMode
		sev             Severity
		want            string
	}{
		{"missing", "hold", "NOSUCH", 0, Silent, "hold/NOSUCH: No such file or directory"},
		{"bad queue name", "../hold", "X", 0, Warning, "bad mail queue name: ../hold"},
		{"bad queue id", "hold", "a.b", 0, Silent, "bad mail queue id: a.b"},
		{"not regular", "hold", "ADIR", 0, Warning, "hold/ADIR: uid " + uid + ": not a regular file"},
		{"not complete", "hold", "10901984142", 0o600, Silent, "hold/10901984142: uid " + uid + ": file is not ready (mode 0600)"},
		{"corrupt", "hold", "10901984142", 0o400, Silent, "hold/10901984142: uid " + uid + ": file is not ready (mode 0400)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.chmod != 0 {
				if err := os.Chmod(full, tc.chmod); err != nil {
					t.Fatal(err)
				}
				defer os.Chmod(full, 0o700)
			}
			_, err := l.OpenOK(tc.queue, tc.id)
			if err == nil {
				t.Fatal("no error")
			}
			if e := asError(t, err); e.Severity != tc.sev || e.Text != tc.want {
				t.Errorf("got %v %q, want %v %q", e.Severity, e.Text, tc.sev, tc.want)
			}
		})
	}
}

func TestOpenErrors(t *testing.T) {
	l, _ := queueDir(t, "hold", "10901984142", readFixture(t, "queuefile-mixed-before"))
	_, err := Open(l, "hold", "NOSUCH")
	if e := asError(t, err); e.Severity != Warning || e.Text != "open hold NOSUCH: No such file or directory" || !errors.Is(err, syscall.ENOENT) {
		t.Errorf("missing: %v %q", e.Severity, e.Text)
	}
	// Any other open error is fatal: stock exits so that the system backs off.
	if err := os.Mkdir(filepath.Join(l.QueueDir, "hold", "ADIR"), 0o700); err != nil {
		t.Fatal(err)
	}
	_, err = Open(l, "hold", "ADIR")
	if e := asError(t, err); e.Severity != Fatal || e.Text != "open hold ADIR: Is a directory" {
		t.Errorf("directory: %v %q", e.Severity, e.Text)
	}
	_, err = Open(l, "hold", "../x")
	if e := asError(t, err); e.Severity != Panic {
		t.Errorf("bad id: %v %q", e.Severity, e.Text)
	}
}

// flockOther takes a lock on a separate open file description of the
// same file, as qmgr or another agent would.
func flockOther(t *testing.T, path string, how int) (*os.File, error) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := unix.Flock(int(f.Fd()), how|unix.LOCK_NB); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// The shared lock conflicts with the exclusive lock qmgr takes when it
// loads a file into the active queue, in both directions, and not with
// another agent's shared lock; closing the File releases it.
func TestSharedLock(t *testing.T) {
	l, full := queueDir(t, "active", "10901984142", readFixture(t, "queuefile-mixed-before"))

	qmgr, err := flockOther(t, full, unix.LOCK_EX)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Open(l, "active", "10901984142")
	if e := asError(t, err); e.Severity != Fatal || e.Text != "shared lock active/10901984142: Resource temporarily unavailable" || !errors.Is(err, syscall.EAGAIN) {
		t.Errorf("under qmgr's lock: %v %q", e.Severity, e.Text)
	}
	qmgr.Close()

	f, err := Open(l, "active", "10901984142")
	if err != nil {
		t.Fatal(err)
	}
	if f.Path() != "active/10901984142" || f.QueueName() != "active" || f.QueueID() != "10901984142" {
		t.Errorf("names %q %q %q", f.Path(), f.QueueName(), f.QueueID())
	}
	if _, err := flockOther(t, full, unix.LOCK_EX); !errors.Is(err, unix.EWOULDBLOCK) {
		t.Errorf("exclusive lock while delivering: %v, want EWOULDBLOCK", err)
	}
	other, err := flockOther(t, full, unix.LOCK_SH)
	if err != nil {
		t.Errorf("second shared lock: %v", err)
	} else {
		other.Close()
	}
	f2, err := Open(l, "active", "10901984142")
	if err != nil {
		t.Errorf("second agent: %v", err)
	} else {
		f2.Close()
	}
	// Reading and marking do not disturb the lock.
	if _, err := f.Content(840); err != nil {
		t.Fatal(err)
	}
	if err := f.MarkDone(660); err != nil {
		t.Fatal(err)
	}
	if _, err := flockOther(t, full, unix.LOCK_EX); !errors.Is(err, unix.EWOULDBLOCK) {
		t.Errorf("exclusive lock after MarkDone: %v, want EWOULDBLOCK", err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	q, err := flockOther(t, full, unix.LOCK_EX)
	if err != nil {
		t.Errorf("exclusive lock after Close: %v", err)
	} else {
		q.Close()
	}
}

// The file is opened read-write and close-on-exec, like stock.
func TestOpenFlags(t *testing.T) {
	l, _ := queueDir(t, "active", "10901984142", readFixture(t, "queuefile-mixed-before"))
	f, err := Open(l, "active", "10901984142")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rc, _ := f.f.SyscallConn()
	var fl, fd int
	rc.Control(func(d uintptr) {
		fd, _ = unix.FcntlInt(d, unix.F_GETFD, 0)
		fl, _ = unix.FcntlInt(d, unix.F_GETFL, 0)
	})
	if fd&unix.FD_CLOEXEC == 0 {
		t.Error("not close-on-exec")
	}
	if fl&unix.O_ACCMODE != unix.O_RDWR {
		t.Errorf("access mode %#x, want O_RDWR", fl&unix.O_ACCMODE)
	}
}

func TestFileSizeAndContent(t *testing.T) {
	data := readFixture(t, "queuefile-long-lines")
	l, _ := queueDir(t, "deferred", "99B01984019", data)
	f, err := Open(l, "deferred", "99B01984019")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if f.Path() != "deferred/9/99B01984019" {
		t.Errorf("path %q", f.Path())
	}
	sz, err := f.Size()
	if err != nil {
		t.Fatal(err)
	}
	want := Size{DataSize: 6564, DataOffset: 651, RcptCount: 1, ContentLength: 6564}
	if sz != want {
		t.Errorf("size %+v, want %+v", sz, want)
	}
	_, wantText := expectedText(t, "queuefile-long-lines")
	for pass := 0; pass < 3; pass++ { // one pass per SMTP session
		cr, err := f.Content(sz.DataOffset)
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(cr.Text())
		if err != nil || string(got) != wantText {
			t.Fatalf("pass %d: %d bytes, %v", pass, len(got), err)
		}
	}
}

func TestParseSize(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Size
		err  string
	}{
		{"            446             840               3               4             446               0", Size{446, 840, 3, 4, 446, 0}, ""},
		{"446 840 3", Size{446, 840, 3, 0, 0, 0}, ""},
		{"446 840", Size{446, 840, 0, 0, 0, 0}, "message rejected: weird size record"},
		{"0 840 3", Size{0, 840, 3, 0, 0, 0}, "invalid size record: 0 840 3"},
		{"446 x 3", Size{446, 0, 0, 0, 0, 0}, "message rejected: weird size record"},
	} {
		got, err := ParseSize([]byte(tc.in))
		if got != tc.want {
			t.Errorf("%q: %+v", tc.in, got)
		}
		if (err == nil) != (tc.err == "") || err != nil && err.Error() != tc.err {
			t.Errorf("%q: error %v, want %q", tc.in, err, tc.err)
		}
	}
}
