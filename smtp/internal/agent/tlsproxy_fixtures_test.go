package agent

import (
	"bufio"
	"bytes"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/postfix-go/postfix-go/internal/tlspolicy"
	"github.com/postfix-go/postfix-go/internal/tlsproxyproto"
	"github.com/postfix-go/postfix-go/master-compat/attr"
)

// The fixtures are stock 3.7.11 captures (spec vectors/bin and
// tlsproxy-client-role-*.txt): the smtp side of private/tlsproxy and
// of private/scache with connection reuse at "secure" and
// "fingerprint", sink [127.0.4.2]:14025 answering EHLO as mx.sink.test.
// internal/tlsproxyproto round-trips the same captures through its
// decoders and encoders; the tests here check what this agent puts
// into the lists (its policy, session and configuration), and what it
// makes of the context.

func readFixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// vectorProxy holds the sender's main.cf values in the captures: all
// defaults, smtp_tls_CAfile=tls/ca.pem.
func vectorProxy() *TLSProxy {
	return &TLSProxy{Path: "private/tlsproxy",
		Params: tlsproxyproto.ClientParams{ConfigFile: "default",
			HighCipherlist: "aNULL:-aNULL:HIGH:@STRENGTH", MediumCipherlist: "aNULL:-aNULL:HIGH:MEDIUM:+RC4:@STRENGTH",
			LowCipherlist: "aNULL:-aNULL:HIGH:MEDIUM:LOW:+RC4:@STRENGTH", ExportCipherlist: "aNULL:-aNULL:HIGH:MEDIUM:LOW:EXPORT:+RC4:@STRENGTH",
			NullCipherlist: "eNULL:!aNULL", EECDHAutoCurves: "X25519 X448 prime256v1 secp521r1 secp384r1",
			EECDHStrongCurve: "prime256v1", EECDHUltraCurve: "secp384r1", DANEDigests: "sha512 sha256",
			MgrServiceName: "tlsmgr", TicketCipher: "aes-256-cbc", DaemonRandomBytes: 32, WildcardMultiLabels: 1},
		Init: tlsproxyproto.ClientInitProps{LogParam: "smtp_tls_loglevel", LogLevel: "1", VerifyDepth: 9, CacheType: "smtp",
			CAFile: "tls/ca.pem", MDAlg: "sha256"},
	}
}

