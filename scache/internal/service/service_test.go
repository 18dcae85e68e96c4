package service

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/postfix-go/postfix-go/internal/socktest"
	"github.com/postfix-go/postfix-go/master-compat/attr"
	"github.com/postfix-go/postfix-go/master-compat/fdpass"
	"github.com/postfix-go/postfix-go/scache/internal/cache"
)

// testLog collects warnings from the server goroutine.
type testLog struct {
	mu    sync.Mutex
	lines []string
}

func (l *testLog) Warnf(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, fmt.Sprintf(format, args...))
}

func (l *testLog) got() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.lines...)
}

func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// rig is a server Conn on one end of a socket pair and the raw client end.
type rig struct {
	t      testing.TB
	client *net.UnixConn
	log    *testLog
	done   chan error
}

func newRig(t *testing.T, store Store) *rig { return newRigTB(t, store) }

func newRigB(b *testing.B) *rig { return newRigTB(b, newCache()) }

func newRigTB(t testing.TB, store Store) *rig {
	srv, cli := socktest.Pair(t)
	r := &rig{t: t, client: cli, log: &testLog{}, done: make(chan error, 1)}
	c, err := New(srv, StreamName("scache"), store, r.log, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		defer srv.Close()
		if err := c.Announce(); err != nil {
			r.done <- err
			return
		}
		for {
			if err := c.WaitRequest(); err != nil {
				r.done <- nil
				return
			}
			if err := c.Serve(); err != nil && err != io.EOF {
				r.done <- err
				return
			}
		}
	}()
	t.Cleanup(func() { cli.Close(); <-r.done })
	r.expect(fixture(t, "scache-announce.bin"))
	return r
}

func (r *rig) send(b []byte) {
	r.t.Helper()
	if _, err := r.client.Write(b); err != nil {
		r.t.Fatal(err)
	}
}

func (r *rig) expect(want []byte) {
	r.t.Helper()
	r.client.SetReadDeadline(time.Now().Add(5 * time.Second))
	got := make([]byte, len(want))
	if _, err := io.ReadFull(r.client, got); err != nil {
		r.t.Fatalf("reading %d bytes: %v (got %q)", len(want), err, got)
	}
	if !bytes.Equal(got, want) {
		r.t.Fatalf("reply\n%q\nwant\n%q", got, want)
	}
}

func (r *rig) raw() interface {
	Read(func(uintptr) bool) error
	Write(func(uintptr) bool) error
	Control(func(uintptr)) error
} {
	rc, err := r.client.SyscallConn()
	if err != nil {
		r.t.Fatal(err)
	}
	return rc
}

func newCache() *cache.Cache { return cache.New(cache.Config{TTLLimit: 2}) }

// TestRepliesMatchStock replays requests captured from stock clients and
// probes and compares our replies with the stock scache's, byte for byte.
func TestRepliesMatchStock(t *testing.T) {
	for _, name := range []string{"find_dest-miss", "find_endp-miss", "save_dest", "bad-request",
		"find_endp-nolabel", "find_endp-extra-attr", "wrong-order"} {
		t.Run(name, func(t *testing.T) {
			r := newRig(t, newCache())
			r.send(fixture(t, "scache-"+name+".request.bin"))
			r.expect(fixture(t, "scache-"+name+".reply.bin"))
		})
	}
}

func TestSaveEndpWithoutDescriptor(t *testing.T) {
	r := newRig(t, newCache())
	req := fixture(t, "scache-save_endp-nofd.request.bin")
	reply := fixture(t, "scache-save_endp-nofd.reply.bin")
	r.send(req[:len(req)-1])
	r.expect(reply[:8]) // dummy
	r.send(req[len(req)-1:])
	r.expect(reply[8:]) // status=2
	if len(r.log.got()) != 1 {
		t.Errorf("warnings %q", r.log.got())
	}
}

