package proxymap

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"sync/atomic"
	"testing"
	"time"
)

// No socket: each try warns like mail_connect_wait, then the client is
// quiet for Recheck, after which a single try is made.
func TestServiceDown(t *testing.T) {
	f := newFake(t, server(0, nil))
	os.Remove(filepath.Join(f.dir, "private", "proxymap"))
	var w warnings
	now := time.Unix(1e9, 0)
	c := testClient(f, &w, &now)
	tab := c.Table("hash:/t", smtpFlags, true)
	if _, _, err := tab.Lookup(context.Background(), "k"); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("err %v", err)
	}
	want := []string{"connect #1 to subsystem private/proxymap: No such file or directory",
		"connect #2 to subsystem private/proxymap: No such file or directory"}
	if got := w.get(); !slices.Equal(got, want) {
		t.Errorf("warnings %q", got)
	}
	now = now.Add(5 * time.Second)
	if _, _, err := tab.Lookup(context.Background(), "k"); err != ErrUnavailable || len(w.get()) != 2 {
		t.Errorf("during recheck: %v %q", err, w.get())
	}
	now = now.Add(DefaultRecheck)
	if _, _, err := tab.Lookup(context.Background(), "k"); !errors.Is(err, ErrUnavailable) || len(w.get()) != 2 {
		t.Errorf("after recheck: %v %q", err, w.get())
	}
}

// A server that hangs up after each reply (proxymap's max_use, idle
// exit) costs a reconnect but no warning and no failed try; so does an
// idle connection.
func TestReconnect(t *testing.T) {
	var hang atomic.Bool
	f := newFake(t, func(req map[string]string) []byte {
		if req["request"] == ReqLookup && hang.CompareAndSwap(true, false) {
			return nil
		}
		return server(FlagFixed, map[string]string{"k": "v"})(req)
	})
	var w warnings
	now := time.Unix(1e9, 0)
	c := testClient(f, &w, &now)
	defer c.Close()
	tab := c.Table("hash:/t", smtpFlags, true)
	get := func() {
		t.Helper()
		if v, ok, err := tab.Lookup(context.Background(), "k"); v != "v" || !ok || err != nil {
			t.Fatalf("lookup %q %v %v", v, ok, err)
		}
	}
	get()
	now = now.Add(DefaultIdleLimit) // idle: new connection
	get()
	hang.Store(true) // EOF on the first try: quiet retry
	get()
	if got := w.get(); len(got) != 0 || f.accepted() != 3 {
		t.Errorf("warnings %q accepts %d", got, f.accepted())
	}
	// Exactly one open request in all of this.
	opens := 0
	for _, r := range f.requests() {
		if r[:len("request\x00open")] == "request\x00open" {
			opens++
		}
	}
	if opens != 1 {
		t.Errorf("%d open requests", opens)
	}
}

func TestBadAnnouncement(t *testing.T) {
	f := newFakeAnnouncing(t, "tlsmgr_protocol", server(0, nil))
	var w warnings
	now := time.Unix(1e9, 0)
	c := testClient(f, &w, &now)
	if _, _, err := c.Table("hash:/t", 0, false).Lookup(context.Background(), "k"); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("err %v", err)
	}
	want := "unexpected protocol tlsmgr_protocol from private/proxymap (expected: proxymap_protocol)"
	if got := w.get(); len(got) == 0 || got[0] != want {
		t.Errorf("warnings %q", got)
	}
}

// The UTF-8 layer refuses a malformed key without asking the server.
func TestNonUTF8Key(t *testing.T) {
	f := newFake(t, server(FlagFixed, nil))
	var w warnings
	now := time.Unix(1e9, 0)
	c := testClient(f, &w, &now)
	defer c.Close()
	v, found, err := c.Table("hash:/t", smtpFlags, true).Lookup(context.Background(), "a\xffb")
	if v != "" || found || err != nil {
		t.Fatalf("lookup %q %v %v", v, found, err)
	}
	want := "proxy:hash:/t: non-UTF-8 key \"a\xffb\": malformed UTF-8 or invalid codepoint"
	if got := w.get(); !slices.Equal(got, []string{want}) || len(f.requests()) != 1 {
		t.Errorf("warnings %q requests %q", got, f.requests())
	}
}
