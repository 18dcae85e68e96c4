package tlspolicy

import (
	"bytes"
	"crypto/x509"
	"time"
)

// DANEOptions configures VerifyDANE.
type DANEOptions struct {
	Digests Digests
	// Now is the time for validity checks on DANE-TA paths; DANE-EE
	// matches skip them (RFC 7671 section 5.1, OpenSSL dane_verify).
	Now time.Time
	// Names are the reference names checked on DANE-TA matches.
	Names NameChecks
	// EENameChecks also checks names on DANE-EE matches. Stock sets
	// DANE_FLAG_NO_DANE_EE_NAMECHECKS at the DANE and fingerprint levels
	// only, so this is true for verify/secure with trust-anchor files.
	EENameChecks bool
}

// DANEMatch describes a successful DANE authentication.
type DANEMatch struct {
	Record TLSA
	// Depth is the chain depth of the matched certificate (0 = leaf); for
	// a bare DANE-TA public key it is the depth of the certificate that
	// key signed.
	Depth int
	// TAKey is set when a "2 1 0" bare public key signed the chain.
	TAKey bool
	// Chain is the path from the leaf to the trust anchor.
	Chain []*x509.Certificate
	// PeerName is the certificate name that matched a reference name.
	PeerName string
}

// VerifyDANE authenticates a peer chain (leaf first, as presented) with
// prepared records (see PrepareTLSA), following OpenSSL's DANE rules:
// DANE-EE is tried on the leaf first and needs nothing else; DANE-TA
// records match issuer certificates at depth > 0 (never the leaf), a
// "2 0 0" record may supply an issuer the peer did not send, and a
// "2 1 0" key may sign the top of the chain. A TA path then needs CA
// flags, signatures, validity and a name match. The error is the one stock
// would report (lowest depth first, see ErrorState).
func VerifyDANE(chain []*x509.Certificate, recs []TLSA, o DANEOptions) (DANEMatch, *VerifyError) {
	if len(chain) == 0 {
		return DANEMatch{}, &VerifyError{Code: XErrUnspecified}
	}
	leaf := chain[0]
	if rec, ok := daneMatchCert(leaf, recs, o.Digests, true); ok {
		m := DANEMatch{Record: rec, Chain: chain[:1]}
		if o.EENameChecks {
			res := o.Names.Verify(leaf)
			if !res.OK {
				return DANEMatch{}, &VerifyError{Code: res.Code, Cert: leaf}
			}
			m.PeerName = res.PeerName
		}
		return m, nil
	}
	if !hasUsage(recs, UsageDANETA) {
		return DANEMatch{}, &VerifyError{Code: XErrDANENoMatch, Cert: leaf}
	}
	m, path, found := buildTAPath(chain, recs, o.Digests)
	var st ErrorState
	if !found {
		st.Add(len(path)-1, XErrDANENoMatch, path[len(path)-1])
	}
	checkCAFlags(&st, path)
	res := o.Names.Verify(leaf)
	if !res.OK {
		st.Add(0, res.Code, leaf)
	}
	now := o.Now
	if now.IsZero() {
		now = time.Now()
	}
	checkSignaturesAndTimes(&st, path, now)
	if e := st.Err(); e != nil {
		return DANEMatch{}, e
	}
	m.Chain, m.PeerName = path, res.PeerName
	return m, nil
}

func hasUsage(recs []TLSA, u uint8) bool {
	for _, r := range recs {
		if r.Usage == u {
			return true
		}
	}
	return false
}

