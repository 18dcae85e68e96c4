package resolve

import (
	"context"
	"math/rand/v2"
	"net"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
)

func testZone() *zone {
	z := newZone(
		"one.test. 300 IN MX 10 mx1.one.test.",
		"mx1.one.test. 300 IN A 192.0.2.1",
		"two.test. 300 IN MX 20 b.two.test.",
		"two.test. 300 IN MX 10 a.two.test.",
		"a.two.test. 300 IN A 192.0.2.10",
		"b.two.test. 300 IN A 192.0.2.20",
		"eq.test. 300 IN MX 10 m1.eq.test.",
		"eq.test. 300 IN MX 10 m2.eq.test.",
		"eq.test. 300 IN MX 10 m3.eq.test.",
		"m1.eq.test. 300 IN A 192.0.2.31",
		"m2.eq.test. 300 IN A 192.0.2.32",
		"m3.eq.test. 300 IN A 192.0.2.33",
		"cname.test. 300 IN MX 10 alias.cname.test.",
		"alias.cname.test. 300 IN CNAME real.cname.test.",
		"real.cname.test. 300 IN A 192.0.2.40",
		"dangling.test. 300 IN CNAME gone.test.",
		"amx.test. 300 IN A 192.0.2.50",
		"nullmx.test. 300 IN MX 0 .",
		"sec.test. 300 IN MX 10 mx.sec.test.",
		"mx.sec.test. 300 IN A 192.0.2.55",
		"insec.test. 300 IN MX 10 mx.sec.test.",
		"dual.test. 300 IN MX 10 mx.dual.test.",
		"mx.dual.test. 300 IN A 192.0.2.60",
		"mx.dual.test. 300 IN AAAA 2001:db8::60",
		"self.test. 300 IN MX 10 p.self.test.",
		"self.test. 300 IN MX 20 me.self.test.",
		"self.test. 300 IN MX 30 q.self.test.",
		"p.self.test. 300 IN A 192.0.2.70",
		"me.self.test. 300 IN A 192.0.2.99",
		"q.self.test. 300 IN A 192.0.2.80",
		"selfonly.test. 300 IN MX 10 me.self.test.",
		"selfbad.test. 300 IN MX 10 nohost.self.test.",
		"selfbad.test. 300 IN MX 20 me.self.test.",
		"badmx.test. 300 IN MX 10 nohost.self.test.",
		"formerr.test. 300 IN A 192.0.2.1",
	)
	z.rcode["servfail.test."] = dns.RcodeServerFailure
	z.rcode["refused.test."] = dns.RcodeRefused
	z.rcode["formerr.test."] = dns.RcodeFormatError
	z.silent["dead.test."] = true
	z.secure["sec.test."] = true
	z.secure["mx.sec.test."] = true
	return z
}

type resolveCase struct {
	name   string
	dest   string // nexthop text
	lmtp   bool
	tweak  func(*Config)
	addrs  []string // expected IPs in order (nil: expect none)
	hosts  []string // expected Addr.Host in order (optional)
	dsn    string   // expected Err.DSN ("" = no error)
	text   string   // expected Err.Text (exact) when set
	self   bool
	loop   bool
	valid  *bool // expected Validated on every address
	sawDO  *bool
	errSub string // substring of Err.Text
}

func ptr[T any](v T) *T { return &v }

