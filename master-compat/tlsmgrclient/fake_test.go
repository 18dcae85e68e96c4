package tlsmgrclient

import (
	"bytes"
	"context"
	"io"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/postfix-go/postfix-go/internal/tlsmgrproto"
	"github.com/postfix-go/postfix-go/master-compat/attr"
)

// fakeMgr is a tlsmgr stand-in on <dir>/private/tlsmgr. It records each
// request's raw bytes and answers with what reply returns (nil: hang up).
type fakeMgr struct {
	dir   string
	ln    net.Listener
	reply func(req tlsmgrproto.MgrRequest) []byte

	mu      sync.Mutex
	raw     [][]byte
	accepts int
}

func newFake(t *testing.T, reply func(req tlsmgrproto.MgrRequest) []byte) *fakeMgr {
	t.Helper()
	dir := t.TempDir()
	f := &fakeMgr{dir: dir, reply: reply}
	f.listen(t)
	return f
}

func (f *fakeMgr) listen(t *testing.T) {
	t.Helper()
	os.MkdirAll(filepath.Join(f.dir, "private"), 0o755)
	ln, err := net.Listen("unix", filepath.Join(f.dir, "private", "tlsmgr"))
	if err != nil {
		t.Fatal(err)
	}
	f.ln = ln
	t.Cleanup(func() { ln.Close() })
	go f.serve(ln)
}

func (f *fakeMgr) serve(ln net.Listener) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		f.mu.Lock()
		f.accepts++
		f.mu.Unlock()
		go f.session(c)
	}
}

func (f *fakeMgr) session(c net.Conn) {
	defer c.Close()
	c.Write(tlsmgrproto.AppendAnnounce(nil, tlsmgrproto.Protocol))
	var rec bytes.Buffer
	sc := attr.NewScanner(io.TeeReader(c, &rec), "fake", nil)
	for {
		req, err := tlsmgrproto.DecodeMgrRequest(sc)
		if err != nil {
			return
		}
		f.mu.Lock()
		f.raw = append(f.raw, bytes.Clone(rec.Bytes()))
		f.mu.Unlock()
		rec.Reset()
		out := f.reply(req)
		if out == nil {
			return
		}
		c.Write(out)
	}
}

func (f *fakeMgr) requests() [][]byte {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([][]byte(nil), f.raw...)
}

// store is a working in-memory tlsmgr: policy cachable with 3600 s,
// sessions by cache type and id, one ticket key valid for an hour.
func store(key tlsmgrproto.TicketKey) func(req tlsmgrproto.MgrRequest) []byte {
	var mu sync.Mutex
	m := map[string][]byte{}
	return func(req tlsmgrproto.MgrRequest) []byte {
		mu.Lock()
		defer mu.Unlock()
		r := tlsmgrproto.MgrReply{Status: tlsmgrproto.MgrStatOK}
		k := req.CacheType + "\x00" + req.CacheID
		switch req.Name {
		case tlsmgrproto.MgrPolicy:
			r.Cachable, r.Timeout = 1, 3600
		case tlsmgrproto.MgrSeed:
			r.Data = make([]byte, req.Size)
		case tlsmgrproto.MgrUpdate:
			m[k] = req.Session
		case tlsmgrproto.MgrLookup, tlsmgrproto.MgrDelete:
			v, ok := m[k]
			if !ok {
				r.Status = tlsmgrproto.MgrStatErr
			} else if req.Name == tlsmgrproto.MgrLookup {
				r.Data = v
			} else {
				delete(m, k)
			}
		case tlsmgrproto.MgrTktKey:
			r.Data, _ = key.AppendBinary(nil)
		}
		return r.Append(nil, req.Name)
	}
}

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// recorder collects warnings and sleeps.
type recorder struct {
	mu     sync.Mutex
	warns  []string
	sleeps []time.Duration
}

func (r *recorder) warn(s string) { r.mu.Lock(); defer r.mu.Unlock(); r.warns = append(r.warns, s) }
func (r *recorder) sleep(_ context.Context, d time.Duration) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.sleeps = append(r.sleeps, d)
	return nil
}
func (r *recorder) take() ([]string, []time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	w, s := r.warns, r.sleeps
	r.warns, r.sleeps = nil, nil
	return w, s
}

func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// decodeFixture decodes a captured request, for its values.
func decodeFixture(t testing.TB, name string) tlsmgrproto.MgrRequest {
	t.Helper()
	r, err := tlsmgrproto.DecodeMgrRequest(attr.NewScanner(bytes.NewReader(fixture(t, name)), "fixture", nil))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func (f *fakeMgr) conns() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.accepts
}
