package tlspolicy

import (
	"net/netip"
	"reflect"
	"testing"
)

func TestBuildNameChecks(t *testing.T) {
	const na = "127.0.4.2[127.0.4.2]:14025"
	for _, tc := range []struct {
		name          string
		match         []string
		nexthop, host string
		hosts         []string
		ip            string
		mustFail      bool
		warns         []string
	}{
		{name: "keywords", match: []string{"NextHop", "dot-nexthop", "HOSTNAME"}, nexthop: "example.com", host: "mx.example.net",
			hosts: []string{"example.com", ".example.com", "mx.example.net"}},
		{name: "captured IP quirk", match: []string{"nexthop", "dot-nexthop", "mx.sink.test"}, nexthop: "127.0.4.2",
			hosts: []string{".127.0.4.2", "mx.sink.test"}, ip: "127.0.4.2"},
		{name: "second IP fails to load", match: []string{"127.0.0.1", "::1", "x.example"},
			hosts: []string{"x.example"}, ip: "127.0.0.1", warns: []string{na + `: error loading match name: "::1"`}},
		{name: "lone dot", match: []string{"."}, mustFail: true,
			warns: []string{na + `: ignoring invalid match name: "."`, na + ": could not configure peer name checks"}},
		{name: "nothing", mustFail: true, warns: []string{na + ": could not configure peer name checks"}},
		{name: "empty hostname loads but checks nothing", match: []string{"hostname"}},
		{name: "NUL", match: []string{"a\x00b"}, mustFail: true,
			warns: []string{na + ": error loading match name: \"a\x00b\"", na + ": could not configure peer name checks"}},
		{name: "IDNA", match: []string{"bücher.example", ".Bücher.example", "\u3002bücher.example", "\uff61", "\uff0eexample"},
			hosts: []string{"xn--bcher-kva.example", ".xn--bcher-kva.example", ".xn--bcher-kva.example", ".", ".example"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			nc, warns := BuildNameChecks(na, tc.match, tc.nexthop, tc.host)
			if !reflect.DeepEqual(nc.Hosts, tc.hosts) || nc.MustFail != tc.mustFail || !reflect.DeepEqual(warns, tc.warns) {
				t.Errorf("got %+v %q\nwant hosts %q mustFail %v warns %q", nc, warns, tc.hosts, tc.mustFail, tc.warns)
			}
			if tc.ip != "" && nc.IP != netip.MustParseAddr(tc.ip) || tc.ip == "" && nc.IP.IsValid() {
				t.Errorf("ip %v, want %q", nc.IP, tc.ip)
			}
		})
	}
}

func TestNameChecksVerify(t *testing.T) {
	sink := loadPEMCert(t, "testdata/names/sink.pem")
	ipcert := loadPEMCert(t, "testdata/names/ip-san-cn.pem")
	for _, tc := range []struct {
		name string
		nc   NameChecks
		cert string
		ok   bool
		code int
		peer string
	}{
		{name: "captured secure: IP check fails although a name matched", cert: "sink",
			nc: NameChecks{Hosts: []string{".127.0.4.2", "mx.sink.test"}, IP: netip.MustParseAddr("127.0.4.2")}, code: XErrIPAddressMismatch},
		{name: "captured verify mismatch", cert: "sink", nc: NameChecks{Hosts: []string{"nomatch.test"}}, code: XErrHostnameMismatch},
		{name: "both fail: hostname reported", cert: "sink",
			nc: NameChecks{Hosts: []string{"nomatch.test"}, IP: netip.MustParseAddr("10.0.0.1")}, code: XErrHostnameMismatch},
		{name: "wildcard peername", cert: "sink", nc: NameChecks{Hosts: []string{"x.example", "a.relay.sink.test"}}, ok: true, peer: "*.relay.sink.test"},
		{name: "IP and name", cert: "ip", nc: NameChecks{Hosts: []string{"mx.example.com"}, IP: netip.MustParseAddr("::1")}, ok: true, peer: "mx.example.com"},
		{name: "IP only", cert: "ip", nc: NameChecks{IP: netip.MustParseAddr("127.0.4.2")}, ok: true},
		{name: "no checks", cert: "sink", nc: NameChecks{}, ok: true},
		{name: "must fail", cert: "sink", nc: NameChecks{MustFail: true}, code: XErrUnspecified},
	} {
		c := sink
		if tc.cert == "ip" {
			c = ipcert
		}
		got := tc.nc.Verify(c)
		if got.OK != tc.ok || got.Code != tc.code || got.PeerName != tc.peer {
			t.Errorf("%s: got %+v", tc.name, got)
		}
	}
	requireVector(t, "tls-log-client-verify-failures.txt", "tlsproxy",
		"server certificate verification failed for 127.0.4.2[127.0.4.2]:14025: num=64:IP address mismatch")
}

func TestValidHostname(t *testing.T) {
	long := ""
	for i := 0; i < 64; i++ {
		long += "a"
	}
	for in, want := range map[string]bool{
		"mx.example.com": true, "a_b.example": true, "x-y.z": true, "123.example": true, "a": true,
		"": false, "123": false, "1.2.3.4": false, "a..b": false, ".a": false, "a.": false, "-a": false, "a-": false,
		"a-.b": false, "a b": false, "*.example": false, long: false, long[:63]: true, "ü.example": false,
	} {
		if got := ValidHostname(in); got != want {
			t.Errorf("ValidHostname(%q) = %v", in, got)
		}
	}
	big := ""
	for i := 0; i < 64; i++ {
		big += "abc."
	}
	if ValidHostname(big + "com") {
		t.Error("name over 255 bytes accepted")
	}
}

func TestToASCII(t *testing.T) {
	// Expected A-labels are the IDNA forms used by registries (RFC 3492
	// algorithm), e.g. bücher -> xn--bcher-kva.
	for in, want := range map[string]string{
		"mx.example.com":    "mx.example.com",
		"MX.Example.com":    "MX.Example.com",
		"bücher.example":    "xn--bcher-kva.example",
		"BÜCHER.Example":    "xn--bcher-kva.example",
		"münchen.de":        "xn--mnchen-3ya.de",
		"例え.テスト":            "xn--r8jz45g.xn--zckzah",
		"bücher。example":    "xn--bcher-kva.example",
		"ドメイン名例.jp":         "xn--eckwd4c7cu47r2wf.jp",
		"παράδειγμα.δοκιμή": "xn--hxajbheg2az3al.xn--jxalpdlp",
	} {
		got, err := ToASCII(in)
		if err != nil || got != want {
			t.Errorf("ToASCII(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := ToASCII("\xff\xfe.example"); err == nil {
		t.Error("invalid UTF-8 accepted")
	}
}
