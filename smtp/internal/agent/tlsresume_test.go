package agent

import (
	"crypto/tls"
	"testing"

	"github.com/postfix-go/postfix-go/internal/tlspolicy"
)

// TestPolicyDigest: every policy input that decides whether a session
// may be resumed changes the cache scope; equal inputs give equal ones.
func TestPolicyDigest(t *testing.T) {
	base := func() (*tlspolicy.Policy, *tls.Config) {
		return &tlspolicy.Policy{Level: tlspolicy.LevelEncrypt, Protocols: ">=TLSv1.2", CipherGrade: "medium"},
			&tls.Config{ServerName: "mx.example", MinVersion: tls.VersionTLS12, MaxVersion: tls.VersionTLS13,
				CipherSuites: []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256}}
	}
	p, c := base()
	ref := policyDigest(p, c)
	if p2, c2 := base(); policyDigest(p2, c2) != ref {
		t.Fatal("digest not deterministic")
	}
	for name, change := range map[string]func(*tlspolicy.Policy, *tls.Config){
		"level":        func(p *tlspolicy.Policy, _ *tls.Config) { p.Level = tlspolicy.LevelSecure },
		"sni":          func(_ *tlspolicy.Policy, c *tls.Config) { c.ServerName = "other.example" },
		"sni-source":   func(p *tlspolicy.Policy, _ *tls.Config) { p.SNI = "hostname" },
		"max-version":  func(_ *tlspolicy.Policy, c *tls.Config) { c.MaxVersion = tls.VersionTLS12 },
		"suites":       func(_ *tlspolicy.Policy, c *tls.Config) { c.CipherSuites = nil },
		"exclusions":   func(p *tlspolicy.Policy, _ *tls.Config) { p.Exclusions = "aNULL" },
		"match":        func(p *tlspolicy.Policy, _ *tls.Config) { p.Match = []string{"nexthop"} },
		"fingerprints": func(p *tlspolicy.Policy, _ *tls.Config) { p.Fingerprints = [][]byte{{1, 2}} },
		"trust-anchor": func(p *tlspolicy.Policy, _ *tls.Config) {
			p.TrustAnchors = []tlspolicy.TLSA{{Usage: 2, Data: []byte{1}}}
		},
		"dane": func(p *tlspolicy.Policy, _ *tls.Config) {
			p.DANE = &tlspolicy.TLSASet{BaseDomain: "mx.example", Records: []tlspolicy.TLSA{{Usage: 3, Selector: 1, MatchingType: 1, Data: []byte{9}}}}
		},
	} {
		p, c := base()
		change(p, c)
		if policyDigest(p, c) == ref {
			t.Errorf("%s: digest unchanged", name)
		}
	}
}

// TestSessionScope: the scope starts with stock's serverid fields and
// the cache is off without a SessionCache.
func TestSessionScope(t *testing.T) {
	a := &Agent{cfg: Config{ServiceName: "smtp", TLS: &TLSClient{}}}
	s := &session{d: &delivery{a: a}, nexthop: "[mx.example]:25", host: "mx.example", addr: "192.0.2.1", port: 25}
	cfg := &tls.Config{ServerName: "mx.example"}
	want := "smtp&[mx.example]:25&mx.example&192.0.2.1&25&" + policyDigest(&s.policy, cfg)
	if got := s.sessionScope(cfg); got != want {
		t.Errorf("scope %q, want %q", got, want)
	}
	if s.sessionCache(cfg) != nil {
		t.Error("session cache without tlsmgr")
	}
}
