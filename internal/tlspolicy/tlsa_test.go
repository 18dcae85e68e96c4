package tlspolicy

import (
	"bytes"
	"crypto"
	"reflect"
	"strings"
	"testing"
)

func TestTLSAString(t *testing.T) {
	long := bytes.Repeat([]byte{0xAB}, 65)
	long[64] = 0xCD
	for _, tc := range []struct {
		r    TLSA
		want string
	}{
		{TLSA{3, 1, 1, []byte{0x0a, 0xff}}, "3 1 1 0AFF"},
		{TLSA{2, 0, 0, nil}, "2 0 0 ..."},
		{TLSA{2, 0, 0, bytes.Repeat([]byte{1}, 64)}, "2 0 0 " + strings.Repeat("01", 64)},
		{TLSA{2, 0, 0, long}, "2 0 0 " + strings.Repeat("AB", 32) + "..." + strings.Repeat("AB", 31) + "CD"},
	} {
		if got := tc.r.String(); got != tc.want {
			t.Errorf("%v: %q", tc.r.Data, got)
		}
	}
}

func TestFilterDNSRecords(t *testing.T) {
	recs := []TLSA{{0, 0, 1, []byte{1}}, {1, 1, 1, []byte{2}}, {2, 0, 1, []byte{3}}, {3, 1, 255, []byte{4}}, {3, 1, 1, []byte{5}}, {4, 0, 0, []byte{6}}}
	kept, warns := FilterDNSRecords("_25._tcp.mx.example.com", "_25._tcp.MX.example.com", recs)
	if !reflect.DeepEqual(kept, []TLSA{recs[2], recs[4]}) {
		t.Errorf("kept %v", kept)
	}
	want := []string{
		"_25._tcp.MX.example.com unsupported TLSA certificate usage: 0 0 1 01",
		"_25._tcp.MX.example.com unsupported TLSA certificate usage: 1 1 1 02",
		"_25._tcp.MX.example.com reserved private-use matching type: 3 1 255 04",
		"_25._tcp.MX.example.com unsupported TLSA certificate usage: 4 0 0 06",
	}
	if !reflect.DeepEqual(warns, want) {
		t.Errorf("warns %q", warns)
	}
	_, warns = FilterDNSRecords("_25._tcp.a.example", "_25._tcp.b.example", recs[:1])
	if warns[0] != "_25._tcp.a.example -> _25._tcp.b.example unsupported TLSA certificate usage: 0 0 1 01" {
		t.Errorf("cname warn %q", warns[0])
	}
}

func TestParseDANEDigests(t *testing.T) {
	for _, tc := range []struct {
		in    string
		ord   map[uint8]int
		warns []string
	}{
		{"sha512 sha256", map[uint8]int{2: 2, 1: 1, 255: 3}, nil},
		{"sha256", map[uint8]int{1: 1, 255: 2}, nil},
		{"sha256, sha512", map[uint8]int{1: 2, 2: 1, 255: 3}, nil},
		{"sha384=3 sha256", map[uint8]int{3: 2, 1: 1, 255: 3}, nil},
		{"md5", map[uint8]int{255: 1}, []string{"tls_dane_digests: digest algorithm md5 needs an explicit number"}},
		{"sha1=1", map[uint8]int{255: 1}, []string{"tls_dane_digests: matching type 1 can only be sha256"}},
		{"sha1=2", map[uint8]int{255: 1}, []string{"tls_dane_digests: matching type 2 can only be sha512"}},
		{"x=0 y=255 z=abc", map[uint8]int{255: 1}, []string{
			"Reserved matching type number in tls_dane_digests: x=0",
			"Invalid matching type number in tls_dane_digests: y=255",
			"Invalid matching type number in tls_dane_digests: z=abc"}},
		{"sha256 sha256", map[uint8]int{1: 1, 255: 2}, []string{"tls_dane_digests: matching type 1 specified more than once"}},
		{"=1 sha256", map[uint8]int{1: 1, 255: 2}, nil},
		{"whirl=7 sha512", map[uint8]int{2: 1, 255: 3}, []string{`tls_dane_digests: digest algorithm "whirl"(7) unknown`}},
	} {
		d, warns := ParseDANEDigests(tc.in, crypto.SHA256)
		if !reflect.DeepEqual(d.ord, tc.ord) || !reflect.DeepEqual(warns, tc.warns) {
			t.Errorf("%q: ord %v warns %q", tc.in, d.ord, warns)
		}
	}
}

func TestPrepareTLSA(t *testing.T) {
	c := mkCert(t, certSpec{cn: "x"}, nil).cert
	d := DefaultDigests(crypto.SHA256)
	s256 := make([]byte, 32)
	s512 := make([]byte, 64)
	recs := []TLSA{
		{2, 0, 1, s256},                      // kept
		{3, 1, 1, s256},                      // kept
		{3, 1, 2, s512},                      // kept, sorted before 3 1 1
		{3, 0, 0, c.Raw},                     // kept
		{2, 1, 0, c.RawSubjectPublicKeyInfo}, // kept
		{3, 1, 1, s512},                      // wrong length
		{3, 2, 1, s256},                      // bad selector
		{4, 0, 1, s256},                      // bad usage
		{3, 0, 7, s256},                      // disabled type
		{3, 0, 0, []byte{1, 2}},              // not a certificate
		{2, 1, 0, []byte{1, 2}},              // not a key
		{3, 0, 0, append(c.Raw[:len(c.Raw):len(c.Raw)], 0)}, // trailing data
		{3, 1, 1, nil},    // no data
		{3, 1, 255, s256}, // fingerprint type with its digest
	}
	usable, warns := PrepareTLSA("h[1.2.3.4]:25", recs, d)
	want := []TLSA{recs[13], recs[2], recs[1], recs[3], recs[4], recs[0]}
	if !reflect.DeepEqual(usable, want) {
		for _, u := range usable {
			t.Logf("usable %d %d %d", u.Usage, u.Selector, u.MatchingType)
		}
		t.Errorf("usable order wrong")
	}
	if len(warns) != 8 || !strings.HasPrefix(warns[0], "h[1.2.3.4]:25: unusable TLSA RR: 3 1 1 ") {
		t.Errorf("warns %q", warns)
	}
}
