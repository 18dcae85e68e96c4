package agent

import (
	"context"

	"github.com/postfix-go/postfix-go/internal/tlspolicy"
	"github.com/postfix-go/postfix-go/smtp/internal/resolve"
)

// DANE inputs of one server: what stock's policy lookup takes from the
// address iterator (iter->mx, iter->rr) and from tls_dane_resolve().
// The decisions themselves are tlspolicy's (dane_init), verification is
// verifyPeer's with the policy's TLSA set.

// daneSource is the DNS side of DANE; *resolve.Resolver implements it.
type daneSource interface {
	DANE(ctx context.Context, a resolve.Addr, port uint16, force bool) (resolve.DANEResult, error)
}

// daneEnv completes td and the process-wide DANE facts for dst: the
// best MX record when the address came from an MX lookup, and the TLSA
// lookup of this address. Without a resolver that can look up TLSA
// records a DANE level meets stock's "TLSA lookup error" deferral.
func (d *delivery) daneEnv(dst *destination, td *tlspolicy.Destination) tlspolicy.DANEEnv {
	tc := d.a.cfg.TLS
	env := tc.DANE
	env.LookupTLSA = nil
	rr := d.addr
	if rr == nil || dst.unix {
		return env
	}
	if rr.MX != nil {
		td.MX = &tlspolicy.MXInfo{QName: rr.MX.QName, RName: rr.MX.RName, DNSSECValid: rr.MX.Validated}
	}
	src, ok := d.a.Resolver.(daneSource)
	if !ok {
		return env
	}
	addr, port := *rr, uint16(dst.port)
	env.LookupTLSA = func() (tlspolicy.TLSASet, error) {
		// smtp_tls_force_insecure_host_tlsa_lookup is not supported
		// (its default, "no", applies).
		res, err := src.DANE(d.ctx, addr, port, false)
		if err != nil {
			return tlspolicy.TLSASet{}, err
		}
		return d.tlsaSet(res), nil
	}
	return env
}

// tlsaSet is parse_tlsa_rr over a validated RRset: records Postfix
// cannot use are dropped with stock's warnings, the others are logged at
// smtp_tls_loglevel "dane" (or verbose). Stock logs this when it looks
// the records up, not for cached ones. It keeps the records in the
// reverse order of the answer, as tlsa_prepend() builds its list.
func (d *delivery) tlsaSet(res resolve.DANEResult) tlspolicy.TLSASet {
	set := tlspolicy.TLSASet{BaseDomain: res.BaseDomain, Found: res.Found}
	log := d.a.log
	verbose := d.a.cfg.TLS.Log.has(TLSLogVerbose | TLSLogDANE)
	for _, r := range res.Records {
		t := tlspolicy.TLSA{Usage: r.Usage, Selector: r.Selector, MatchingType: r.MatchingType, Data: r.Data}
		kept, warns := tlspolicy.FilterDNSRecords(res.QName, res.RName, []tlspolicy.TLSA{t})
		if res.Fresh {
			for _, w := range warns {
				log.Warn(w)
			}
			if len(kept) > 0 && verbose {
				log.Info("DNSSEC-signed TLSA record: " + res.RName + ": " + t.String())
			}
		}
		set.Records = append(kept, set.Records...)
	}
	return set
}
