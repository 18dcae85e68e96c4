package tlspolicy

import (
	"crypto/tls"
	"testing"
)

const capNamAddr = "127.0.4.2[127.0.4.2]:14025"

func TestSummaryAgainstCaptures(t *testing.T) {
	tls13 := func(trust Trust, reused bool, digest string) Summary {
		kex, curve := KeyExchange(tls.X25519)
		c, _ := OpenSSLCipher(tls.TLS_AES_256_GCM_SHA384)
		return Summary{Trust: trust, Reused: reused, NamAddr: capNamAddr, Protocol: OpenSSLVersion(tls.VersionTLS13), Cipher: c,
			KexName: kex, KexCurve: curve, ServerSigName: "RSA-PSS", ServerSigBits: 2048, ServerSigDigest: digest}
	}
	aecdh := CipherInfo{"AECDH-AES256-SHA", 256, 256}
	ecdhe, _ := OpenSSLCipher(tls.TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA)
	for _, tc := range []struct {
		file, prog string
		s          Summary
	}{
		{"tls-log-client-policy-levels.txt", "smtp", tls13(Trusted, false, "SHA256")},
		{"tls-log-client-policy-levels.txt", "tlsproxy", tls13(Untrusted, false, "")},
		{"tls-log-client-fingerprint.txt", "smtp", tls13(Verified, true, "")},
		{"tls-log-client-loglevel2.txt", "tlsproxy", tls13(Verified, false, "SHA256")},
		{"tls-log-client-anonymous-tls1.txt", "smtp", Summary{Trust: Anonymous, NamAddr: capNamAddr, Protocol: "TLSv1", Cipher: aecdh}},
		{"tls-log-client-secure-verified-reuse.txt", "smtp", tls13(Verified, true, "")},
		{"tls-log-client-encrypt-trusted-reuse.txt", "smtp", tls13(Trusted, true, "")},
	} {
		requireVector(t, tc.file, tc.prog, tc.s.String())
	}
	// ECDHE-RSA-AES256-SHA over TLSv1 is quoted from a capture in the spec.
	s := Summary{Trust: Trusted, NamAddr: capNamAddr, Protocol: OpenSSLVersion(tls.VersionTLS10), Cipher: ecdhe}
	if got := s.String(); got != "Trusted TLS connection established to "+capNamAddr+": TLSv1 with cipher ECDHE-RSA-AES256-SHA (256/256 bits)" {
		t.Errorf("%q", got)
	}
}

func TestSummaryServerAndClientParts(t *testing.T) {
	s := Summary{Trust: Anonymous, Server: true, NamAddr: "[127.0.0.1]:35342", SNI: "mx.example", Protocol: "TLSv1.3",
		Cipher: CipherInfo{"TLS_AES_128_GCM_SHA256", 128, 128}, KexName: "DHE", KexBits: 2048,
		ServerSigName: "ECDSA", ServerSigCurve: "prime256v1", ClientSigName: "RSA-PSS", ClientSigBits: 4096, ClientSigDigest: "SHA384"}
	want := "Anonymous TLS connection established from [127.0.0.1]:35342 to mx.example: TLSv1.3 with cipher TLS_AES_128_GCM_SHA256 (128/128 bits)" +
		" key-exchange DHE (2048 bits) server-signature ECDSA (prime256v1) client-signature RSA-PSS (4096 bits) client-digest SHA384"
	if got := s.String(); got != want {
		t.Errorf("%q\nwant %q", got, want)
	}
	s.Server = false // the client never logs SNI
	if got := s.String(); got[:len("Anonymous TLS connection established to [127.0.0.1]:35342:")] != "Anonymous TLS connection established to [127.0.0.1]:35342:" {
		t.Errorf("%q", got)
	}
}

