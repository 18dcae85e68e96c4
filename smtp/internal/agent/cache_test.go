package agent

import (
	"bufio"
	"fmt"
	"net"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/postfix-go/postfix-go/smtp/internal/deliver"
	"github.com/postfix-go/postfix-go/smtp/internal/smtpwire"
)

// The examples of vectors/scache-dest-cache.txt and
// scache-labels-sasl-tls.txt.
func TestCacheLabelsAndProps(t *testing.T) {
	if got := destLabel("smtp", "[127.0.2.2]:12026"); got != "smtp\n[127.0.2.2]:12026\n" {
		t.Errorf("dest label %q", got)
	}
	if got := endpLabel("smtp", "[127.0.2.2]:12026", "127.0.2.2", 12026, 1); got != "smtp\n127.0.2.2\n12026\n1\n" {
		t.Errorf("endp label %q", got)
	}
	var b strings.Builder
	labelField(&b, "a*b@x.test")
	labelField(&b, "")
	labelField(&b, "x\ny")
	if got := b.String(); got != "YSpiQHgudGVzdA==\n*\neAp5\n" {
		t.Errorf("fields %q", got)
	}
	dp := destProps("[127.0.2.2]:12026", "127.0.2.2", "127.0.2.2", smtpwire.FeatureBestMX|smtpwire.FeatureESMTP)
	if dp != "destination=[127.0.2.2]:12026\nhost_name=127.0.2.2\nhost_addr=127.0.2.2\ndestination_features=4096\n\n" {
		t.Errorf("dest props %q", dp)
	}
	// 34695 plus BEST_MX and FROM_CACHE, which are not stored.
	ep := endpProps(1, 0, 34695|smtpwire.FeatureBestMX|smtpwire.FeatureFromCache|smtpwire.FeatureRSETRejected, 1795930729, nil)
	if ep != "tls_level=1\nreuse_count=0\nendpoint_features=34695\nexpire_time=1795930729\n\n" {
		t.Errorf("endp props %q", ep)
	}
	e, tls, ok := parseEndpProps(ep)
	if !ok || tls != nil || e != (cachedEndp{1, 0, 34695, 1795930729}) {
		t.Errorf("parse endp %+v %v %v", e, tls, ok)
	}
	d, ok := parseDestProps(dp)
	if !ok || d != (cachedDest{"[127.0.2.2]:12026", "127.0.2.2", "127.0.2.2", 4096}) {
		t.Errorf("parse dest %+v %v", d, ok)
	}
	// Unknown names are skipped; a broken TLS context, or none above
	// "may", makes the session unusable.
	for _, bad := range []string{"", "tls_level=1\n\n",
		"tls_level=1\nx=y\nreuse_count=2\nendpoint_features=1\nexpire_time=5\n\npeer_CN=\n\n",
		"tls_level=2\nreuse_count=2\nendpoint_features=1\nexpire_time=5\n\n", "reuse_count=0\ntls_level=1\nendpoint_features=1\nexpire_time=5\n\n",
		"tls_level=x\nreuse_count=0\nendpoint_features=1\nexpire_time=5\n\n"} {
		if _, _, ok := parseEndpProps(bad); ok {
			t.Errorf("accepted %q", bad)
		}
	}
	if !matchCacheDest([]string{"Example.com", "127.0.0.1"}, "127.0.0.1") || matchCacheDest([]string{"!127.0.0.1", "127.0.0.1"}, "127.0.0.1") ||
		matchCacheDest([]string{"[127.0.0.1]:25"}, "127.0.0.1") {
		t.Error("matchCacheDest")
	}
}

// fakeCache is an in-memory scache: FIFO per endpoint label, bindings
// from destination labels to endpoint labels.
type fakeCache struct {
	t     *testing.T
	mu    sync.Mutex
	endp  map[string][]cachedConn
	dest  map[string][2]string // dest label -> dest props, endp label
	ops   []string
	saved []string // endpoint property strings saved
}

type cachedConn struct {
	prop string
	fd   int
}

func newFakeCache(t *testing.T) *fakeCache {
	c := &fakeCache{t: t, endp: map[string][]cachedConn{}, dest: map[string][2]string{}}
	t.Cleanup(func() {
		for _, l := range c.endp {
			for _, cc := range l {
				unix.Close(cc.fd)
			}
		}
	})
	return c
}

