package tlspolicy

import (
	"bytes"
	"crypto"
	"crypto/sha256"
	"reflect"
	"strings"
	"testing"
)

func TestDecodeFingerprint(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []byte
		ok   bool
	}{
		{"AB:cd:EF", []byte{0xAB, 0xCD, 0xEF}, true},
		{"abcdef", []byte{0xAB, 0xCD, 0xEF}, true},
		{"AB:CDEF", []byte{0xAB, 0xCD, 0xEF}, true},
		{"", []byte{}, true},
		{"A", nil, false},
		{"AB:", nil, false},
		{":AB", nil, false},
		{"AB::CD", nil, false},
		{"AB:C", nil, false},
		{"GG", nil, false},
		{"AB CD", nil, false},
	} {
		got, ok := DecodeFingerprint(tc.in)
		if ok != tc.ok || (ok && !bytes.Equal(got, tc.want)) {
			t.Errorf("DecodeFingerprint(%q) = %X,%v", tc.in, got, ok)
		}
	}
}

func TestParseFingerprintList(t *testing.T) {
	long := strings.Repeat("A", 193)
	fps, warns := ParseFingerprintList("AB|"+long+"||cd:ef|x", "|")
	if !reflect.DeepEqual(fps, [][]byte{{0xAB}, {0xCD, 0xEF}}) {
		t.Errorf("fps %X", fps)
	}
	want := []string{"malformed fingerprint value: " + long[:100] + "...", "malformed fingerprint value: x"}
	if !reflect.DeepEqual(warns, want) {
		t.Errorf("warns %q", warns)
	}
	// The captured policy: one colon form and one bare form, both SHA-256 sized.
	fps, warns = ParseFingerprintList("59:D0:39:A1:F4:B9:A8:4D:9A:91:DC:D0:ED:ED:4C:F0:05:F6:F6:85:36:DA:2E:B5:C6:3B:F8:0D:F6:BA:66:75|26B0A7A79B4C48800BE8608F8FA5C8A4685B8A702AD6E1DDEFC49DB5ED248928", "|")
	if len(fps) != 2 || len(fps[0]) != 32 || len(fps[1]) != 32 || warns != nil {
		t.Fatalf("captured list: %X %q", fps, warns)
	}
	// Rendering gives the form logged at loglevel 2 in the capture.
	requireVector(t, "tls-log-client-loglevel2.txt", "tlsproxy", PeerCertLog("127.0.4.2[127.0.4.2]:14025", "mx.sink.test", "S4 Test Root",
		FormatFingerprint(fps[0]), FormatFingerprint(fps[1])))
	if got := truncBytes("ü", 1); got != "\xc3" {
		t.Errorf("truncBytes cuts bytes, got %q", got)
	}
}

func TestLookupDigest(t *testing.T) {
	for in, want := range map[string]crypto.Hash{"MD5": crypto.MD5, "sha1": crypto.SHA1, "SHA256": crypto.SHA256, "sha512": crypto.SHA512, "sha2-384": crypto.SHA384} {
		if got, err := LookupDigest(in); err != nil || got != want {
			t.Errorf("LookupDigest(%q) = %v, %v", in, got, err)
		}
	}
	if _, err := LookupDigest("whirlpool"); err == nil || err.Error() != `digest algorithm "whirlpool" not found` {
		t.Errorf("unknown digest: %v", err)
	}
}

func TestFingerprintMatching(t *testing.T) {
	leaf := mkCert(t, certSpec{cn: "mx.example.com"}, nil).cert
	other := mkCert(t, certSpec{cn: "other"}, nil).cert
	cd := sha256.Sum256(leaf.Raw)
	kd := sha256.Sum256(leaf.RawSubjectPublicKeyInfo)
	if !bytes.Equal(CertDigest(crypto.SHA256, leaf), cd[:]) || !bytes.Equal(PublicKeyDigest(crypto.SHA256, leaf), kd[:]) {
		t.Fatal("digests")
	}
	for _, tc := range []struct {
		name string
		fps  [][]byte
		ok   bool
	}{
		{"cert digest", [][]byte{CertDigest(crypto.SHA256, other), cd[:]}, true},
		{"key digest", [][]byte{kd[:]}, true},
		{"other cert", [][]byte{CertDigest(crypto.SHA256, other)}, false},
		{"wrong algorithm", [][]byte{CertDigest(crypto.MD5, leaf)}, false},
		{"none", nil, false},
	} {
		if _, ok := MatchFingerprint(crypto.SHA256, leaf, tc.fps); ok != tc.ok {
			t.Errorf("%s: %v", tc.name, ok)
		}
	}
	if got := FormatFingerprint([]byte{0x59, 0xD0, 0x0a}); got != "59:D0:0A" {
		t.Errorf("FormatFingerprint = %q", got)
	}
	recs := FingerprintRecords([][]byte{{1}})
	if len(recs) != 2 || recs[0].String() != "3 0 255 01" || recs[1].String() != "3 1 255 01" {
		t.Errorf("records %v", recs)
	}
}
