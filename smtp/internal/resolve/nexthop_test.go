package resolve

import (
	"os"
	"slices"
	"strings"
	"testing"
)

func TestParseNexthop(t *testing.T) {
	ok := []struct {
		in   string
		svc  string
		lmtp bool
		kind NexthopKind
		host string
		port uint16
		path string
		mx   bool
		loop bool
	}{
		{"example.com", "smtp", false, Domain, "example.com", 25, "", true, true},
		{"example.com:2525", "smtp", false, Domain, "example.com", 2525, "", true, false},
		{"example.com:submission", "smtp", false, Domain, "example.com", 587, "", true, false},
		{"example.com:smtps", "smtp", false, Domain, "example.com", 465, "", true, false},
		{"[example.com]", "smtp", false, Literal, "example.com", 25, "", false, true},
		{"[example.com]:", "smtp", false, Literal, "example.com", 25, "", false, true},
		{"[192.0.2.1]:587", "smtp", false, Literal, "192.0.2.1", 587, "", false, false},
		{"[IPv6:2001:db8::1]:25", "smtp", false, Literal, "2001:db8::1", 25, "", false, true},
		{"[ipv6:2001:db8::1]", "25", false, Literal, "2001:db8::1", 25, "", false, true},
		{"[2001:db8::1]", "smtp", false, Literal, "2001:db8::1", 25, "", false, true},
		{"192.0.2.1", "smtp", false, Domain, "192.0.2.1", 25, "", true, true},
		{"under_score.example", "smtp", false, Domain, "under_score.example", 25, "", true, true},
		{"bücher.example", "smtp", false, Domain, "bücher.example", 25, "", true, true},
		{"lmtp.example", "lmtp", true, Domain, "lmtp.example", 24, "", false, false},
		{"lmtp.example:25", "lmtp", true, Domain, "lmtp.example", 25, "", false, false},
		{"inet:lmtp.example:2424", "lmtp", true, Domain, "lmtp.example", 2424, "", false, false},
		{"inet:[10.0.0.1]", "lmtp", true, Literal, "10.0.0.1", 24, "", false, false},
		{"unix:private/dovecot-lmtp", "lmtp", true, Unix, "", 0, "private/dovecot-lmtp", false, false},
		{"unix:/run/lmtp.sock", "lmtp", true, Unix, "", 0, "/run/lmtp.sock", false, false},
	}
	for _, tc := range ok {
		n, err := ParseNexthop(tc.in, tc.svc, tc.lmtp)
		if err != nil {
			t.Errorf("%q: %v", tc.in, err)
			continue
		}
		if n.Kind != tc.kind || n.Host != tc.host || n.Port != tc.port || n.Path != tc.path ||
			n.LookupMX() != tc.mx || n.LoopDetect() != tc.loop {
			t.Errorf("%q: got %+v mx=%v loop=%v", tc.in, n, n.LookupMX(), n.LoopDetect())
		}
	}

	bad := []struct{ in, svc, want string }{
		{"", "smtp", "missing host information in server description: "},
		{":25", "smtp", "missing host information in server description: :25"},
		{"[example.com", "smtp", `missing "]" in server description: [example.com`},
		{"[example.com]x", "smtp", `garbage after "]" in server description: [example.com]x`},
		{"[example.com]:", "", "missing service information in server description: [example.com]:"},
		{"[IPv6:zz]", "smtp", "malformed IPv6 address in server description: [IPv6:zz]"},
		{"[IPv6:192.0.2.1]", "smtp", "malformed IPv6 address in server description: [IPv6:192.0.2.1]"},
		{"[]", "smtp", "valid hostname or network address required in server description: []"},
		{"2001:db8::1", "smtp", "valid hostname or network address required in server description: 2001:db8::1"},
		{"bad!host", "smtp", "valid hostname or network address required in server description: bad!host"},
		{"-bad.example", "smtp", "valid hostname or network address required in server description: -bad.example"},
		{"123", "smtp", "valid hostname or network address required in server description: 123"},
		{"a..b", "smtp", "valid hostname or network address required in server description: a..b"},
		{"host:25x", "smtp", "garbage after numerical service in server description: host:25x"},
		{"host:0", "smtp", "bad network port: 0 for destination: host:0"},
		{"host:65536", "smtp", "bad network port: 65536 for destination: host:65536"},
		{"host:99999999999999999999", "smtp", "bad network port: 99999999999999999999 for destination: host:99999999999999999999"},
		{"host:+25", "smtp", "unknown service: +25/tcp"},
		{"host:no-such-service-x", "smtp", "unknown service: no-such-service-x/tcp"},
		// SMTP does not know unix:; "unix" is a host and "/x" a service.
		{"unix:/x", "smtp", "unknown service: /x/tcp"},
		{"host." + strings.Repeat("a", 64), "smtp", "valid hostname or network address required in server description: host." + strings.Repeat("a", 64)},
	}
	for _, tc := range bad {
		_, err := ParseNexthop(tc.in, tc.svc, false)
		if err == nil || err.Error() != tc.want {
			t.Errorf("%q: err %v, want %q", tc.in, err, tc.want)
		}
	}
}

