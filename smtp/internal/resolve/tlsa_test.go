package resolve

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"
)

const tlsaHex = "8cb0fc6c527506a053f4f14c8464bebbd6dede2738d11468dd953d7d6a3021f1"

func daneZone() *zone {
	z := newZone(
		"d.test. 300 IN MX 10 mx.d.test.",
		"mx.d.test. 300 IN A 192.0.2.1",
		"_25._tcp.mx.d.test. 30 IN TLSA 3 1 1 "+tlsaHex,
		"_25._tcp.mx.d.test. 30 IN TLSA 2 0 1 "+strings.Repeat("ab", 32),
		"mx.nodane.test. 300 IN A 192.0.2.2",
		"mx.unsigned.test. 300 IN A 192.0.2.3",
		"_25._tcp.mx.unsigned.test. 300 IN TLSA 3 1 1 "+tlsaHex,
		"mx.plain.test. 300 IN A 192.0.2.4",
		"_25._tcp.mx.plain.test. 300 IN TLSA 3 1 1 "+tlsaHex,
		"alias.c.test. 300 IN CNAME real.c.test.",
		"real.c.test. 300 IN A 192.0.2.5",
		"_25._tcp.real.c.test. 300 IN TLSA 3 0 1 "+tlsaHex,
		"_25._tcp.alias.c.test. 300 IN TLSA 3 1 2 "+strings.Repeat("cd", 64),
		"alias2.c.test. 300 IN CNAME bare.c.test.",
		"bare.c.test. 300 IN A 192.0.2.6",
		"_25._tcp.alias2.c.test. 300 IN TLSA 3 1 1 "+tlsaHex,
		"mx.fail.test. 300 IN A 192.0.2.7",
	)
	for _, n := range []string{"d.test.", "mx.d.test.", "_25._tcp.mx.d.test.", "mx.nodane.test.",
		"_25._tcp.mx.unsigned.test.", // signed TLSA in an "unsigned" host zone: never asked
		"alias.c.test.", "real.c.test.", "_25._tcp.real.c.test.", "_25._tcp.alias.c.test.",
		"alias2.c.test.", "bare.c.test.", "_25._tcp.alias2.c.test.", "mx.fail.test."} {
		z.secure[n] = true
	}
	z.rcode["_25._tcp.mx.fail.test."] = dns.RcodeServerFailure
	return z
}

type logRec struct {
	mu    sync.Mutex
	lines []string
}

func (l *logRec) logf(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, fmt.Sprintf(format, args...))
}

func daneResolver(t *testing.T, z *zone, now func() time.Time) (*Resolver, *logRec) {
	t.Helper()
	addr := startServer(t, z)
	cfg := DefaultConfig()
	cfg.Servers = []string{addr}
	cfg.Timeout, cfg.Attempts = time.Second, 1
	cfg.Protocols = IPv4
	cfg.SupportLevel = DNSSEC
	cfg.Randomize = false
	cfg.Now = now
	l := &logRec{}
	cfg.Logf = l.logf
	return New(cfg), l
}

// hostAddr resolves host like smtp_host_addr does and returns its one address.
func hostAddr(t *testing.T, r *Resolver, host string) Addr {
	t.Helper()
	res := r.HostAddrs(context.Background(), host, false)
	if len(res.Addrs) != 1 {
		t.Fatalf("%s: %+v", host, res)
	}
	return res.Addrs[0]
}

func TestDANEAddrFields(t *testing.T) {
	r, _ := daneResolver(t, daneZone(), nil)
	res := r.DomainAddrs(context.Background(), "d.test", false)
	if len(res.Addrs) != 1 {
		t.Fatalf("%+v", res)
	}
	a := res.Addrs[0]
	if a.Host != "mx.d.test" || a.RName != "mx.d.test" || !a.Validated || a.MX == nil {
		t.Fatalf("addr %+v", a)
	}
	if *a.MX != (MX{Host: "mx.d.test", Pref: 10, Validated: true, QName: "d.test", RName: "d.test"}) {
		t.Errorf("MX %+v", *a.MX)
	}
	c := hostAddr(t, r, "alias.c.test")
	if c.Host != "alias.c.test" || c.RName != "real.c.test" || !c.Validated || c.MX != nil {
		t.Errorf("CNAME addr %+v", c)
	}
}

