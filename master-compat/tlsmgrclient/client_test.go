package tlsmgrclient

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/postfix-go/postfix-go/internal/tlsmgrproto"
)

// TestRequestsByteExact sends every request kind to a fake that answers
// with the captured stock replies, and compares what the client sent
// with the captured stock requests byte for byte.
func TestRequestsByteExact(t *testing.T) {
	replies := map[string]string{
		tlsmgrproto.MgrSeed: "tlsmgr-seed.reply.bin", tlsmgrproto.MgrPolicy: "tlsmgr-policy.reply.bin",
		tlsmgrproto.MgrUpdate: "tlsmgr-update.reply.bin", tlsmgrproto.MgrDelete: "tlsmgr-delete.reply.bin",
		tlsmgrproto.MgrTktKey: "tlsmgr-tktkey.reply.bin",
	}
	lookups := []string{"tlsmgr-lookup-hit.reply.bin", "tlsmgr-lookup-miss.reply.bin"}
	f := newFake(t, func(req tlsmgrproto.MgrRequest) []byte {
		if req.Name == tlsmgrproto.MgrLookup {
			name := lookups[0]
			lookups = lookups[1:]
			return fixture(t, name)
		}
		return fixture(t, replies[req.Name])
	})
	rec := &recorder{}
	c := New(Config{Dir: f.dir, Warn: rec.warn, Sleep: rec.sleep})
	defer c.Close()
	ctx := context.Background()
	lookup := decodeFixture(t, "tlsmgr-lookup.request.bin")
	update := decodeFixture(t, "tlsmgr-update.request.bin")
	named := decodeFixture(t, "tlsmgr-tktkey-named.request.bin")

	if seed, err := c.Seed(ctx, 32); err != nil || len(seed) != 32 {
		t.Errorf("seed %d bytes, %v", len(seed), err)
	}
	if ok, tout, err := c.Policy(ctx, CacheSMTP); !ok || tout != time.Hour || err != nil {
		t.Errorf("policy %v %v %v", ok, tout, err)
	}
	if s, err := c.Lookup(ctx, CacheSMTP, lookup.CacheID); err != nil || len(s) != 1237 {
		t.Errorf("lookup hit: %d bytes, %v", len(s), err)
	}
	if err := c.Update(ctx, CacheSMTP, update.CacheID, update.Session); err != nil {
		t.Errorf("update: %v", err)
	}
	if s, err := c.Lookup(ctx, CacheSMTP, lookup.CacheID); !errors.Is(err, ErrNotFound) || s != nil {
		t.Errorf("lookup miss: %q, %v", s, err)
	}
	if err := c.Delete(ctx, CacheSMTP, lookup.CacheID); !errors.Is(err, ErrNotFound) {
		t.Errorf("delete of a missing id: %v", err)
	}
	k, err := c.TicketKey(ctx, nil)
	if err != nil || !bytes.Equal(k.Name[:], named.KeyName) {
		t.Errorf("tktkey: %x %v", k.Name, err)
	}
	if _, err := c.TicketKey(ctx, named.KeyName); err != nil {
		t.Errorf("named tktkey: %v", err)
	}
	want := []string{"tlsmgr-seed.request.bin", "tlsmgr-policy.request.bin", "tlsmgr-lookup.request.bin",
		"tlsmgr-update.request.bin", "tlsmgr-lookup.request.bin", "tlsmgr-delete.request.bin",
		"tlsmgr-tktkey.request.bin", "tlsmgr-tktkey-named.request.bin"}
	got := f.requests()
	if len(got) != len(want) {
		t.Fatalf("%d requests, want %d", len(got), len(want))
	}
	for i, name := range want {
		if !bytes.Equal(got[i], fixture(t, name)) {
			t.Errorf("request %d differs from %s:\n got %q\nwant %q", i, name, got[i], fixture(t, name))
		}
	}
	if w, s := rec.take(); len(w)+len(s) != 0 || f.conns() != 1 {
		t.Errorf("warnings %q, sleeps %v, %d connections", w, s, f.conns())
	}
}

