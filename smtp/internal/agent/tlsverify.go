package agent

import (
	"crypto/x509"
	"time"

	"github.com/postfix-go/postfix-go/internal/tlspolicy"
)

// peerCheck is the input of verifyPeer: what stock hands to OpenSSL for
// one session, plus the presented chain (leaf first).
type peerCheck struct {
	policy  *tlspolicy.Policy
	chain   []*x509.Certificate
	roots   *x509.CertPool
	digests tlspolicy.Digests
	nexthop string // the bare next-hop domain ("nexthop" match keyword)
	host    string // the server hostname ("hostname" keyword)
	namaddr string // host[addr]:port for messages
	now     time.Time
}

// peerResult is the verification outcome stock keeps in the TLScontext.
type peerResult struct {
	// level is the effective level: "dane" and "halfdane" without a
	// usable TLSA record continue as "encrypt".
	level tlspolicy.Level
	// trusted: the chain (or a DANE/fingerprint record) verified;
	// matched: trusted and, where required, the name matched.
	trusted, matched bool
	err              *tlspolicy.VerifyError
	peerName         string
	dane             *tlspolicy.DANEMatch
	// warns are stock warnings met on the way (unusable records, name
	// list problems).
	warns []string
}

// verifyPeer authenticates the peer after the handshake, as OpenSSL's
// verification with Postfix's settings would have: PKIX trust at every
// level (it decides "Trusted" at may/encrypt), name checks at
// verify/secure, synthetic DANE for fingerprints and trust-anchor files,
// and TLSA records at DANE levels. It never fails the handshake itself.
func verifyPeer(c peerCheck) peerResult {
	r := peerResult{level: c.policy.Level}
	if len(c.chain) == 0 {
		return r
	}
	var recs []tlspolicy.TLSA
	useDANE := false
	switch {
	case r.level == tlspolicy.LevelFingerprint:
		recs, useDANE = tlspolicy.FingerprintRecords(c.policy.Fingerprints), true
	case r.level.DANEBased() && c.policy.DANE != nil:
		recs, useDANE = c.policy.DANE.Records, true
	case r.level.MustPKIX() && len(c.policy.TrustAnchors) > 0:
		recs, useDANE = c.policy.TrustAnchors, true
	}
	if useDANE {
		usable, w := tlspolicy.PrepareTLSA(c.namaddr, recs, c.digests)
		r.warns = append(r.warns, w...)
		if len(usable) == 0 {
			lvl, mustFail, msg := tlspolicy.UnusableFallback(c.namaddr, r.level)
			r.warns = append(r.warns, msg)
			r.level = lvl
			if mustFail {
				r.err = &tlspolicy.VerifyError{Code: tlspolicy.XErrUnspecified, Cert: c.chain[0]}
				return r
			}
			useDANE = false
		} else {
			recs = usable
		}
	}
	var names tlspolicy.NameChecks
	needNames := r.level.MustPKIX() || (useDANE && r.level.DANEBased())
	if needNames {
		var w []string
		names, w = tlspolicy.BuildNameChecks(c.namaddr, c.policy.Match, c.nexthop, c.host)
		r.warns = append(r.warns, w...)
		if names.MustFail {
			r.err = &tlspolicy.VerifyError{Code: tlspolicy.XErrUnspecified, Cert: c.chain[0]}
			return r
		}
	}
	if useDANE {
		m, verr := tlspolicy.VerifyDANE(c.chain, recs, tlspolicy.DANEOptions{
			Digests: c.digests, Now: c.now, Names: names,
			// Stock skips name checks on DANE-EE matches at the DANE
			// and fingerprint levels only.
			EENameChecks: r.level.MustPKIX(),
		})
		if verr != nil {
			r.err = verr
			return r
		}
		r.trusted, r.dane, r.peerName = true, &m, m.PeerName
		r.matched = r.level.MustMatch()
		return r
	}
	r.err = pkixVerify(c)
	if needNames {
		res := names.Verify(c.chain[0])
		if !res.OK {
			// The name check runs at depth 0 after chain building, so
			// it wins over an issuer problem higher up.
			var st tlspolicy.ErrorState
			if r.err != nil {
				st.Add(r.err.Depth, r.err.Code, r.err.Cert)
			}
			st.Add(0, res.Code, c.chain[0])
			r.err = st.Err()
		}
		r.peerName = res.PeerName
	}
	r.trusted = r.err == nil
	r.matched = r.trusted && r.level.MustMatch()
	return r
}

// pkixVerify checks the chain against our roots only: an absent CA
// configuration must never fall back to Go's system pool.
func pkixVerify(c peerCheck) *tlspolicy.VerifyError {
	roots := c.roots
	if roots == nil {
		roots = x509.NewCertPool()
	}
	inter := x509.NewCertPool()
	for _, ic := range c.chain[1:] {
		inter.AddCert(ic)
	}
	_, err := c.chain[0].Verify(x509.VerifyOptions{
		Roots: roots, Intermediates: inter, CurrentTime: c.now,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	})
	if err == nil {
		return nil
	}
	code, depth := tlspolicy.GoVerifyErrorCode(err, c.chain)
	var cert *x509.Certificate
	if depth < len(c.chain) {
		cert = c.chain[depth]
	}
	return &tlspolicy.VerifyError{Code: code, Depth: depth, Cert: cert}
}
