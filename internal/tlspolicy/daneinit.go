package tlspolicy

import (
	"fmt"
	"strings"
)

// DANEEnv carries the facts DANE resolution needs from the DNS layer.
// They are inputs so that this package does no I/O.
type DANEEnv struct {
	// DNSSECLookups: DNS host lookups are enabled and
	// smtp_dns_support_level = dnssec.
	DNSSECLookups bool
	// IgnoreMXLookupError is ignore_mx_lookup_error (smtp only).
	IgnoreMXLookupError bool
	// ResolverSearch: smtp_dns_resolver_options has res_defnames or
	// res_dnsrch, which would make TLSA names ambiguous.
	ResolverSearch bool
	// LookupTLSA is called only when the preconditions hold; it returns
	// the TLSA RRset of the host (rname first, then qname, as stock
	// tries), already passed through FilterDNSRecords. An error is a
	// lookup failure (SERVFAIL, timeout), not "no records".
	LookupTLSA func() (TLSASet, error)
}

// TLSASet is the outcome of a TLSA lookup.
type TLSASet struct {
	BaseDomain string // the host name whose _port._tcp records were used
	Found      bool   // a DNSSEC-validated RRset existed
	Records    []TLSA // the records left after FilterDNSRecords
}

// Reasons for DANE downgrades; they decide where "dane" falls back to.
type daneProblem int

const (
	nonDANEConfig daneProblem = iota // the administrator's setup: warn
	nonDANEDest                      // the destination has no DANE
	daneCantAuth                     // DANE present but unusable
)

// daneIncompat applies one failed DANE precondition (dane_incompat):
// "dane" degrades to may (or encrypt when authentication is impossible),
// "dane-only" becomes invalid. It returns the warning, if any.
func daneIncompat(p *Policy, why daneProblem, msg string) (string, error) {
	if p.Level == LevelDANE {
		p.Level = LevelMay
		if why == daneCantAuth {
			p.Level = LevelEncrypt
		}
		if why == nonDANEConfig {
			return msg, nil
		}
		return "", nil
	}
	p.Level = LevelInvalid
	if why == nonDANEConfig {
		return msg, &PolicyError{}
	}
	return "", &PolicyError{Reason: msg}
}

// daneInit is stock dane_init: check the preconditions, fetch TLSA
// records, and set the name-check list to the TLSA base domain plus the
// MX names.
func (r *Resolver) daneInit(p *Policy, d Destination, env DANEEnv) ([]string, error) {
	var warns []string
	fail := func(why daneProblem, msg string) ([]string, error) {
		w, err := daneIncompat(p, why, msg)
		if w != "" {
			warns = append(warns, w)
		}
		return warns, err
	}
	lvl := p.Level.String()
	switch {
	case d.Port == 0:
		p.Level = LevelInvalid
		return []string{d.NextHop + `: the "dane" security level is invalid for delivery via unix-domain sockets`}, &PolicyError{}
	case !env.DNSSECLookups:
		return fail(nonDANEConfig, fmt.Sprintf("%s: %s configured with dnssec lookups disabled", d.NextHop, lvl))
	case !r.cfg.LMTP && env.IgnoreMXLookupError:
		return fail(nonDANEConfig, fmt.Sprintf("%s: %s configured with MX lookup errors ignored", d.NextHop, lvl))
	case env.ResolverSearch:
		return fail(nonDANEConfig, fmt.Sprintf("%s: dns resolver options incompatible with %s TLS", d.NextHop, lvl))
	}
	insecureMX := d.MX != nil && !d.MX.DNSSECValid
	if insecureMX && (p.Level == LevelDANEOnly || r.insecureMX <= LevelMay) {
		return fail(nonDANEDest, "non DNSSEC destination")
	}
	if env.LookupTLSA == nil {
		p.Level = LevelInvalid
		return warns, &PolicyError{Reason: fmt.Sprintf("TLSA lookup error for %s:%d", d.Host, d.Port)}
	}
	set, err := env.LookupTLSA()
	if err != nil {
		p.Level = LevelInvalid
		return warns, &PolicyError{Reason: fmt.Sprintf("TLSA lookup error for %s:%d", d.Host, d.Port)}
	}
	if !set.Found {
		return fail(nonDANEDest, "no TLSA records found")
	}
	if len(set.Records) == 0 {
		return fail(daneCantAuth, "TLSA records unusable")
	}
	if insecureMX {
		if r.insecureMX == LevelEncrypt {
			return fail(daneCantAuth, "Verification not possible, MX RRset is insecure")
		}
		// Only "dane" with policy "dane" gets here; it is authenticated
		// but never logged as "Verified".
		p.Level = LevelHalfDANE
	}
	p.Match = []string{set.BaseDomain}
	if d.MX != nil {
		// Stock compares qname and rname case-sensitively here.
		if d.MX.QName == d.MX.RName {
			p.Match = append(p.Match, d.MX.QName)
		} else {
			p.Match = append(p.Match, d.MX.RName, d.MX.QName)
		}
	}
	p.MatchSet = true
	p.DANE = &set
	return warns, nil
}

// matchDefaults fills in the main.cf match settings (policy_create's last
// switch): fingerprints from smtp_tls_fingerprint_cert_match, the
// verify/secure name lists, and smtp_tls_trust_anchor_file.
func (r *Resolver) matchDefaults(p *Policy, d Destination) ([]string, error) {
	var warns []string
	switch p.Level {
	case LevelFingerprint:
		if len(p.Fingerprints) == 0 {
			fps, w := ParseFingerprintList(r.cfg.FingerprintCertMatch, charsCommaSP)
			warns = append(warns, w...)
			p.Fingerprints = fps
		}
		if len(p.Fingerprints) == 0 {
			warns = append(warns, fmt.Sprintf("nexthop domain %s: configured at fingerprint security level, but with no fingerprints to match.", d.NextHop))
			return warns, &PolicyError{}
		}
	case LevelVerify, LevelSecure:
		if !p.MatchSet {
			list := r.cfg.VerifyCertMatch
			if p.Level == LevelSecure {
				list = r.cfg.SecureCertMatch
			}
			p.Match, p.MatchSet = splitList(list, charsCommaSP+":"), true
		}
		if r.cfg.TrustAnchorFile != "" && len(p.TrustAnchors) == 0 && (r.loadTrustFile != nil || len(p.TAFiles) == 0) {
			// Stock loads the main.cf files only when the policy supplied
			// no trust-anchor records, and stops at the first failure.
			for _, f := range splitList(r.cfg.TrustAnchorFile, charsCommaSP) {
				p.TAFiles = append(p.TAFiles, f)
				if r.loadTrustFile == nil {
					continue
				}
				recs, err := r.loadTrustFile(f)
				if err != nil {
					return append(warns, err.Error()), &PolicyError{}
				}
				p.TrustAnchors = append(p.TrustAnchors, recs...)
			}
		}
	}
	return warns, nil
}

// LookupFailureLog is the warning smtp logs when the policy is invalid:
// "TLS policy lookup for <nexthop>/<host>: <reason>".
func LookupFailureLog(nexthop, host string, err error) string {
	reason := err.Error()
	if pe, ok := err.(*PolicyError); ok {
		reason = pe.DSNReason()
	}
	return fmt.Sprintf("TLS policy lookup for %s/%s: %s", nexthop, host, strings.TrimSpace(reason))
}