func TestSplitDestinations(t *testing.T) {
	for _, tc := range []struct {
		nexthop, fallback string
		lmtp              bool
		want              []string
		primaries         int
	}{
		{"a.example, [b.example]:587", "fb1 fb2", false, []string{"a.example", "[b.example]:587", "fb1", "fb2"}, 2},
		{"one", "", false, []string{"one"}, 1},
		{"unix:private/lmtp", "fb", true, []string{"unix:private/lmtp"}, 1},
		{"inet:h1,h2", "", true, []string{"h1", "h2"}, 2},
		{"inet:h1", "", false, []string{"inet:h1"}, 1},
	} {
		got, p := SplitDestinations(tc.nexthop, tc.fallback, tc.lmtp)
		if !slices.Equal(got, tc.want) || p != tc.primaries {
			t.Errorf("%q: got %q/%d", tc.nexthop, got, p)
		}
	}
}

func FuzzParseNexthop(f *testing.F) {
	for _, s := range []string{"example.com", "[a]:25", "[IPv6:::1]", "unix:/x", "inet:h:24", "h:", ":", "[", "]", "[]:x", "a:b:c"} {
		f.Add(s, false)
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, in string, lmtp bool) {
		n, err := ParseNexthop(in, "smtp", lmtp)
		if err != nil {
			if _, ok := err.(*NexthopError); !ok {
				t.Fatalf("%q: error type %T", in, err)
			}
			return
		}
		if n.Kind == Unix {
			if !lmtp || n.Port != 0 {
				t.Fatalf("%q: bad unix result %+v", in, n)
			}
			return
		}
		if n.Host == "" || n.Port == 0 || strings.ContainsAny(n.Host, "[]") {
			t.Fatalf("%q: bad result %+v", in, n)
		}
		// A parsed destination must survive being written back out.
		canon := n.Host + ":" + n.Service
		if n.Kind == Literal {
			canon = "[" + n.Host + "]:" + n.Service
			if validIPv6(n.Host) {
				canon = "[IPv6:" + n.Host + "]:" + n.Service
			}
		}
		m, err := ParseNexthop(canon, "smtp", false)
		if err != nil || m.Host != n.Host || m.Port != n.Port || m.Kind != n.Kind {
			t.Fatalf("%q -> %q: %+v, %v (was %+v)", in, canon, m, err, n)
		}
	})
}

func TestLookupService(t *testing.T) {
	f := t.TempDir() + "/services"
	data := "# comment\nsmtp\t25/tcp mail\nfoo 1234/udp\nfoo 4321/tcp bar # alias\n"
	if err := os.WriteFile(f, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	for svc, want := range map[string]uint16{"mail": 25, "foo": 4321, "bar": 4321, "baz": 0} {
		got, ok := lookupService(f, svc)
		if got != want || ok != (want != 0) {
			t.Errorf("%s: %d %v", svc, got, ok)
		}
	}
}