// buildTAPath extends the leaf with issuers from the presented chain and
// from full "2 0 0" records until a DANE-TA record matches. Without a
// match it returns the longest path it could build.
func buildTAPath(chain []*x509.Certificate, recs []TLSA, d Digests) (DANEMatch, []*x509.Certificate, bool) {
	pool := append([]*x509.Certificate(nil), chain[1:]...)
	for _, r := range recs {
		if r.Usage == UsageDANETA && r.Selector == SelectorCert && r.MatchingType == MatchingFull {
			if c, err := x509.ParseCertificate(r.Data); err == nil {
				pool = append(pool, c)
			}
		}
	}
	path := []*x509.Certificate{chain[0]}
	used := make([]bool, len(pool))
	for {
		cur := path[len(path)-1]
		next := -1
		for i, c := range pool {
			if used[i] || inPath(path, c) || !bytes.Equal(c.RawSubject, cur.RawIssuer) {
				continue
			}
			// Prefer an issuer whose signature verifies, as OpenSSL's
			// issuer checks do; else keep the first name match so that
			// the bad signature is reported.
			if sigOK(cur, c) {
				next = i
				break
			}
			if next < 0 {
				next = i
			}
		}
		if next < 0 {
			break
		}
		used[next] = true
		path = append(path, pool[next])
		if rec, ok := daneMatchCert(pool[next], recs, d, false); ok {
			return DANEMatch{Record: rec, Depth: len(path) - 1}, path, true
		}
	}
	// Nothing matched: a bare trust-anchor key may have signed the top.
	top := path[len(path)-1]
	for _, r := range recs {
		if r.Usage != UsageDANETA || r.Selector != SelectorSPKI || r.MatchingType != MatchingFull {
			continue
		}
		if pub, err := x509.ParsePKIXPublicKey(r.Data); err == nil {
			anchor := &x509.Certificate{PublicKey: pub}
			if anchor.CheckSignature(top.SignatureAlgorithm, top.RawTBSCertificate, top.Signature) == nil {
				return DANEMatch{Record: r, Depth: len(path) - 1, TAKey: true}, path, true
			}
		}
	}
	return DANEMatch{}, path, false
}

func inPath(path []*x509.Certificate, c *x509.Certificate) bool {
	for _, p := range path {
		if bytes.Equal(p.Raw, c.Raw) {
			return true
		}
	}
	return false
}

// sigOK checks the signature alone; CA flags are judged separately so
// that a non-CA issuer yields OpenSSL's "invalid CA certificate".
func sigOK(child, parent *x509.Certificate) bool {
	p := &x509.Certificate{PublicKey: parent.PublicKey}
	return p.CheckSignature(child.SignatureAlgorithm, child.RawTBSCertificate, child.Signature) == nil
}

// daneMatchCert is OpenSSL's dane_match() for one certificate: at the
// leaf only DANE-EE records apply, above it only DANE-TA. Within one
// usage/selector group only the most preferred digest type present is
// compared (digest agility, RFC 7671 section 9), while Full(0) records
// are always compared.
func daneMatchCert(c *x509.Certificate, recs []TLSA, d Digests, leaf bool) (TLSA, bool) {
	want := uint8(UsageDANETA)
	if leaf {
		want = UsageDANEEE
	}
	group, groupOrd := -1, 0
	for _, r := range recs {
		if r.Usage != want {
			continue
		}
		g := int(r.Usage)<<8 | int(r.Selector)
		if g != group {
			group, groupOrd = g, d.ord[r.MatchingType]
		} else if r.MatchingType != MatchingFull && d.ord[r.MatchingType] < groupOrd {
			continue
		}
		data := c.Raw
		if r.Selector == SelectorSPKI {
			data = c.RawSubjectPublicKeyInfo
		}
		if r.MatchingType != MatchingFull {
			data = sum(d.hash[r.MatchingType], data)
		}
		if bytes.Equal(data, r.Data) {
			return r, true
		}
	}
	return TLSA{}, false
}

// checkCAFlags reports issuers that are not CA certificates (check_chain).
func checkCAFlags(st *ErrorState, path []*x509.Certificate) {
	for i := 1; i < len(path); i++ {
		if !path[i].IsCA && path[i].Version >= 3 {
			st.Add(i, XErrInvalidCA, path[i])
		}
	}
}

// checkSignaturesAndTimes is OpenSSL's internal_verify: from the top of
// the path down, each signature and then each validity period. The trust
// anchor's own signature is not checked, but its validity is.
func checkSignaturesAndTimes(st *ErrorState, path []*x509.Certificate, now time.Time) {
	for i := len(path) - 1; i >= 0; i-- {
		c := path[i]
		if i+1 < len(path) && !sigOK(c, path[i+1]) {
			st.Add(i, XErrCertSignatureFailure, c)
		}
		switch {
		case now.Before(c.NotBefore):
			st.Add(i, XErrCertNotYetValid, c)
		case now.After(c.NotAfter):
			st.Add(i, XErrCertHasExpired, c)
		}
	}
}