func (c *fakeCache) op(s string) { c.ops = append(c.ops, s) }

func (c *fakeCache) take(label string) (string, int, bool) {
	l := c.endp[label]
	if len(l) == 0 {
		return "", -1, false
	}
	c.endp[label] = l[1:]
	return l[0].prop, l[0].fd, true
}

func (c *fakeCache) FindDest(label string) (string, string, int, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.op("find_dest " + label)
	b, ok := c.dest[label]
	if !ok {
		return "", "", -1, false
	}
	ep, fd, ok := c.take(b[1])
	return b[0], ep, fd, ok
}

func (c *fakeCache) FindEndp(label string) (string, int, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.op("find_endp " + label)
	return c.take(label)
}

func (c *fakeCache) SaveDest(ttl int, dl, dp, el string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.op(fmt.Sprintf("save_dest %d %s", ttl, dl))
	c.dest[dl] = [2]string{dp, el}
}

func (c *fakeCache) SaveEndp(ttl int, label, prop string, fd int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.op(fmt.Sprintf("save_endp %d %s", ttl, label))
	fl, err := unix.FcntlInt(uintptr(fd), unix.F_GETFL, 0)
	if err != nil || fl&unix.O_NONBLOCK != 0 {
		c.t.Errorf("saved fd %d flags %o err %v: not blocking", fd, fl, err)
	}
	nfd, err := unix.Dup(fd)
	if err != nil {
		c.t.Fatal(err)
	}
	unix.Close(fd) // as the real client does
	c.endp[label] = append(c.endp[label], cachedConn{prop, nfd})
	c.saved = append(c.saved, prop)
}

// multiServer is an SMTP server for many connections; rset is the RSET
// reply ("hangup" closes the connection).
type multiServer struct {
	ln    net.Listener
	rset  string
	mu    sync.Mutex
	conns int
	cmds  []string
	msgs  int
}

func startMulti(t *testing.T, rset string) *multiServer {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &multiServer{ln: ln, rset: rset}
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s.mu.Lock()
			s.conns++
			s.mu.Unlock()
			wg.Add(1)
			go func() { defer wg.Done(); defer c.Close(); s.serve(c) }()
		}
	}()
	t.Cleanup(func() { ln.Close() })
	return s
}

func (s *multiServer) port() int { return s.ln.Addr().(*net.TCPAddr).Port }

func (s *multiServer) serve(c net.Conn) {
	br := bufio.NewReader(c)
	say := func(text string) { fmt.Fprintf(c, "%s\r\n", text) }
	say("220 multi.test ESMTP")
	for {
		c.SetReadDeadline(time.Now().Add(10 * time.Second))
		line, err := br.ReadString('\n')
		if err != nil {
			return
		}
		cmd := strings.TrimRight(line, "\r\n")
		s.mu.Lock()
		s.cmds = append(s.cmds, cmd)
		s.mu.Unlock()
		switch strings.SplitN(strings.SplitN(cmd, ":", 2)[0], " ", 2)[0] {
		case "EHLO":
			say("250-multi.test\r\n250-PIPELINING\r\n250-8BITMIME\r\n250 DSN")
		case "RSET":
			if s.rset == "hangup" {
				return
			}
			if s.rset != "" {
				say(s.rset)
			} else {
				say("250 2.0.0 Ok")
			}
		case "MAIL":
			say("250 2.1.0 Ok")
		case "RCPT":
			say("250 2.1.5 Ok")
		case "DATA":
			say("354 go ahead")
			for {
				l, err := br.ReadString('\n')
				if err != nil {
					return
				}
				if l == ".\r\n" {
					break
				}
			}
			s.mu.Lock()
			s.msgs++
			s.mu.Unlock()
			say("250 2.0.0 Ok")
		case "QUIT":
			say("221 2.0.0 Bye")
			return
		default:
			say("502 5.5.2 Error")
		}
	}
}

func (s *multiServer) stats() (conns, msgs int, cmds []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.conns, s.msgs, append([]string(nil), s.cmds...)
}