func TestDANELookup(t *testing.T) {
	for _, c := range []struct {
		name, host string
		addr       *Addr // instead of resolving host
		force      bool
		found      bool
		base       string
		recs       []string // "u s m hexprefix"
		err        bool
		warn       string
		queries    int64 // DNS queries made by DANE() itself
	}{
		{name: "secure", host: "mx.d.test", found: true, base: "mx.d.test",
			recs: []string{"3 1 1 8cb0", "2 0 1 abab"}, queries: 1},
		{name: "no TLSA", host: "mx.nodane.test", base: "mx.nodane.test", queries: 1},
		{name: "insecure host: no query", host: "mx.unsigned.test", base: "mx.unsigned.test", queries: 0},
		{name: "forced lookup, unsigned TLSA", host: "mx.plain.test", force: true, base: "mx.plain.test", queries: 1},
		{name: "forced lookup, signed TLSA", host: "mx.unsigned.test", force: true, found: true, base: "mx.unsigned.test",
			recs: []string{"3 1 1 8cb0"}, queries: 1},
		{name: "CNAME target first", host: "alias.c.test", found: true, base: "real.c.test", recs: []string{"3 0 1 8cb0"}, queries: 1},
		{name: "CNAME target without TLSA: qname", host: "alias2.c.test", found: true, base: "alias2.c.test",
			recs: []string{"3 1 1 8cb0"}, queries: 2},
		{name: "SERVFAIL", host: "mx.fail.test", err: true,
			warn: "warning: DANE TLSA lookup problem: Host or domain name not found. Name service error for name=_25._tcp.mx.fail.test type=TLSA: Host not found, try again", queries: 1},
		// An unvalidated address record reached through a validated CNAME:
		// the qname's TLSA records count (qname_secure).
		{name: "insecure rname, secure CNAME", addr: &Addr{Host: "alias2.c.test", RName: "bare.c.test"},
			found: true, base: "alias2.c.test", recs: []string{"3 1 1 8cb0"}, queries: 2},
		{name: "not a CNAME any more", addr: &Addr{Host: "mx.d.test", RName: "other.d.test"}, err: true,
			warn: "warning: DNSSEC status lookup error for mx.d.test: no longer a CNAME", queries: 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			z := daneZone()
			r, l := daneResolver(t, z, nil)
			var a Addr
			if c.addr != nil {
				a = *c.addr
				a.IP = netip.MustParseAddr("192.0.2.9")
			} else {
				a = hostAddr(t, r, c.host)
			}
			before := z.queries.Load()
			res, err := r.DANE(context.Background(), a, 25, c.force)
			if got := z.queries.Load() - before; got != c.queries {
				t.Errorf("%d queries, want %d", got, c.queries)
			}
			if (err != nil) != c.err {
				t.Fatalf("err %v", err)
			}
			if c.warn != "" && (len(l.lines) != 1 || l.lines[0] != c.warn) {
				t.Errorf("log %q, want %q", l.lines, c.warn)
			}
			if c.err {
				return
			}
			if res.Found != c.found || res.BaseDomain != c.base {
				t.Errorf("found=%v base=%q, want %v %q", res.Found, res.BaseDomain, c.found, c.base)
			}
			var got []string
			for _, rr := range res.Records {
				got = append(got, fmt.Sprintf("%d %d %d %x", rr.Usage, rr.Selector, rr.MatchingType, rr.Data[:2]))
			}
			if strings.Join(got, ",") != strings.Join(c.recs, ",") {
				t.Errorf("records %q, want %q", got, c.recs)
			}
		})
	}
}

func TestDANECache(t *testing.T) {
	z := daneZone()
	now := time.Unix(1_700_000_000, 0)
	r, _ := daneResolver(t, z, func() time.Time { return now })
	a := hostAddr(t, r, "mx.d.test")
	ctx := context.Background()
	count := func() int64 { return z.queries.Load() }
	base := count()
	res, err := r.DANE(ctx, a, 25, false)
	if err != nil || !res.Fresh || !res.Found {
		t.Fatalf("first: %+v %v", res, err)
	}
	res, err = r.DANE(ctx, a, 25, false)
	if err != nil || res.Fresh || !res.Found || count() != base+1 {
		t.Fatalf("cached: %+v %v, %d queries", res, err, count()-base)
	}
	// Another port is another name.
	if _, err := r.DANE(ctx, a, 587, false); err != nil || count() != base+2 {
		t.Fatalf("port 587: %v, %d queries", err, count()-base)
	}
	// TTL 30 s (+1): still cached at 31 s, gone after.
	now = now.Add(31 * time.Second)
	if res, _ = r.DANE(ctx, a, 25, false); res.Fresh {
		t.Error("expired early")
	}
	now = now.Add(time.Second)
	if res, _ = r.DANE(ctx, a, 25, false); !res.Fresh || count() != base+3 {
		t.Errorf("not refreshed: %+v, %d queries", res, count()-base)
	}
	// Failures are not cached.
	f := hostAddr(t, r, "mx.fail.test")
	base = count()
	r.DANE(ctx, f, 25, false)
	r.DANE(ctx, f, 25, false)
	if count() != base+2 {
		t.Errorf("failure cached: %d queries", count()-base)
	}
}

func TestDANECacheSize(t *testing.T) {
	z := daneZone()
	r, _ := daneResolver(t, z, nil)
	a := hostAddr(t, r, "mx.d.test")
	for port := uint16(1); port <= tlsaCacheSize+5; port++ {
		if _, err := r.DANE(context.Background(), a, port, false); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(r.tlsa.entries); n != tlsaCacheSize {
		t.Errorf("%d cache entries", n)
	}
}

func TestTLSAReplyFilterKey(t *testing.T) {
	z := daneZone()
	r, _ := daneResolver(t, z, nil)
	var keys []string
	r.cfg.ReplyFilter = func(record string) (string, bool, error) {
		keys = append(keys, record)
		return "IGNORE", strings.Contains(record, " TLSA 2 "), nil
	}
	a := Addr{Host: "mx.d.test", RName: "mx.d.test", Validated: true}
	res, err := r.DANE(context.Background(), a, 25, false)
	if err != nil || len(res.Records) != 1 || res.Records[0].Usage != 3 {
		t.Fatalf("%+v %v", res, err)
	}
	want := "_25._tcp.mx.d.test. 30 IN TLSA 3 1 1 " + tlsaHex
	if len(keys) != 2 || keys[0] != want {
		t.Errorf("filter keys %q, want first %q", keys, want)
	}
}