// TestUnavailable: with no tlsmgr socket the first request fails as
// stock's attr_clnt does (two connects, one pause, stock warnings); then
// the client stays quiet and does no I/O until Recheck has passed, and a
// restarted tlsmgr is used again after that.
func TestUnavailable(t *testing.T) {
	dir := t.TempDir()
	rec := &recorder{}
	clk := &clock{t: time.Unix(1e9, 0)}
	c := New(Config{Dir: dir, Warn: rec.warn, Sleep: rec.sleep, Now: clk.now})
	ctx := context.Background()
	if _, err := c.Lookup(ctx, CacheSMTP, "x"); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("lookup: %v", err)
	}
	w, s := rec.take()
	noent := "connect to private/tlsmgr: No such file or directory"
	if !slices.Equal(w, []string{noent, noent, "problem talking to server private/tlsmgr: No such file or directory"}) ||
		!slices.Equal(s, []time.Duration{time.Second}) {
		t.Errorf("warnings %q, sleeps %v", w, s)
	}
	if err := c.Update(ctx, CacheSMTP, "x", []byte("y")); !errors.Is(err, ErrUnavailable) {
		t.Errorf("update during outage: %v", err)
	}
	clk.add(DefaultRecheck)
	if _, _, err := c.Policy(ctx, CacheSMTP); !errors.Is(err, ErrUnavailable) {
		t.Errorf("policy at recheck: %v", err)
	}
	if w, s := rec.take(); len(w)+len(s) != 0 {
		t.Errorf("outage not quiet: %q %v", w, s)
	}
	f := &fakeMgr{dir: dir, reply: store(tlsmgrproto.TicketKey{})}
	f.listen(t)
	clk.add(DefaultRecheck)
	if ok, _, err := c.Policy(ctx, CacheSMTP); !ok || err != nil {
		t.Errorf("policy after restart: %v %v", ok, err)
	}
	// The outage is over: a new one is warned about again.
	f.ln.Close()
	c.Close()
	if _, err := c.Seed(ctx, 32); !errors.Is(err, ErrUnavailable) {
		t.Errorf("seed: %v", err)
	}
	if w, _ := rec.take(); len(w) != 3 {
		t.Errorf("second outage warnings %q", w)
	}
}

// TestReconnect: a server hang-up between requests, an idle connection
// and a hang-up during a request are all survived; each gets a new
// connection, and only the last costs a try (silent: no errno) and a
// pause.
func TestReconnect(t *testing.T) {
	var n atomic.Int32
	f := newFake(t, func(req tlsmgrproto.MgrRequest) []byte {
		if n.Add(1) == 3 {
			return nil // hang up instead of answering
		}
		return store(tlsmgrproto.TicketKey{})(req)
	})
	rec := &recorder{}
	clk := &clock{t: time.Unix(1e9, 0)}
	c := New(Config{Dir: f.dir, Warn: rec.warn, Sleep: rec.sleep, Now: clk.now})
	ctx := context.Background()
	for i := 0; i < 3; i++ {
		if _, err := c.Seed(ctx, 8); err != nil {
			t.Fatalf("seed %d: %v", i, err)
		}
		clk.add(DefaultIdleLimit)
	}
	w, s := rec.take()
	if len(w) != 0 || !slices.Equal(s, []time.Duration{time.Second}) || f.conns() != 4 {
		t.Errorf("warnings %q, sleeps %v, %d connections", w, s, f.conns())
	}
}

// TestMalformedReply: a reply that does not parse is FAIL, not an outage.
func TestMalformedReply(t *testing.T) {
	f := newFake(t, func(req tlsmgrproto.MgrRequest) []byte { return []byte("bogus\x00x\x00\x00") })
	rec := &recorder{}
	c := New(Config{Dir: f.dir, Warn: rec.warn, Sleep: rec.sleep})
	if _, err := c.Seed(context.Background(), 8); !errors.Is(err, ErrFail) {
		t.Errorf("seed: %v", err)
	}
	if _, err := c.Seed(context.Background(), 8); !errors.Is(err, ErrFail) {
		t.Errorf("seed again: %v", err)
	}
	if _, err := c.TicketKey(context.Background(), []byte("short")); !errors.Is(err, ErrFail) {
		t.Errorf("short key name: %v", err)
	}
}
