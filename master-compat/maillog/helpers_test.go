package maillog

import (
	"bytes"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// sink is a unix-dgram log collector in a short temp dir (sun_path is
// limited to 108 bytes, t.TempDir() names can be longer).
type sink struct {
	path string
	conn *net.UnixConn
}

func shortDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "ml")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

func listen(t *testing.T, path string) *sink {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	c, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	s := &sink{path: path, conn: c}
	t.Cleanup(s.close)
	return s
}

func (s *sink) close() { s.conn.Close(); os.Remove(s.path) }

// recv returns the next datagram; the deadline only bounds a hang.
func (s *sink) recv(t *testing.T) string {
	t.Helper()
	buf := make([]byte, 8192)
	_ = s.conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	n, _, err := s.conn.ReadFrom(buf)
	if err != nil {
		t.Fatalf("recv on %s: %v", s.path, err)
	}
	return string(buf[:n])
}

// fakeEnv is a LookupEnv over a map.
func fakeEnv(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

// stamp is the capture time of the fixtures, Nov 29 05:35:55.
var stamp = time.Date(2025, time.November, 29, 5, 35, 55, 0, time.UTC)

func fixedClock(t time.Time) func() time.Time { return func() time.Time { return t } }

// events records the order of side effects during Fatal/Panic.
type events struct {
	mu  sync.Mutex
	log []string
}

func (e *events) add(s string) { e.mu.Lock(); e.log = append(e.log, s); e.mu.Unlock() }
func (e *events) String() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return strings.Join(e.log, ",")
}

// lockedBuffer lets a test read stderr copies while hooks run.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// stderrLogger logs only to a buffer: syslog points at a missing socket.
func stderrLogger(t *testing.T, ev *events) (*Logger, *lockedBuffer) {
	t.Helper()
	buf := &lockedBuffer{}
	l := New(Options{
		ProcessName: "/usr/libexec/postfix/smtp",
		Pid:         42,
		LookupEnv:   fakeEnv(nil),
		SyslogPath:  filepath.Join(shortDir(t), "missing"),
		Stderr:      buf,
		Exit:        func(n int) { ev.add("exit:" + string(rune('0'+n))) },
		Sleep:       func(d time.Duration) { ev.add("sleep:" + d.String()) },
		Abort:       func() { ev.add("abort") },
	})
	if err := l.Configure(Settings{SyslogName: "postfix", SyslogFacility: "mail", Stderr: true}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l, buf
}