func TestResolve(t *testing.T) {
	cases := []resolveCase{
		{name: "single MX", dest: "one.test", addrs: []string{"192.0.2.1"}, hosts: []string{"mx1.one.test"}},
		{name: "two preferences in order", dest: "two.test", addrs: []string{"192.0.2.10", "192.0.2.20"}},
		{name: "MX to CNAME keeps MX name", dest: "cname.test", addrs: []string{"192.0.2.40"}, hosts: []string{"alias.cname.test"}},
		{name: "no MX falls back to A", dest: "amx.test", tweak: v4only, addrs: []string{"192.0.2.50"}, hosts: []string{"amx.test"}},
		{name: "NXDOMAIN is hard", dest: "nx.test", tweak: v4only, dsn: "5.4.4",
			text: "Host or domain name not found. Name service error for name=nx.test type=A: Host not found"},
		{name: "NXDOMAIN both families reports AAAA", dest: "nx.test", dsn: "5.4.4",
			text: "Host or domain name not found. Name service error for name=nx.test type=AAAA: Host not found"},
		{name: "SERVFAIL on MX is soft", dest: "servfail.test", dsn: "4.4.3",
			text: "Host or domain name not found. Name service error for name=servfail.test type=MX: Host not found, try again"},
		{name: "REFUSED is soft like glibc", dest: "refused.test", dsn: "4.4.3", errSub: "try again"},
		{name: "FORMERR is hard", dest: "formerr.test", dsn: "5.4.3", errSub: "type=MX: Non-recoverable error"},
		{name: "timeout is soft", dest: "dead.test", dsn: "4.4.3",
			text: "Host or domain name not found. Name service error for name=dead.test type=MX: Host not found, try again"},
		{name: "literal timeout", dest: "[dead.test]", tweak: v4only, dsn: "4.4.3", errSub: "type=A: Host not found, try again"},
		{name: "CNAME chased to NXDOMAIN", dest: "[dangling.test]", tweak: v4only, dsn: "5.4.4",
			text: "Host or domain name not found. Name service error for name=gone.test type=A: Host not found"},
		{name: "null MX", dest: "nullmx.test", dsn: "5.1.0", text: "Domain nullmx.test does not accept mail (nullMX)"},
		{name: "literal skips MX", dest: "[mx1.one.test]:2525", addrs: []string{"192.0.2.1"}},
		{name: "numeric literal", dest: "[192.0.2.7]", addrs: []string{"192.0.2.7"}},
		{name: "bare numeric works", dest: "192.0.2.8", addrs: []string{"192.0.2.8"}},
		{name: "LMTP never does MX", dest: "two.test", lmtp: true, tweak: v4only, dsn: "5.4.4",
			errSub: "name=two.test type=A: Host found but no data record"},
		{name: "dual stack ipv4 only", dest: "dual.test", tweak: v4only, addrs: []string{"192.0.2.60"}},
		{name: "dual stack ipv6 only", dest: "dual.test", tweak: func(c *Config) { c.Protocols = IPv6 }, addrs: []string{"2001:db8::60"}},
		{name: "prefer ipv6", dest: "dual.test", tweak: func(c *Config) { c.AddressPreference = PreferIPv6 }, addrs: []string{"2001:db8::60", "192.0.2.60"}},
		{name: "prefer ipv4", dest: "dual.test", tweak: func(c *Config) { c.AddressPreference = PreferIPv4 }, addrs: []string{"192.0.2.60", "2001:db8::60"}},
		{name: "AD ignored at level enabled", dest: "sec.test", tweak: v4only, addrs: []string{"192.0.2.55"}, valid: ptr(false), sawDO: ptr(false)},
		{name: "AD trusted at level dnssec", dest: "sec.test", tweak: dnssecOnly, addrs: []string{"192.0.2.55"}, valid: ptr(true), sawDO: ptr(true)},
		{name: "insecure MX taints addresses", dest: "insec.test", tweak: dnssecOnly, addrs: []string{"192.0.2.55"}, valid: ptr(false)},
		{name: "level disabled uses native only", dest: "one.test", tweak: func(c *Config) {
			c.SupportLevel = DNSDisabled
			c.Native = fakeNative(map[string][]string{"one.test": {"198.51.100.1"}})
		}, addrs: []string{"198.51.100.1"}, sawDO: ptr(false)},
		{name: "dns then native", dest: "[nx.test]", tweak: func(c *Config) {
			v4only(c)
			c.HostLookup = HostLookupDNS | HostLookupNative
			c.Native = fakeNative(map[string][]string{"nx.test": {"198.51.100.2", "2001:db8::2"}})
		}, addrs: []string{"198.51.100.2"}},
		{name: "native not found", dest: "[nx.test]", tweak: func(c *Config) {
			c.HostLookup = HostLookupNative
			c.Native = fakeNative(nil)
		}, dsn: "5.4.4", text: "unable to look up host nx.test: Name or service not known"},
		{name: "best MX is myself truncates", dest: "self.test", tweak: local99, addrs: []string{"192.0.2.70"}, self: true},
		{name: "only MX is myself loops", dest: "selfonly.test", tweak: local99, dsn: "5.4.6",
			text: "mail for selfonly.test loops back to myself", self: true, loop: true},
		{name: "better MX unresolvable", dest: "selfbad.test", tweak: local99, dsn: "4.4.4",
			text: "unable to find primary relay for selfbad.test", self: true},
		{name: "no loop check off port 25", dest: "selfonly.test:2525", tweak: local99, addrs: []string{"192.0.2.99"}},
		{name: "literal self loops", dest: "[192.0.2.99]", tweak: local99, dsn: "5.4.6",
			text: "mail for 192.0.2.99 loops back to myself", self: true, loop: true},
		{name: "no MX host resolves", dest: "badmx.test", tweak: v4only, dsn: "5.4.4", errSub: "name=nohost.self.test type=A"},
		{name: "no MX host resolves, deferred", dest: "badmx.test", tweak: func(c *Config) { v4only(c); c.DeferIfNoMXAddress = true }, dsn: "4.4.4"},
		{name: "ignore_mx_lookup_error", dest: "servfail.test", tweak: func(c *Config) { v4only(c); c.IgnoreMXLookupError = true }, dsn: "4.4.3", errSub: "type=A"},
		{name: "reply filter drops all", dest: "one.test", tweak: func(c *Config) {
			c.ReplyFilter = func(rec string) (string, bool, error) { return "IGNORE", strings.Contains(rec, " MX "), nil }
		}, dsn: "4.7.0", text: "Error looking up name=one.test type=MX: DNS reply filter drops all results"},
		{name: "reply filter bad action", dest: "one.test", tweak: func(c *Config) {
			c.ReplyFilter = func(string) (string, bool, error) { return "DUNNO", true, nil }
		}, dsn: "4.4.3", text: "Error looking up name=one.test type=MX: Invalid DNS reply filter syntax"},
		{name: "reply filter key format", dest: "[mx1.one.test]", tweak: func(c *Config) {
			v4only(c)
			c.ReplyFilter = func(rec string) (string, bool, error) {
				return "IGNORE", rec == "mx1.one.test. 300 IN A 192.0.2.1", nil
			}
		}, dsn: "4.7.0"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			z := testZone()
			cfg := DefaultConfig()
			cfg.Servers = []string{startServer(t, z)}
			cfg.Timeout, cfg.Attempts = 150*time.Millisecond, 1
			cfg.Randomize = false
			cfg.Native = fakeNative(nil)
			if tc.tweak != nil {
				tc.tweak(&cfg)
			}
			svc := "smtp"
			if tc.lmtp {
				svc = "lmtp"
			}
			nh, err := ParseNexthop(tc.dest, svc, tc.lmtp)
			if err != nil {
				t.Fatal(err)
			}
			res := New(cfg).Resolve(context.Background(), nh)
			checkResult(t, tc, res, z)
		})
	}
}