func cacheConfig(mut func(*CacheConfig)) Config {
	cfg := testConfig()
	cfg.Cache = CacheConfig{Service: "smtp", Destinations: []string{"127.0.0.1"}, TimeLimit: 2,
		ReuseTimeLimit: 300 * time.Second, TLSLevel: 1}
	if mut != nil {
		mut(&cfg.Cache)
	}
	return cfg
}

// deliverN runs n one-recipient requests through one agent and returns
// the log.
func deliverN(t *testing.T, cfg Config, cache *fakeCache, port, n int, flags deliver.Flags) *harness {
	t.Helper()
	h := newHarness(cfg)
	h.agent.Cache = cache
	for i := 0; i < n; i++ {
		req := testRequest(port, fmt.Sprintf("r%d@example.com", i))
		req.Flags |= flags
		if reply := h.deliver(req); reply.Status != deliver.StatFinal {
			t.Fatalf("delivery %d: %+v\n%s", i, reply, h.log)
		}
	}
	if k := h.status.kinds(); len(k) != n {
		t.Errorf("status calls %v", k)
	}
	for a, k := range h.status.kinds() {
		if k != "sent" {
			t.Errorf("%s: %s", a, k)
		}
	}
	return h
}

func connUses(log string) []string {
	var out []string
	for _, m := range regexp.MustCompile(`relay=\S+, (conn_use=\d+, )?delay=`).FindAllStringSubmatch(log, -1) {
		out = append(out, strings.TrimSuffix(m[1], ", "))
	}
	return out
}

func TestCacheReuse(t *testing.T) {
	srv := startMulti(t, "")
	cache := newFakeCache(t)
	h := deliverN(t, cacheConfig(nil), cache, srv.port(), 4, 0)
	conns, msgs, cmds := srv.stats()
	if conns != 1 || msgs != 4 {
		t.Errorf("%d connections, %d messages; want 1, 4; %q", conns, msgs, cmds)
	}
	if got := strings.Join(connUses(h.log.String()), ","); got != ",conn_use=2,conn_use=3,conn_use=4" {
		t.Errorf("conn_use %q\n%s", got, h.log)
	}
	if strings.Contains(strings.Join(cmds, " "), "QUIT") {
		t.Errorf("QUIT sent to a cached session: %q", cmds)
	}
	dl := fmt.Sprintf("smtp\n[127.0.0.1]:%d\n", srv.port())
	el := fmt.Sprintf("smtp\n127.0.0.1\n%d\n1\n", srv.port())
	wantOps := []string{"find_dest " + dl, "find_endp " + el, "save_dest 2 " + dl, "save_endp 2 " + el,
		"find_dest " + dl, "save_dest 2 " + dl, "save_endp 2 " + el}
	if got := cache.ops[:7]; strings.Join(got, "|") != strings.Join(wantOps, "|") {
		t.Errorf("ops\n got %q\nwant %q", got, wantOps)
	}
	for i, p := range cache.saved {
		if !strings.HasPrefix(p, fmt.Sprintf("tls_level=1\nreuse_count=%d\nendpoint_features=32775\nexpire_time=", i)) {
			t.Errorf("saved props %d: %q", i, p)
		}
	}
	if strings.Contains(h.log.String(), "warning") {
		t.Errorf("warnings:\n%s", h.log)
	}
}

func TestCacheReuseCountLimit(t *testing.T) {
	srv := startMulti(t, "")
	cache := newFakeCache(t)
	h := deliverN(t, cacheConfig(func(c *CacheConfig) { c.ReuseCountLimit = 2 }), cache, srv.port(), 5, 0)
	conns, msgs, cmds := srv.stats()
	// Uses 1,2,3 on the first connection (QUIT at the third), 1,2 on the second.
	if got := strings.Join(connUses(h.log.String()), ","); got != ",conn_use=2,conn_use=3,,conn_use=2" || conns != 2 || msgs != 5 {
		t.Errorf("conn_use %q, %d connections; %q", got, conns, cmds)
	}
	for _, p := range cache.saved {
		if strings.Contains(p, "reuse_count=2") {
			t.Errorf("saved a session at the limit: %q", p)
		}
	}
}

