package queuefile

import (
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// File is a queue file opened for delivery and holding a shared lock.
type File struct {
	f         *os.File
	path      string // as stock prints it, relative to queue_directory
	queueName string
	queueID   string
	guard     jumpGuard      // rec_goto() state shared by the content passes
	rcpts     map[int64]bool // offsets of R/D records, found on first MarkDone
}

// OpenOK is mail_open_ok(), which deliver_request_get() runs right after
// the request's common attributes and before reading the recipients: a
// valid queue name and ID, and a regular file whose owner permission
// bits are exactly rwx (cleanup sets the x bit when the file is
// complete; mark_corrupt() clears it).
//
// A nil error means go ahead; warning is then either empty or a text
// stock logs as a warning without failing (a file with more than one
// hard link for over a minute). A non-nil error is an *Error: Silent
// for a missing file, a malformed queue ID or wrong permission bits,
// Warning for a bad queue name, another lstat() error or a non-regular
// file. Either way the request is deferred (status -1).
func (l Layout) OpenOK(queueName, queueID string) (warning string, err error) {
	if !ValidQueueName(queueName) {
		return "", &Error{Severity: Warning, Text: "bad mail queue name: " + queueName}
	}
	if !ValidQueueID(queueID) {
		return "", &Error{Severity: Silent, Text: "bad mail queue id: " + queueID}
	}
	path, err := l.Path(queueName, queueID)
	if err != nil {
		return "", err
	}
	st, err := os.Lstat(l.osPath(path))
	if err != nil {
		if errors.Is(err, syscall.ENOENT) {
			return "", &Error{Severity: Silent, Text: path + ": " + errnoText(err), Err: err}
		}
		return "", &Error{Severity: Warning, Text: path + ": " + errnoText(err), Err: err}
	}
	sys, _ := st.Sys().(*syscall.Stat_t)
	var uid int64
	if sys != nil {
		uid = int64(sys.Uid)
	}
	if !st.Mode().IsRegular() {
		return "", &Error{Severity: Warning, Text: fmt.Sprintf("%s: uid %d: not a regular file", path, uid)}
	}
	if st.Mode().Perm()&0o700 != 0o700 {
		return "", &Error{Severity: Silent, Text: fmt.Sprintf("%s: uid %d: file is not ready (mode %04o)", path, uid, st.Mode().Perm())}
	}
	// showq and qmgr rename files while others look at them, so two
	// links are normal for a moment; stock warns only when it persists.
	if sys != nil && sys.Nlink > 1 && time.Unix(sys.Ctim.Unix()).Before(time.Now().Add(-time.Minute)) {
		warning = fmt.Sprintf("%s: uid %d: file has %d links", path, uid, sys.Nlink)
	}
	return warning, nil
}

// Open opens the queue file for delivery the way deliver_request_get()
// does: open(path, O_RDWR) (close-on-exec, as Go always does) and a
// non-blocking shared flock(), the lock style Postfix uses on Linux
// (INTERNAL_LOCK = MYFLOCK_STYLE_FLOCK in sys_defs.h).
//
// Why the lock: qmgr(8) takes a non-blocking exclusive flock when it
// moves a file into the active queue. A new qmgr (after a restart or a
// flush) that finds the file still share-locked by a delivery agent
// skips it ("skipped, still being delivered") instead of delivering it
// a second time. Keep the File open, and so the lock held, for the
// whole request: until the reply was written and qmgr closed the
// connection.
//
// Errors, with stock's texts and severities:
//   - ENOENT from open: Warning "open <queue> <id>: No such file or
//     directory" (the file went away since OpenOK); defer the request.
//   - any other open error: Fatal "open <queue> <id>: <errno text>".
//     Stock exits on purpose so that the mail system backs off.
//   - the lock cannot be had: Fatal "shared lock <path>: <errno text>".
//     Stock never waits for the lock.
func Open(l Layout, queueName, queueID string) (*File, error) {
	path, err := l.Path(queueName, queueID)
	if err != nil {
		return nil, err
	}
	f, err := os.OpenFile(l.osPath(path), os.O_RDWR, 0)
	if err != nil {
		sev := Fatal
		if errors.Is(err, syscall.ENOENT) {
			sev = Warning
		}
		return nil, &Error{Severity: sev, Text: fmt.Sprintf("open %s %s: %s", queueName, queueID, errnoText(err)), Err: err}
	}
	if err := sharedLock(f); err != nil {
		f.Close()
		return nil, &Error{Severity: Fatal, Text: fmt.Sprintf("shared lock %s: %s", path, errnoText(err)), Err: err}
	}
	return &File{f: f, path: path, queueName: queueName, queueID: queueID}, nil
}

// sharedLock is myflock(fd, MYFLOCK_STYLE_FLOCK, SHARED|NOWAIT):
// interrupted calls are retried; "would block" reads as EAGAIN, as in
// stock (EWOULDBLOCK is the same number on Linux).
func sharedLock(f *os.File) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var lockErr error
	if err := rc.Control(func(fd uintptr) {
		for {
			lockErr = unix.Flock(int(fd), unix.LOCK_SH|unix.LOCK_NB)
			if lockErr != unix.EINTR {
				break
			}
		}
	}); err != nil {
		return err
	}
	if lockErr == unix.EWOULDBLOCK || lockErr == unix.EACCES {
		lockErr = unix.EAGAIN
	}
	return lockErr
}

// Path returns the file's path relative to queue_directory, as stock
// prints it in diagnostics.
func (f *File) Path() string { return f.path }

// QueueName returns the queue the file was opened in.
func (f *File) QueueName() string { return f.queueName }

// QueueID returns the queue ID the file was opened with.
func (f *File) QueueID() string { return f.queueID }

// Close closes the file, which releases the shared lock.
func (f *File) Close() error { return f.f.Close() }

// section gives each reader its own file position on the shared
// descriptor (pread), so readers, MarkDone and the lock never disturb
// each other.
func (f *File) section() io.ReadSeeker { return io.NewSectionReader(f.f, 0, math.MaxInt64) }

// Records returns a record reader positioned at offset, with its own
// pointer-loop guard; the general tool for looking at any part of the
// file. maxLen as for NewReader.
func (f *File) Records(offset int64, maxLen int64) (*Reader, error) {
	r := NewReader(f.section(), f.path, maxLen)
	if err := r.SeekTo(offset); err != nil {
		return nil, err
	}
	return r, nil
}