func checkResult(t *testing.T, tc resolveCase, res Result, z *zone) {
	t.Helper()
	var got, hosts []string
	for _, a := range res.Addrs {
		got = append(got, a.IP.String())
		hosts = append(hosts, a.Host)
		if tc.valid != nil && a.Validated != *tc.valid {
			t.Errorf("%s: Validated=%v, want %v", a.IP, a.Validated, *tc.valid)
		}
	}
	if !slices.Equal(got, tc.addrs) {
		t.Errorf("addrs = %v, want %v (err %v)", got, tc.addrs, res.Err)
	}
	if tc.hosts != nil && !slices.Equal(hosts, tc.hosts) {
		t.Errorf("hosts = %v, want %v", hosts, tc.hosts)
	}
	if tc.dsn != "" || len(tc.addrs) == 0 {
		if res.Err == nil {
			t.Fatalf("no error, want %s", tc.dsn)
		}
		if res.Err.DSN != tc.dsn {
			t.Errorf("dsn = %s, want %s (%s)", res.Err.DSN, tc.dsn, res.Err.Text)
		}
		if tc.text != "" && res.Err.Text != tc.text {
			t.Errorf("text = %q, want %q", res.Err.Text, tc.text)
		}
		if tc.errSub != "" && !strings.Contains(res.Err.Text, tc.errSub) {
			t.Errorf("text = %q, want substring %q", res.Err.Text, tc.errSub)
		}
	}
	if res.FoundSelf != tc.self || res.Loop != tc.loop {
		t.Errorf("FoundSelf=%v Loop=%v, want %v %v", res.FoundSelf, res.Loop, tc.self, tc.loop)
	}
	if tc.sawDO != nil && z.sawDO.Load() != *tc.sawDO {
		t.Errorf("server saw DO=%v, want %v", z.sawDO.Load(), *tc.sawDO)
	}
}

func v4only(c *Config)     { c.Protocols = IPv4 }
func dnssecOnly(c *Config) { c.Protocols = IPv4; c.SupportLevel = DNSSEC }
func local99(c *Config) {
	c.Protocols = IPv4
	c.LocalAddrs = []netip.Addr{netip.MustParseAddr("127.0.0.1"), netip.MustParseAddr("192.0.2.99")}
}

// fakeNative stands in for getaddrinfo() so tests never touch the host's
// resolver configuration.
func fakeNative(m map[string][]string) NativeLookupFunc {
	return func(_ context.Context, host string) ([]netip.Addr, error) {
		ips, ok := m[host]
		if !ok {
			return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
		}
		var out []netip.Addr
		for _, s := range ips {
			out = append(out, netip.MustParseAddr(s))
		}
		return out, nil
	}
}

