package proxymap

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

	"github.com/postfix-go/postfix-go/master-compat/attr"
)

// fakeProxymap stands in for proxymap(8) on <dir>/private/proxymap. It
// records each request's raw bytes and answers with reply (nil: hang up).
type fakeProxymap struct {
	dir      string
	announce string
	reply    func(req map[string]string) []byte

	mu      sync.Mutex
	raw     []string
	accepts int
}

func newFake(t *testing.T, reply func(req map[string]string) []byte) *fakeProxymap {
	t.Helper()
	return newFakeAnnouncing(t, Protocol, reply)
}

func newFakeAnnouncing(t *testing.T, announce string, reply func(req map[string]string) []byte) *fakeProxymap {
	t.Helper()
	f := &fakeProxymap{dir: t.TempDir(), announce: announce, reply: reply}
	os.MkdirAll(filepath.Join(f.dir, "private"), 0o755)
	ln, err := net.Listen("unix", filepath.Join(f.dir, "private", "proxymap"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go f.serve(ln)
	return f
}

func (f *fakeProxymap) serve(ln net.Listener) {
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

func (f *fakeProxymap) session(c net.Conn) {
	defer c.Close()
	c.Write(attr.AppendEnd(attr.AppendStr(nil, "protocol", f.announce)))
	var rec bytes.Buffer
	sc := attr.NewScanner(io.TeeReader(c, &rec), "fake", nil)
	for {
		var list []attr.Attr
		if _, err := sc.Scan(0, attr.Hash(&list)); err != nil {
			return
		}
		req := map[string]string{}
		for _, a := range list {
			req[a.Name] = a.Value
		}
		f.mu.Lock()
		f.raw = append(f.raw, rec.String())
		f.mu.Unlock()
		rec.Reset()
		out := f.reply(req)
		if out == nil {
			return
		}
		c.Write(out)
	}
}

func (f *fakeProxymap) accepted() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.accepts
}

func (f *fakeProxymap) requests() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.raw...)
}

// openReply and lookupReply encode stock proxymap's replies.
func openReply(status, flags int) []byte {
	return attr.AppendEnd(attr.AppendInt(attr.AppendInt(nil, "status", status), "flags", flags))
}

func lookupReply(status int, value string) []byte {
	return attr.AppendEnd(attr.AppendStr(attr.AppendInt(nil, "status", status), "value", value))
}

// server answers open with flags and lookups from table.
func server(flags int, table map[string]string) func(map[string]string) []byte {
	return func(req map[string]string) []byte {
		if req["request"] == ReqOpen {
			return openReply(StatOK, flags)
		}
		if v, ok := table[req["key"]]; ok {
			return lookupReply(StatOK, v)
		}
		return lookupReply(StatNoKey, "")
	}
}

// warnings collects Warn texts.
type warnings struct {
	mu   sync.Mutex
	list []string
}

func (w *warnings) add(s string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.list = append(w.list, s)
}

func (w *warnings) get() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]string(nil), w.list...)
}

// testClient has no real pauses; clock is a settable time.
func testClient(f *fakeProxymap, w *warnings, clock *time.Time) *Client {
	return New(Config{Dir: f.dir, Warn: w.add, Timeout: 5 * time.Second,
		Sleep: func(context.Context, time.Duration) error { return nil },
		Now:   func() time.Time { return *clock }})
}
