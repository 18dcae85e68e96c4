package attr

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatalf("fixture: %v", err)
	}
	return b
}

// dsnReply builds a delivery-agent reply the way the stock agent lays it
// out: seven DSN strings (the first named status), then the integer status.
func dsnReply(dsnStatus, reason string, status int) []byte {
	dsn := new(List).Str("status", dsnStatus).Str("diag_type", "").Str("diag_text", "").
		Str("mta_type", "").Str("mta_mname", "").Str("action", "").Str("reason", reason)
	return new(List).Raw(dsn.Inline()).Int("status", status).Bytes()
}

func TestEncodeMatchesStockBytes(t *testing.T) {
	tests := []struct {
		fixture string
		got     []byte
	}{
		{"smtp-deliver-reply.bin", dsnReply("", "", 0)},
		{"smtp-deliver-reply-site-defer.bin", dsnReply("4.4.1",
			"connect to 127.0.3.2[127.0.3.2]:13026: Connection refused", -1)},
		{"scache-find_dest-miss.reply.bin", new(List).Int("status", 2).Str("property", "").Str("property", "").Bytes()},
		{"scache-find_endp-miss.reply.bin", new(List).Int("status", 2).Str("property", "").Bytes()},
		{"scache-bad-request.reply.bin", new(List).Int("status", 1).Bytes()},
		{"scache-announce.bin", new(List).Str("protocol", "connection_cache_protocol").Bytes()},
		{"verify-announce.bin", new(List).Str("protocol", "address_verification_prrotocol").Bytes()},
	}
	for _, tt := range tests {
		t.Run(tt.fixture, func(t *testing.T) {
			if want := fixture(t, tt.fixture); !bytes.Equal(tt.got, want) {
				t.Errorf("encoded\n%q\nwant\n%q", tt.got, want)
			}
		})
	}
}

func TestEncodeTypes(t *testing.T) {
	got := new(List).Int("i", -1).Long("l", 1<<40).Data("d", []byte{0, 1, 2}).Str("nul", "a\x00b").Bytes()
	want := "i\x004294967295\x00l\x001099511627776\x00d\x00AAEC\x00nul\x00a\x00\x00"
	if string(got) != want {
		t.Errorf("got %q want %q", got, want)
	}
}

func TestPlainRoundTrip(t *testing.T) {
	in := []Attr{{"tls_level", "1"}, {"reuse_count", "0"}, {"endpoint_features", "34695"}, {"expire_time", "1795930729"}}
	enc := EncodePlain(in)
	if want := "tls_level=1\nreuse_count=0\nendpoint_features=34695\nexpire_time=1795930729\n\n"; enc != want {
		t.Fatalf("EncodePlain = %q, want %q", enc, want)
	}
	out, rest, err := ParsePlain(enc + "peer_CN=x\n\n")
	if err != nil || len(out) != 4 || out[2].Value != "34695" || rest != "peer_CN=x\n\n" {
		t.Fatalf("ParsePlain = %v, %q, %v", out, rest, err)
	}
}

func TestParsePlainErrors(t *testing.T) {
	for _, in := range []string{"a=1\n", "a=1\nnovalue\n\n", ""} {
		if _, _, err := ParsePlain(in); err == nil {
			t.Errorf("ParsePlain(%q): no error", in)
		}
	}
	if got, _, err := ParsePlain("{\x00\na=b=c\n}\x00\n\n"); err != nil || len(got) != 1 || got[0].Value != "b=c" {
		t.Errorf("group markers: %v %v", got, err)
	}
}