func TestCacheReuseTimeLimit(t *testing.T) {
	srv := startMulti(t, "")
	cache := newFakeCache(t)
	// Already expired at the end of data: QUIT, nothing saved.
	h := deliverN(t, cacheConfig(func(c *CacheConfig) { c.ReuseTimeLimit = -2 * time.Second }), cache, srv.port(), 2, 0)
	// The agent does not wait for the reply to QUIT (skip_quit_response),
	// so the server may read it a moment after the delivery returned.
	conns, _, cmds := srv.stats()
	for deadline := time.Now().Add(5 * time.Second); strings.Count(strings.Join(cmds, " "), "QUIT") < 2 && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
		conns, _, cmds = srv.stats()
	}
	if conns != 2 || len(cache.saved) != 0 || strings.Count(strings.Join(cmds, " "), "QUIT") != 2 {
		t.Errorf("%d connections, saved %q, %q\n%s", conns, cache.saved, cmds, h.log)
	}
}

func TestCacheRSETProbeFails(t *testing.T) {
	for _, mode := range []string{"450 4.3.2 busy", "hangup"} {
		t.Run(mode, func(t *testing.T) {
			srv := startMulti(t, mode)
			cache := newFakeCache(t)
			h := newHarness(cacheConfig(nil))
			h.agent.Cache = cache
			// Two cached connections: one bound to the destination,
			// one by endpoint only.
			for i := 0; i < 2; i++ {
				s := &delivery{a: h.agent, req: testRequest(srv.port(), "x@example.com")}
				dst, _ := parseNexthop(s.req.Nexthop)
				conn, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", srv.port()))
				if err != nil {
					t.Fatal(err)
				}
				bufio.NewReader(conn).ReadString('\n')
				ss := newSession(s, conn, dst)
				ss.nexthop, ss.tlsLevel, ss.expire, ss.kept = s.req.Nexthop, 1, time.Now().Add(time.Minute), true
				if i == 0 {
					s.reqNexthop = s.req.Nexthop
				}
				s.save(ss)
			}
			h.deliver(testRequest(srv.port(), "bob@example.com"))
			if k := h.status.kinds(); k["bob@example.com"] != "sent" {
				t.Errorf("status %v", k)
			}
			log := h.log.String()
			if n := len(strings.Split(log, "\n")); n != 1 || strings.Contains(log, "conn_use") {
				t.Errorf("log:\n%s", log)
			}
			conns, msgs, _ := srv.stats()
			if conns != 3 || msgs != 1 {
				t.Errorf("%d connections, %d messages", conns, msgs)
			}
			ops := strings.Join(cache.ops, "|")
			if !regexp.MustCompile(`find_dest [^|]*\|find_endp [^|]*\|save_dest`).MatchString(ops) {
				t.Errorf("ops %q", cache.ops)
			}
			if _, fd, ok := cache.FindEndp(fmt.Sprintf("smtp\n127.0.0.1\n%d\n1\n", srv.port())); !ok {
				t.Error("the new session was not saved")
			} else {
				unix.Close(fd)
			}
		})
	}
}

func TestCacheOnDemand(t *testing.T) {
	noDest := func(c *CacheConfig) { c.Destinations = nil; c.OnDemand = true }
	srv := startMulti(t, "")
	cache := newFakeCache(t)
	deliverN(t, cacheConfig(noDest), cache, srv.port(), 2, 0)
	if len(cache.ops) != 0 {
		t.Errorf("cache used without flags: %q", cache.ops)
	}
	cache = newFakeCache(t)
	deliverN(t, cacheConfig(noDest), cache, srv.port(), 1, deliver.FlagConnStore)
	if len(cache.ops) != 2 || !strings.HasPrefix(cache.ops[0], "save_dest") {
		t.Errorf("STORE only: %q", cache.ops)
	}
	h := deliverN(t, cacheConfig(noDest), cache, srv.port(), 1, deliver.FlagConnLoad)
	if !strings.Contains(h.log.String(), "conn_use=2") || !strings.HasPrefix(cache.ops[2], "find_dest") {
		t.Errorf("LOAD: %q\n%s", cache.ops, h.log)
	}
	// LOAD without STORE: a reused session is still saved back.
	if last := cache.ops[len(cache.ops)-1]; !strings.HasPrefix(last, "save_endp") {
		t.Errorf("reused session not saved back: %q", cache.ops)
	}
	if conns, _, _ := srv.stats(); conns != 3 {
		t.Errorf("%d connections, want 3", conns)
	}
}