// TestEqualPreferenceSpread checks that equal-preference MX hosts come out
// in every order over many lookups, deterministically with a seeded source.
func TestEqualPreferenceSpread(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Servers = []string{startServer(t, testZone())}
	cfg.Protocols = IPv4
	cfg.MXAddressLimit = 0
	cfg.Rand = rand.New(rand.NewPCG(1, 2))
	r := New(cfg)
	first := map[string]int{}
	const n = 60
	for range n {
		res := r.DomainAddrs(context.Background(), "eq.test", true)
		if len(res.Addrs) != 3 {
			t.Fatalf("got %v, err %v", res.Addrs, res.Err)
		}
		first[res.Addrs[0].IP.String()]++
	}
	for _, ip := range []string{"192.0.2.31", "192.0.2.32", "192.0.2.33"} {
		if first[ip] < n/6 {
			t.Errorf("%s first only %d/%d times: %v", ip, first[ip], n, first)
		}
	}
}

// TestRandomizeKeepsPreferenceOrder: shuffling never reorders preferences.
func TestRandomizeKeepsPreferenceOrder(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Servers = []string{startServer(t, testZone())}
	cfg.Protocols = IPv4
	cfg.Rand = rand.New(rand.NewPCG(7, 7))
	r := New(cfg)
	for range 20 {
		res := r.DomainAddrs(context.Background(), "two.test", true)
		if got := []string{res.Addrs[0].IP.String(), res.Addrs[1].IP.String()}; !slices.Equal(got, []string{"192.0.2.10", "192.0.2.20"}) {
			t.Fatalf("order %v", got)
		}
	}
}

// TestVectorNoResolver reproduces vectors/smtp-dns-fail.txt: no resolver
// listening, every query fails, soft 4.4.3 with the stock texts.
func TestVectorNoResolver(t *testing.T) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := pc.LocalAddr().String()
	pc.Close() // nothing listens there any more: ECONNREFUSED / timeout
	cfg := DefaultConfig()
	cfg.Servers = []string{addr}
	cfg.Protocols = IPv4
	cfg.Timeout = 200 * time.Millisecond
	r := New(cfg)
	for dest, want := range map[string]string{
		"[nohost.invalid]": "Host or domain name not found. Name service error for name=nohost.invalid type=A: Host not found, try again",
		"mxfail.test":      "Host or domain name not found. Name service error for name=mxfail.test type=MX: Host not found, try again",
	} {
		nh, err := ParseNexthop(dest, "smtp", false)
		if err != nil {
			t.Fatal(err)
		}
		res := r.Resolve(context.Background(), nh)
		if res.Err == nil || res.Err.DSN != "4.4.3" || res.Err.Text != want || !res.Err.Soft() {
			t.Errorf("%s: got %+v", dest, res.Err)
		}
	}
}

func TestBalance(t *testing.T) {
	mk := func(spec string) []Addr {
		var out []Addr
		for i, c := range spec {
			ip := netip.AddrFrom4([4]byte{192, 0, 2, byte(i)})
			if c == '6' {
				ip = netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 15: byte(i)})
			}
			out = append(out, Addr{IP: ip})
		}
		return out
	}
	str := func(l []Addr) string {
		var b strings.Builder
		for _, a := range l {
			if isV4(a.IP) {
				b.WriteByte('4')
			} else {
				b.WriteByte('6')
			}
		}
		return b.String()
	}
	for _, tc := range []struct {
		in    string
		limit int
		want  string
	}{
		{"666664", 5, "66664"}, // v4 ≤ L/2: keep all v4
		{"466666", 5, "46666"}, // ditto, order kept
		{"444446", 5, "44446"}, // v6 ≤ L/2
		{"464646", 5, "46464"}, // R2, first is v4: 3 v4 + 2 v6
		{"646464", 5, "64646"}, // R2, first is v6: 2 v4 + 3 v6
		{"4444", 2, "4444"},    // one family only: untouched
		{"46", 5, "46"},        // under the limit
	} {
		if got := str(balance(mk(tc.in), tc.limit)); got != tc.want {
			t.Errorf("balance(%s,%d) = %s, want %s", tc.in, tc.limit, got, tc.want)
		}
	}
}

// TestClientConfigServers: servers and port come from a resolv.conf read
// before chroot.
func TestClientConfigServers(t *testing.T) {
	addr := startServer(t, testZone())
	host, port, _ := net.SplitHostPort(addr)
	cfg := DefaultConfig()
	cfg.ClientConfig = &dns.ClientConfig{Servers: []string{host}, Port: port, Timeout: 1, Attempts: 1}
	cfg.Protocols = IPv4
	r := New(cfg)
	if r.timeout != time.Second || r.attempts != 1 || r.servers[0] != addr {
		t.Fatalf("config not applied: %v %v %v", r.timeout, r.attempts, r.servers)
	}
	if res := r.DomainAddrs(context.Background(), "one.test", true); len(res.Addrs) != 1 {
		t.Fatalf("got %+v", res)
	}
	if d := New(DefaultConfig()); d.servers[0] != "127.0.0.1:53" || d.timeout != 5*time.Second || d.attempts != 2 {
		t.Fatalf("glibc defaults not applied: %v", d)
	}
}