func TestPeerTrust(t *testing.T) {
	for _, tc := range []struct {
		present, ok bool
		level       Level
		want        Trust
	}{
		{false, true, LevelSecure, Anonymous},
		{true, false, LevelSecure, Untrusted},
		{true, true, LevelMay, Trusted},
		{true, true, LevelEncrypt, Trusted},
		{true, true, LevelFingerprint, Verified},
		{true, true, LevelHalfDANE, Trusted},
		{true, true, LevelDANE, Verified},
		{true, true, LevelVerify, Verified},
	} {
		if got := PeerTrust(tc.present, tc.ok, tc.level); got != tc.want {
			t.Errorf("%+v: %v", tc, got)
		}
	}
}

func TestDSNTexts(t *testing.T) {
	st, text := NotVerifiedDSN()
	requireVector(t, "tls-log-client-verify-failures.txt", "smtp",
		"709239840F8: to=<b@example.com>, relay=127.0.4.2[127.0.4.2]:14025, delay=0.04, delays=0.01/0.01/0.02/0, dsn="+st+", status=deferred ("+text+")")
	st, text = HandshakeFailureDSN()
	requireVector(t, "tls-log-client-handshake-failure.txt", "smtp",
		"31822984232: to=<b@example.com>, relay=127.0.4.2[127.0.4.2]:14025, delay=0.12, delays=0.1/0.02/0/0, dsn="+st+", status=deferred ("+text+")")
	if st, text := NotOfferedDSN("h[1.2.3.4]:25"); st != "4.7.4" || text != "TLS is required, but was not offered by host h[1.2.3.4]:25" {
		t.Errorf("%s %s", st, text)
	}
	if got := RefusedDSN("h[1.2.3.4]:25", "454 4.7.0 no\nmore"); got != "TLS is required, but host h[1.2.3.4]:25 refused to start TLS: 454 4.7.0 no more" {
		t.Errorf("%q", got)
	}
}

func TestMiscLogTexts(t *testing.T) {
	requireVector(t, "tls-log-client-loglevel2.txt", "tlsproxy", MatchedPeernameLog(capNamAddr, "mx.sink.test"))
	if got := ReusedUntrustedLog("h"); got != "h: re-using session with untrusted certificate, look for details earlier in the log" {
		t.Errorf("%q", got)
	}
	rec := TLSA{3, 1, 1, []byte{0xAB}}
	for _, tc := range []struct {
		level Level
		m     DANEMatch
		want  string
	}{
		{LevelSecure, DANEMatch{Depth: 1}, "n: Matched trust anchor at depth 1"},
		{LevelFingerprint, DANEMatch{Record: rec}, "n: Matched fingerprint: AB"},
		{LevelDANE, DANEMatch{Record: rec}, "n: Matched DANE EE certificate at depth 0: 3 1 1 AB"},
		{LevelDANEOnly, DANEMatch{Record: TLSA{2, 0, 1, []byte{1}}, Depth: 1}, "n: Matched DANE TA certificate at depth 1: 2 0 1 01"},
		{LevelHalfDANE, DANEMatch{Record: TLSA{2, 1, 0, nil}, Depth: 2, TAKey: true}, "n: Matched DANE TA public key verified certificate at depth 2: 2 1 0 "},
	} {
		if got := DANEMatchLog("n", tc.level, tc.m); got != tc.want {
			t.Errorf("%q, want %q", got, tc.want)
		}
	}
	for _, tc := range []struct {
		in   Level
		out  Level
		fail bool
		warn string
	}{
		{LevelDANE, LevelEncrypt, false, "n: all TLSA records unusable, fallback to unauthenticated TLS"},
		{LevelHalfDANE, LevelEncrypt, false, "n: all TLSA records unusable, fallback to unauthenticated TLS"},
		{LevelFingerprint, LevelFingerprint, true, "n: all fingerprints unusable"},
		{LevelDANEOnly, LevelDANEOnly, true, "n: all TLSA records unusable"},
		{LevelVerify, LevelVerify, true, "n: all trust anchors unusable"},
		{LevelMay, LevelMay, true, ""},
	} {
		out, fail, warn := UnusableFallback("n", tc.in)
		if out != tc.out || fail != tc.fail || warn != tc.warn {
			t.Errorf("%v: %v %v %q", tc.in, out, fail, warn)
		}
	}
}
