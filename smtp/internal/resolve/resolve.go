package resolve

import (
	"context"
	"fmt"
	"slices"
)

// Result is the outcome of resolving one destination.
type Result struct {
	// Addrs in the order smtp(8) tries them. Empty means failure; Err
	// then says why.
	Addrs []Addr
	// Err is the resolution problem. With non-empty Addrs it describes a
	// partial failure (some MX host did not resolve) that smtp(8) keeps
	// as the reason should every connection fail as well.
	Err *Error
	// FoundSelf: this host is one of the MX hosts (the list was cut at
	// our preference). smtp(8) then treats the destination as final and
	// does not use fallback relays.
	FoundSelf bool
	// Loop: the mail would loop back to this host (5.4.6); with
	// best_mx_transport the caller passes the request on instead.
	Loop bool
	// BestMX is the most preferred MX record, nil without MX lookup.
	BestMX *MX
}

// MX is one MX record.
type MX struct {
	Host      string
	Pref      int
	Validated bool
	QName     string // the domain looked up
	RName     string // the owner of the MX record (after CNAMEs)
}

// Resolve resolves a parsed destination the way smtp_connect_inet()
// does: MX lookup for SMTP domain destinations (unless DNS is disabled),
// plain address lookup otherwise, with loop detection for SMTP port 25.
func (r *Resolver) Resolve(ctx context.Context, n Nexthop) Result {
	if n.Kind == Unix {
		return Result{Err: &Error{DSN: "4.3.5", Text: "unix-domain destination " + n.Text + " has no network address"}}
	}
	if n.LookupMX() && r.cfg.SupportLevel != DNSDisabled {
		return r.DomainAddrs(ctx, n.Host, n.LoopDetect())
	}
	return r.HostAddrs(ctx, n.Host, n.LoopDetect())
}

// DomainAddrs is smtp_domain_addr(): MX lookup, per-MX address lookup,
// best-MX-is-myself truncation, randomisation and ordering. Without MX
// records (or NXDOMAIN) the domain itself is used as implicit MX.
func (r *Resolver) DomainAddrs(ctx context.Context, name string, loopDetect bool) Result {
	aname, errRes := r.asciify(name)
	if errRes != nil {
		return *errRes
	}
	dnssec := r.cfg.SupportLevel == DNSSEC
	recs, st, text := r.lookup(ctx, aname, dnsTypeMX, dnssec)
	why := dsb{text: text}
	var res Result
	switch st {
	case StatusOK:
		return r.mxAddrs(ctx, name, recs, loopDetect)
	case StatusNotFound:
		return r.HostAddrs(ctx, aname, loopDetect)
	case StatusNullMX:
		why.dsn = "5.1.0"
	case StatusPolicy:
		why.dsn = "4.7.0"
	case StatusInval:
		why.dsn = "5.4.4"
	case StatusFail:
		why.dsn = "5.4.3"
	default:
		why.dsn = "4.4.3"
	}
	if r.cfg.IgnoreMXLookupError && st != StatusNullMX && st != StatusPolicy {
		return r.HostAddrs(ctx, aname, loopDetect)
	}
	res.Err = why.err()
	return res
}

// mxAddrs continues smtp_domain_addr() after a successful MX lookup.
func (r *Resolver) mxAddrs(ctx context.Context, name string, mxs []record, loopDetect bool) Result {
	// Stable sort: Postfix qsort()s (glibc's is a merge sort in practice),
	// so equal preferences keep DNS answer order here; the shuffle of the
	// address list below is what randomises equal-preference hosts.
	slices.SortStableFunc(mxs, func(a, b record) int { return int(a.pref) - int(b.pref) })
	best := mxs[0]
	res := Result{BestMX: &MX{Host: best.host, Pref: int(best.pref), Validated: best.validated, QName: best.qname, RName: best.name}}
	bestPref := int(mxs[0].pref)
	// Address lookups are DNSSEC-enabled only when the MX RRset validated
	// (or DANE policy demands it): an unsigned MX cannot vouch for them.
	dnssec := mxs[0].validated || (r.cfg.DNSSECHostLookups && r.cfg.SupportLevel != DNSDisabled)
	var why dsb
	var list []Addr
	for _, mx := range mxs {
		list = r.addrOne(ctx, list, mx.host, dnssec, int(mx.pref), &why)
		if len(list) >= maxRecords {
			break
		}
	}
	if len(list) == 0 {
		if r.cfg.DeferIfNoMXAddress && why.hard() {
			why.dsn = "4" + why.dsn[1:]
		}
		if why.dsn == "" {
			// Cannot happen in Postfix (it panics); keep a sane outcome.
			why.dsn, why.text = "4.4.4", fmt.Sprintf("no MX host for %s has a valid address record", name)
		}
		r.logf("warning: no MX host for %s has a valid address record", name)
		res.Err = why.err()
		return res
	}
	bestFound := list[0].Pref
	if loopDetect {
		if self, ok := r.findSelf(list); ok {
			res.FoundSelf = true
			list = truncateAtPref(list, self.Pref)
			if len(list) == 0 {
				if bestPref != bestFound {
					why = dsb{dsn: "4.4.4", text: fmt.Sprintf("unable to find primary relay for %s", name)}
				} else {
					why = dsb{dsn: "5.4.6", text: fmt.Sprintf("mail for %s loops back to myself", name)}
					res.Loop = true
				}
				res.Err = why.err()
				return res
			}
		}
	}
	res.Addrs = r.order(list, true)
	for i := range res.Addrs {
		res.Addrs[i].MX = res.BestMX
	}
	res.Err = why.err()
	return res
}

// HostAddrs is smtp_host_addr(): address lookup of one host at preference
// 0, used for [literal] destinations, LMTP, disabled DNS and implicit MX.
func (r *Resolver) HostAddrs(ctx context.Context, host string, loopDetect bool) Result {
	ahost, errRes := r.asciify(host)
	if errRes != nil {
		return *errRes
	}
	var why dsb
	list := r.addrOne(ctx, nil, ahost, r.cfg.SupportLevel == DNSSEC, 0, &why)
	if len(list) > 0 && loopDetect {
		if _, ok := r.findSelf(list); ok {
			return Result{FoundSelf: true, Loop: true, Err: &Error{DSN: "5.4.6", Text: fmt.Sprintf("mail for %s loops back to myself", host)}}
		}
	}
	// Postfix sorts here only when both families are enabled; with one
	// family the shuffled order stands.
	bothFamilies := r.cfg.Protocols == IPv4|IPv6
	return Result{Addrs: r.order(list, bothFamilies), Err: why.err()}
}

// asciify applies IDNA to non-ASCII names via Config.ToASCII. Without a
// converter a non-ASCII name cannot be looked up and is reported as an
// invalid name, like dns_lookup() does for names it refuses.
func (r *Resolver) asciify(name string) (string, *Result) {
	if isASCII(name) {
		return name, nil
	}
	if r.cfg.ToASCII != nil {
		if a, err := r.cfg.ToASCII(name); err == nil {
			return a, nil
		}
	}
	return "", &Result{Err: &Error{DSN: "5.4.4", Text: fmt.Sprintf("Name service error for %s: invalid host or domain name", name)}}
}