// vectorSession is the session of the captures, just after EHLO, with
// the policy the resolver computes for entry.
func vectorSession(t *testing.T, entry string) *session {
	t.Helper()
	const hop = "[127.0.4.2]:14025"
	res, _, err := tlspolicy.NewResolver(tlspolicy.DefaultConfig(), func(k string) (string, bool, error) {
		return entry, k == hop, nil
	}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	pol, _, err := res.Resolve(tlspolicy.Destination{NextHop: hop, Host: "127.0.4.2", Port: 14025}, tlspolicy.DANEEnv{})
	if err != nil {
		t.Fatal(err)
	}
	cfg := testConfig()
	cfg.ServiceName = "smtp"
	cfg.Timeouts.DataDone = 600 * time.Second
	cfg.TLS = &TLSClient{Timeout: 300 * time.Second, Proxy: vectorProxy()}
	d := &delivery{a: New(cfg, nil, nil)}
	dst := destination{host: "127.0.4.2", addr: "127.0.4.2", port: 14025, domain: "127.0.4.2", policy: pol}
	s := newSession(d, nil, dst)
	s.nexthop, s.helo = hop, "mx.sink.test"
	return s
}

func TestProxyRequestSecure(t *testing.T) {
	want := readFixture(t, "tlsproxy-client-request.bin")
	want = want[:len(want)-1] // the byte that carried the descriptor
	s := vectorSession(t, "secure match=dot-nexthop:mx.sink.test:.sink.test connection_reuse=yes")
	if got := s.proxyRequest(); !bytes.Equal(got, want) {
		t.Errorf("request differs\n got %q\nwant %q", got, want)
	}
}

func TestProxyRequestFingerprint(t *testing.T) {
	want := readFixture(t, "tlsproxy-client-request-fingerprint.bin")
	s := vectorSession(t, "fingerprint match=59:D0:39:A1:F4:B9:A8:4D:9A:91:DC:D0:ED:ED:4C:F0:05:F6:F6:85:36:DA:2E:B5:C6:3B:F8:0D:F6:BA:66:75"+
		"|26B0A7A79B4C48800BE8608F8FA5C8A4685B8A702AD6E1DDEFC49DB5ED248928 connection_reuse=yes")
	if got := s.proxyRequest(); !bytes.Equal(got, want) {
		t.Errorf("request differs\n got %q\nwant %q", got, want)
	}
}

func TestKeyPrefix(t *testing.T) {
	if got := keyPrefix("&", "smtp", "", "a&b", "x"); got != "smtp&&YSZi&x&" {
		t.Errorf("%q", got)
	}
}

// The summary stock smtp logs from the context tlsproxy sent after a
// full "secure" handshake. (The decoding of this reply, and io.EOF
// where a failed handshake leaves no context, are internal/tlsproxyproto's
// TestFixtureRoundTrip.)
func TestProxySummary(t *testing.T) {
	sc := attr.NewScanner(bufio.NewReader(bytes.NewReader(readFixture(t, "tlsproxy-client-reply.bin"))), "test", nil)
	if st, err := tlsproxyproto.DecodeStatus(sc); err != nil || st != 1 {
		t.Fatalf("status %d %v", st, err)
	}
	c, err := tlsproxyproto.DecodeContext(sc)
	if err != nil {
		t.Fatal(err)
	}
	const want = "Verified TLS connection established to 127.0.4.2[127.0.4.2]:14025: TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits) key-exchange X25519 server-signature RSA-PSS (2048 bits) server-digest SHA256"
	if got := proxySummary(&c, false).String(); got != want {
		t.Errorf("summary\n got %s\nwant %s", got, want)
	}
	c.SrvrSigDigest = "" // resumed: no signature, no digest
	if got := proxySummary(&c, true).String(); got != strings.Replace(strings.TrimSuffix(want, " server-digest SHA256"), "established", "reused", 1) {
		t.Errorf("reused summary %s", got)
	}
}

// The captured save_endp request of a tlsproxy session: its label and
// property string are what this agent passivates, byte for byte, and
// the property parses back to the same context.
func TestProxyPassivatedProps(t *testing.T) {
	sc := attr.NewScanner(bytes.NewReader(readFixture(t, "scache-save_endp-tls.request.bin")), "test", nil)
	var label, prop string
	ttl := 0
	if n, err := sc.Scan(attr.Strict, attr.Expect("request", "save_endp"), attr.Int("ttl", &ttl),
		attr.Str("label", &label), attr.Str("property", &prop)); n != 3 || err != nil {
		t.Fatalf("fixture: %d %v", n, err)
	}
	if got := endpLabel("smtp", "[127.0.2.1]:12027", "127.0.2.1", 12027, 1); got != label {
		t.Errorf("label %q, want %q", got, label)
	}
	e, ctx, ok := parseEndpProps(prop)
	if !ok || ctx == nil || e != (cachedEndp{1, 0, 6324239, 1795931543}) || ctx.PeerCN != "localhost" || ctx.SrvrSigBits != 2048 {
		t.Fatalf("parse: %+v %+v %v", e, ctx, ok)
	}
	if got := endpProps(e.tlsLevel, e.reuseCount, e.features|0x1000|0x4000, e.expire, ctx); got != prop {
		t.Errorf("props\n got %q\nwant %q", got, prop)
	}
	// Above "encrypt" the current next-hop joins the label (spec
	// tlsproxy.md 8.3, captured).
	if got := endpLabel("smtp", "[127.0.4.2]:14025", "127.0.4.2", 14025, 8); got != "smtp\n[127.0.4.2]:14025\n127.0.4.2\n14025\n8\n" {
		t.Errorf("level 8 label %q", got)
	}
	if got := endpLabel("smtp", "[127.0.4.2]:14025", "127.0.4.2", 14025, 2); got != "smtp\n127.0.4.2\n14025\n2\n" {
		t.Errorf("level 2 label %q", got)
	}
	// A context that does not parse makes the whole entry unusable.
	if _, _, ok := parseEndpProps(strings.Replace(prop, "level=1\n", "level=x\n", 1)); ok {
		t.Error("bad context accepted")
	}
}
