package session

import (
	"crypto"
	"crypto/tls"
	"crypto/x509"
	"time"

	"github.com/postfix-go/postfix-go/internal/tlspolicy"
	"github.com/postfix-go/postfix-go/internal/tlsproxyproto"
)

// verdict is the outcome of checking the server certificate against the
// start props' policy: the effective level and the peer_status bits that
// smtp(8) acts on (it defers at levels above encrypt without MATCHED).
type verdict struct {
	level    int
	status   int
	verified bool // chain, DANE or fingerprint check (and names) passed
	peerName string
	logs     []string // stock's verification failure lines
}

// verify applies the level semantics of stock's TLS client: DANE and
// fingerprint records (fingerprints arrive as mtype-255 records, trust
// anchor files as DANE-TA/EE records), PKIX chain plus name checks at
// verify/secure, and at may/encrypt a chain check that only decides
// TRUSTED.
func (r *ClientRole) verify(sp tlsproxyproto.ClientStartProps, m *material, cs tls.ConnectionState) verdict {
	level := tlspolicy.Level(sp.TLSLevel)
	v := verdict{level: sp.TLSLevel}
	chain := cs.PeerCertificates
	if len(chain) == 0 {
		return v
	}
	v.status = tlsproxyproto.PeerPresent
	var names tlspolicy.NameChecks
	if level.MustPKIX() || level.DANEBased() {
		// Only these levels check names (stock registers none below).
		var warns []string
		names, warns = tlspolicy.BuildNameChecks(sp.Namaddr, sp.MatchArgv, sp.Nexthop, sp.Host)
		v.logs = append(v.logs, warns...)
	}
	var verr *tlspolicy.VerifyError
	useRecords := sp.DANE != nil && len(sp.DANE.TLSA) > 0 &&
		(level == tlspolicy.LevelFingerprint || level.DANEBased() || level.MustPKIX())
	switch {
	case useRecords:
		fpt, err := tlspolicy.LookupDigest(sp.MDAlg)
		if err != nil {
			fpt = crypto.SHA256
		}
		digests, dw := tlspolicy.ParseDANEDigests(r.daneDigests, fpt)
		recs, pw := tlspolicy.PrepareTLSA(sp.Namaddr, records(sp.DANE), digests)
		v.logs = append(append(v.logs, dw...), pw...)
		if len(recs) == 0 {
			nl, mustFail, msg := tlspolicy.UnusableFallback(sp.Namaddr, level)
			v.logs = append(v.logs, msg)
			v.level = int(nl)
			if mustFail {
				return v
			}
			return r.chainOnly(v, m, chain)
		}
		match, e := tlspolicy.VerifyDANE(chain, recs, tlspolicy.DANEOptions{
			Digests: digests, Now: time.Now(), Names: names, EENameChecks: level.MustPKIX(),
		})
		if e == nil {
			v.peerName = match.PeerName
			return v.authenticated(level)
		}
		verr = e
	case level.MustPKIX():
		if err := verifyChain(m, chain); err != nil {
			code, depth := tlspolicy.GoVerifyErrorCode(err, chain)
			verr = &tlspolicy.VerifyError{Code: code, Depth: depth}
			if depth < len(chain) {
				verr.Cert = chain[depth]
			}
			break
		}
		res := names.Verify(chain[0])
		if !res.OK {
			verr = &tlspolicy.VerifyError{Code: res.Code, Cert: chain[0]}
			break
		}
		v.peerName = res.PeerName
		return v.authenticated(level)
	default:
		return r.chainOnly(v, m, chain)
	}
	// Stock logs why verification failed at levels that require it
	// (the "untrusted" log bit is implied above encrypt).
	// A resumed session only points back to the first report.
	switch {
	case !level.MustMatch():
	case cs.DidResume:
		v.logs = append(v.logs, tlspolicy.ReusedUntrustedLog(sp.Namaddr))
	case verr != nil:
		v.logs = append(v.logs, tlspolicy.VerifyFailureLog(sp.Namaddr, verr, false))
	}
	return v
}

// authenticated sets the bits of a successful policy match.
func (v verdict) authenticated(level tlspolicy.Level) verdict {
	v.verified = true
	v.status |= tlsproxyproto.PeerTrusted | tlsproxyproto.PeerMatched
	if !level.NeverSecured() {
		v.status |= tlsproxyproto.PeerSecured
	}
	return v
}

// chainOnly is may/encrypt: a chain that verifies makes the peer
// TRUSTED, nothing is matched and nothing fails.
func (r *ClientRole) chainOnly(v verdict, m *material, chain []*x509.Certificate) verdict {
	if verifyChain(m, chain) == nil {
		v.status |= tlsproxyproto.PeerTrusted
		v.verified = true
	}
	return v
}

// verifyChain verifies the chain against the trust anchors, without names (they
// are checked separately, with OpenSSL's rules).
func verifyChain(m *material, chain []*x509.Certificate) error {
	if m.anchors == 0 {
		return x509.UnknownAuthorityError{Cert: chain[0]}
	}
	inter := x509.NewCertPool()
	for _, c := range chain[1:] {
		inter.AddCert(c)
	}
	_, err := chain[0].Verify(x509.VerifyOptions{
		Roots: m.roots, Intermediates: inter,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	})
	return err
}

// records converts the wire TLSA set.
func records(d *tlsproxyproto.DANE) []tlspolicy.TLSA {
	out := make([]tlspolicy.TLSA, 0, len(d.TLSA))
	for _, t := range d.TLSA {
		out = append(out, tlspolicy.TLSA{Usage: uint8(t.Usage), Selector: uint8(t.Selector),
			MatchingType: uint8(t.MType), Data: t.Data})
	}
	return out
}