// splitList returns the attributes of the first attr0 list in b.
func decode(t *testing.T, b []byte, wants ...attr.Want) {
	t.Helper()
	s := attr.NewScanner(bytes.NewReader(b), "fixture", nil)
	if n, err := s.Scan(attr.Strict|attr.More, wants...); err != nil || n != len(wants) {
		t.Fatalf("decode fixture: n=%d err=%v", n, err)
	}
}

// TestSaveThenFindMatchesStock stores a pipe end through save_endp and
// save_dest exactly as stock smtp sends them, then finds it by destination
// and checks the reply bytes (including the descriptor-carrying NUL) and
// that the descriptor works.
func TestSaveThenFindMatchesStock(t *testing.T) {
	r := newRig(t, newCache())
	var p [2]int
	if err := unix.Pipe(p[:]); err != nil {
		t.Fatal(err)
	}
	defer unix.Close(p[0])

	// save_endp with the endpoint property the find_dest-hit reply carries.
	var destProp, endpProp, ttl, destLabel, endpLabel string
	hit := fixture(t, "scache-find_dest-hit.reply.bin")
	decode(t, hit, attr.Str("status", new(string)), attr.Str("property", &destProp), attr.Str("property", &endpProp))
	decode(t, fixture(t, "scache-find_dest-hit.request.bin"), attr.Str("request", new(string)), attr.Str("label", &destLabel))
	decode(t, fixture(t, "scache-save_dest.request.bin"), attr.Str("request", new(string)), attr.Str("ttl", &ttl),
		attr.Str("label", new(string)), attr.Str("property", new(string)), attr.Str("label", &endpLabel))

	r.send(new(attr.List).Str("request", "save_endp").Str("ttl", ttl).Str("label", endpLabel).Str("property", endpProp).Bytes())
	r.expect([]byte("dummy\x00\x00\x00"))
	if err := fdpass.Send(r.raw(), p[1]); err != nil {
		t.Fatal(err)
	}
	unix.Close(p[1])
	r.expect([]byte("status\x000\x00\x00"))
	r.send(new(attr.List).Str("request", "save_dest").Str("ttl", ttl).Str("label", destLabel).Str("property", destProp).Str("label", endpLabel).Bytes())
	r.expect(fixture(t, "scache-save_dest.reply.bin"))

	req := fixture(t, "scache-find_dest-hit.request.bin")
	r.send(req[:49])
	r.expect(hit[:len(hit)-1])
	r.send(req[49:57])
	fd, err := fdpass.Recv(r.raw())
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	// The second dummy glued to the next request, as stock clients do.
	r.send(append(req[57:], fixture(t, "scache-find_dest-miss.request.bin")...))
	r.expect(fixture(t, "scache-find_dest-miss.reply.bin"))
	if _, err := unix.Write(fd, []byte("x")); err != nil {
		t.Fatalf("write through the returned descriptor: %v", err)
	}
	if fl, _ := unix.FcntlInt(uintptr(fd), unix.F_GETFL, 0); fl&unix.O_NONBLOCK != 0 {
		t.Error("the cached descriptor came back non-blocking")
	}
}

// TestClientVanishesMidRequest checks that a client closing in the middle
// of a list gets the stock warnings and the connection is dropped cleanly.
func TestClientVanishesMidRequest(t *testing.T) {
	r := newRig(t, newCache())
	r.send([]byte("request\x00save_endp\x00ttl\x002\x00lab"))
	r.client.CloseWrite()
	select {
	case err := <-r.done:
		if err == nil {
			t.Fatal("server returned no error")
		}
		r.done <- nil
	case <-time.After(5 * time.Second):
		t.Fatal("server did not give up")
	}
	want := []string{
		"unexpected end-of-input from scache socket while reading input attribute name",
		"scache_save_endp_service: bad or missing request parameter",
	}
	if fmt.Sprint(r.log.got()) != fmt.Sprint(want) {
		t.Errorf("warnings %q\nwant %q", r.log.got(), want)
	}
}
