package statusclient

import (
	"bufio"
	"bytes"
	"context"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// fixture reads a testdata file copied from the spec's captures.
func fixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Announcements and replies used by the fake servers.
const (
	statusOK    = "status\x000\x00\x00"
	statusMinus = "status\x004294967295\x00\x00"
)

// handler serves one accepted connection of a fake server; n counts
// connections from 1.
type handler func(t *testing.T, n int, c *net.UnixConn)

// fake is a fake status server on a unix socket under a temp queue dir.
type fake struct {
	mu       sync.Mutex
	requests [][]byte // one raw request list per connection that sent one
}

// serve listens on dir/class/service and runs h for each connection.
func (f *fake) serve(t *testing.T, dir, class, service string, h handler) {
	t.Helper()
	if err := os.MkdirAll(filepath.Join(dir, class), 0o755); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("unix", filepath.Join(dir, class, service))
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for n := 1; ; n++ {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func(n int) {
				defer wg.Done()
				defer c.Close()
				c.SetDeadline(time.Now().Add(10 * time.Second))
				h(t, n, c.(*net.UnixConn))
			}(n)
		}
	}()
}

// got returns the request lists received so far.
func (f *fake) got() [][]byte {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([][]byte(nil), f.requests...)
}

// replay is the normal server: announce, read one request list, reply.
func (f *fake) replay(announce, reply string) handler {
	return func(t *testing.T, _ int, c *net.UnixConn) {
		if _, err := c.Write([]byte(announce)); err != nil {
			return
		}
		if !f.read(c) {
			return
		}
		c.Write([]byte(reply))
	}
}

// read reads one attr0 request list raw and records it; false on EOF.
func (f *fake) read(c *net.UnixConn) bool {
	req, err := readList(bufio.NewReader(c))
	if err != nil {
		return false
	}
	f.mu.Lock()
	f.requests = append(f.requests, req)
	f.mu.Unlock()
	return true
}

// readList reads name NUL value NUL … NUL and returns the bytes.
func readList(r *bufio.Reader) ([]byte, error) {
	var buf bytes.Buffer
	for {
		name, err := r.ReadBytes(0)
		if err != nil {
			return nil, err
		}
		buf.Write(name)
		if len(name) == 1 {
			return buf.Bytes(), nil
		}
		value, err := r.ReadBytes(0)
		if err != nil {
			return nil, err
		}
		buf.Write(value)
	}
}

// warnings collects Config.Warn texts.
type warnings struct {
	mu    sync.Mutex
	texts []string
}

func (w *warnings) warn(s string) {
	w.mu.Lock()
	w.texts = append(w.texts, s)
	w.mu.Unlock()
}

func (w *warnings) all() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]string(nil), w.texts...)
}

// sleeps records injected pauses instead of sleeping; each may run hook.
type sleeps struct {
	mu   sync.Mutex
	got  []time.Duration
	hook func(n int)
}

func (s *sleeps) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.got = append(s.got, d)
	n := len(s.got)
	hook := s.hook
	s.mu.Unlock()
	if hook != nil {
		hook(n)
	}
	return ctx.Err()
}

// newTestClient returns a client rooted at a fresh temp queue dir, with
// recorded warnings and sleeps and a short I/O timeout.
func newTestClient(t *testing.T, cfg Config) (*Client, string, *warnings, *sleeps) {
	t.Helper()
	w, s := &warnings{}, &sleeps{}
	if cfg.Dir == "" {
		// Unix socket paths are limited to 108 bytes; t.TempDir() names
		// can be long, so use a short directory of our own.
		dir, err := os.MkdirTemp("", "sc")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.RemoveAll(dir) })
		cfg.Dir = dir
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 5 * time.Second
	}
	cfg.Warn = w.warn
	cfg.Sleep = s.sleep
	return New(cfg), cfg.Dir, w, s
}
