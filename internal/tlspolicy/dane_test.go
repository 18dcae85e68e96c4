package tlspolicy

import (
	"crypto"
	"crypto/x509"
	"testing"
	"time"
)

func TestVerifyDANE(t *testing.T) {
	p := newPKI(t)
	d := DefaultDigests(crypto.SHA256)
	chain := []*x509.Certificate{p.leaf.cert, p.inter.cert}
	names, _ := BuildNameChecks("n", []string{"mx.example.com"}, "", "")
	wrongNames, _ := BuildNameChecks("n", []string{"other.example"}, "", "")
	ee := func(c *x509.Certificate, sel, mt uint8) TLSA {
		data := c.Raw
		if sel == 1 {
			data = c.RawSubjectPublicKeyInfo
		}
		if mt == 1 {
			data = sum(crypto.SHA256, data)
		} else if mt == 2 {
			data = sum(crypto.SHA512, data)
		}
		return TLSA{Usage: 3, Selector: sel, MatchingType: mt, Data: data}
	}
	ta := func(c *x509.Certificate, sel, mt uint8) TLSA { r := ee(c, sel, mt); r.Usage = 2; return r }
	expiredRoot := mkCert(t, certSpec{cn: "Old Root", ca: true, notAfter: testNow.Add(-time.Hour)}, nil)
	expiredChainLeaf := mkCert(t, certSpec{cn: "mx.example.com", dns: []string{"mx.example.com"}}, expiredRoot)
	expiredLeaf := mkCert(t, certSpec{cn: "mx.example.com", notAfter: testNow.Add(-time.Hour)}, p.inter)
	notCA := mkCert(t, certSpec{cn: "Not a CA"}, p.root)
	underNotCA := mkCert(t, certSpec{cn: "mx.example.com", dns: []string{"mx.example.com"}}, notCA)
	for _, tc := range []struct {
		name     string
		chain    []*x509.Certificate
		recs     []TLSA
		names    NameChecks
		eeNames  bool
		depth    int
		taKey    bool
		code     int
		errDepth int
		peer     string
	}{
		{name: "EE spki sha256", chain: chain, recs: []TLSA{ee(p.leaf.cert, 1, 1)}, names: wrongNames},
		{name: "EE cert sha512", chain: chain, recs: []TLSA{ee(p.leaf.cert, 0, 2)}},
		{name: "EE full cert", chain: chain, recs: []TLSA{ee(p.leaf.cert, 0, 0)}},
		{name: "EE skips expiry", chain: []*x509.Certificate{expiredLeaf.cert}, recs: []TLSA{ee(expiredLeaf.cert, 1, 1)}},
		{name: "EE with name checks (tafile)", chain: chain, recs: []TLSA{ee(p.leaf.cert, 0, 0)}, names: wrongNames, eeNames: true,
			code: XErrHostnameMismatch},
		{name: "EE with matching names", chain: chain, recs: []TLSA{ee(p.leaf.cert, 0, 0)}, names: names, eeNames: true, peer: "mx.example.com"},
		{name: "agility: sha512 wrong hides sha256 right", chain: chain,
			recs: []TLSA{{3, 1, 2, make([]byte, 64)}, ee(p.leaf.cert, 1, 1)}, code: XErrDANENoMatch},
		{name: "agility: full always compared", chain: chain,
			recs: []TLSA{{3, 1, 2, make([]byte, 64)}, ee(p.leaf.cert, 1, 0)}},
		{name: "no TA records: no match at depth 0", chain: chain, recs: []TLSA{ee(p.inter.cert, 1, 1)}, code: XErrDANENoMatch},
		{name: "TA never matches the leaf", chain: chain, recs: []TLSA{ta(p.leaf.cert, 1, 1)}, names: names,
			code: XErrDANENoMatch, errDepth: 1},
		{name: "TA intermediate presented", chain: chain, recs: []TLSA{ta(p.inter.cert, 1, 1)}, names: names, depth: 1, peer: "mx.example.com"},
		{name: "TA root not presented, full cert", chain: chain, recs: []TLSA{ta(p.root.cert, 0, 0)}, names: names, depth: 2, peer: "mx.example.com"},
		{name: "TA root digest not presented", chain: chain, recs: []TLSA{ta(p.root.cert, 0, 1)}, names: names, code: XErrDANENoMatch, errDepth: 1},
		{name: "TA bare key", chain: chain, recs: []TLSA{ta(p.root.cert, 1, 0)}, names: names, depth: 1, taKey: true, peer: "mx.example.com"},
		{name: "TA name mismatch", chain: chain, recs: []TLSA{ta(p.inter.cert, 0, 1)}, names: wrongNames, code: XErrHostnameMismatch},
		{name: "TA path expired anchor", chain: []*x509.Certificate{expiredChainLeaf.cert}, recs: []TLSA{ta(expiredRoot.cert, 0, 0)},
			names: names, code: XErrCertHasExpired, errDepth: 1},
		{name: "TA leaf expired and name wrong: name first", chain: []*x509.Certificate{expiredLeaf.cert, p.inter.cert},
			recs: []TLSA{ta(p.inter.cert, 1, 1)}, names: wrongNames, code: XErrHostnameMismatch},
		{name: "TA leaf expired", chain: []*x509.Certificate{expiredLeaf.cert, p.inter.cert},
			recs: []TLSA{ta(p.inter.cert, 1, 1)}, names: NameChecks{}, code: XErrCertHasExpired},
		{name: "TA issuer not a CA", chain: []*x509.Certificate{underNotCA.cert, notCA.cert}, recs: []TLSA{ta(notCA.cert, 1, 1)},
			names: names, code: XErrInvalidCA, errDepth: 1},
		{name: "TA must fail names", chain: chain, recs: []TLSA{ta(p.inter.cert, 1, 1)}, names: NameChecks{MustFail: true}, code: XErrUnspecified},
		{name: "empty chain", chain: nil, recs: []TLSA{ta(p.inter.cert, 1, 1)}, code: XErrUnspecified},
	} {
		t.Run(tc.name, func(t *testing.T) {
			usable, _ := PrepareTLSA("n", tc.recs, d)
			m, err := VerifyDANE(tc.chain, usable, DANEOptions{Digests: d, Now: testNow, Names: tc.names, EENameChecks: tc.eeNames})
			if tc.code != 0 {
				if err == nil || err.Code != tc.code || err.Depth != tc.errDepth {
					t.Fatalf("err = %+v, want code %d depth %d", err, tc.code, tc.errDepth)
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected %v", err)
			}
			if m.Depth != tc.depth || m.TAKey != tc.taKey || m.PeerName != tc.peer || len(m.Chain) < m.Depth+1 {
				t.Errorf("match %+v", m)
			}
		})
	}
}

func TestVerifyDANEBadSignature(t *testing.T) {
	p := newPKI(t)
	// An impostor intermediate with the same name but another key.
	impostor := mkCert(t, certSpec{cn: "Intermediate", ca: true}, p.root)
	d := DefaultDigests(crypto.SHA256)
	rec := TLSA{Usage: 2, Selector: 1, MatchingType: 1, Data: sum(crypto.SHA256, impostor.cert.RawSubjectPublicKeyInfo)}
	_, err := VerifyDANE([]*x509.Certificate{p.leaf.cert, impostor.cert}, []TLSA{rec}, DANEOptions{Digests: d})
	if err == nil || err.Code != XErrCertSignatureFailure || err.Depth != 0 {
		t.Fatalf("err = %+v", err)
	}
}
