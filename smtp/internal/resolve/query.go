package resolve

import (
	"context"
	"fmt"
	"net/netip"
	"strings"

	"github.com/miekg/dns"
)

// maxCNAME is dns_lookup_x()'s limit on CNAME indirections.
const maxCNAME = 10

// herrno mirrors the resolver's h_errno after a query.
type herrno int

const (
	hOK herrno = iota
	hHostNotFound
	hTryAgain
	hNoRecovery
	hNoData
)

func (h herrno) text() string {
	switch h {
	case hHostNotFound:
		return textHostNotFound
	case hTryAgain:
		return textTryAgain
	case hNoRecovery:
		return textNoRecovery
	case hNoData:
		return textNoData
	}
	return "Unknown error 0"
}

// record is one extracted resource record (Postfix's DNS_RR).
type record struct {
	qname     string // the name looked up (before CNAMEs), without trailing dot
	name      string // owner name without trailing dot
	ttl       uint32
	qtype     uint16
	pref      uint16     // MX
	host      string     // MX exchange or CNAME target, no trailing dot
	ip        netip.Addr // A/AAAA
	tlsa      *dns.TLSA  // TLSA
	validated bool       // DNSSEC: AD bit trusted and no unvalidated CNAME on the way
}

// text formats the record like dns_strrecord(), the key for
// smtp_dns_reply_filter.
func (r record) text() string {
	v := ""
	switch r.qtype {
	case dns.TypeMX:
		v = fmt.Sprintf("%d %s.", r.pref, r.host)
	case dns.TypeCNAME:
		v = r.host + "."
	case dns.TypeTLSA:
		// Lower-case hex, as dns_strrecord() prints it.
		v = fmt.Sprintf("%d %d %d %s", r.tlsa.Usage, r.tlsa.Selector, r.tlsa.MatchingType, strings.ToLower(r.tlsa.Certificate))
	default:
		v = r.ip.String()
	}
	return fmt.Sprintf("%s. %d IN %s %s", r.name, r.ttl, dns.TypeToString[r.qtype], v)
}

// lookup is dns_lookup() for one type: it validates the name, queries,
// follows CNAMEs, and maps the outcome to a Status with Postfix's text.
func (r *Resolver) lookup(ctx context.Context, name string, qtype uint16, dnssec bool) ([]record, Status, string) {
	tname := dns.TypeToString[qtype]
	if validHostaddr(name) || !validHostname(name, true) {
		// Postfix refuses to send numeric or malformed names to the
		// resolver (DJBDNS and Linux quirks) and calls them not found.
		return nil, StatusNotFound, fmt.Sprintf("Name service error for %s: invalid host or domain name", name)
	}
	maybeSecure := true
	qname := name
	for range maxCNAME {
		msg, h := r.exchange(ctx, name, qtype, dnssec)
		if h != hOK {
			text := fmt.Sprintf("Host or domain name not found. Name service error for name=%s type=%s: %s", name, tname, h.text())
			switch h {
			case hNoRecovery:
				return nil, StatusFail, text
			case hHostNotFound, hNoData:
				return nil, StatusNotFound, text
			}
			return nil, StatusRetry, text
		}
		// Without DO+trust-ad glibc strips the AD bit, so it only counts
		// when we asked for DNSSEC.
		ad := dnssec && msg.AuthenticatedData
		recs, cname, st := extract(msg, qtype, ad, &maybeSecure)
		switch st {
		case StatusOK:
			for i := range recs {
				recs[i].qname = qname
			}
			return r.filter(recs, name, tname)
		case StatusNullMX:
			return nil, st, fmt.Sprintf("Domain %s does not accept mail (nullMX)", name)
		case statusRecurse:
			if !maybeSecure {
				// Once a CNAME hop is unvalidated nothing after it can be.
				dnssec = false
			}
			name = cname
			continue
		}
		return nil, st, fmt.Sprintf("Name service error for name=%s type=%s: Malformed or unexpected name server reply", name, tname)
	}
	r.logf("warning: dns_lookup: Name server loop for %s", name)
	return nil, StatusNotFound, fmt.Sprintf("Name server loop for %s", name)
}

// statusRecurse is internal: only a CNAME was found (DNS_RECURSE).
const statusRecurse Status = -7

// extract is dns_get_answer(): keep records of the wanted type, remember
// the last CNAME target, and classify bad data.
func extract(msg *dns.Msg, qtype uint16, ad bool, maybeSecure *bool) ([]record, string, Status) {
	var recs []record
	cname := ""
	cnameFound := false
	notFound := StatusNotFound
	for _, rr := range msg.Answer {
		h := rr.Header()
		owner := strings.TrimSuffix(h.Name, ".")
		if h.Name != "." && !validRRName(owner) {
			return nil, "", StatusInval
		}
		if h.Rrtype == qtype {
			rec := record{name: owner, ttl: h.Ttl, qtype: qtype, validated: *maybeSecure && ad}
			switch v := rr.(type) {
			case *dns.MX:
				rec.pref, rec.host = v.Preference, strings.TrimSuffix(v.Mx, ".")
				if rec.host == "" {
					return nil, "", StatusNullMX
				}
				if !validRRName(rec.host) {
					if notFound != StatusRetry {
						notFound = StatusInval
					}
					continue
				}
			case *dns.A:
				rec.ip, _ = netip.AddrFromSlice(v.A.To4())
			case *dns.AAAA:
				rec.ip, _ = netip.AddrFromSlice(v.AAAA.To16())
			case *dns.CNAME:
				rec.host = strings.TrimSuffix(v.Target, ".")
			case *dns.TLSA:
				rec.tlsa = v
			}
			if (qtype == dns.TypeA || qtype == dns.TypeAAAA) && !rec.ip.IsValid() {
				notFound = StatusRetry // bad address length
				continue
			}
			recs = append(recs, rec)
			continue
		}
		if v, ok := rr.(*dns.CNAME); ok {
			cnameFound = true
			cname = strings.TrimSuffix(v.Target, ".")
			if !validRRName(cname) {
				return nil, "", StatusInval
			}
			if !ad {
				*maybeSecure = false
			}
		}
	}
	switch {
	case len(recs) > 0:
		return recs, "", StatusOK
	case cnameFound:
		return nil, cname, statusRecurse
	}
	return nil, "", notFound
}

// validRRName is valid_rr_name(): numeric names pass (with a warning in
// Postfix), otherwise the name must be a valid hostname, wildcards allowed.
func validRRName(name string) bool {
	return validHostaddr(name) || validHostname(name, true)
}

// filter applies smtp_dns_reply_filter to a successful answer.
func (r *Resolver) filter(recs []record, name, tname string) ([]record, Status, string) {
	if r.cfg.ReplyFilter == nil {
		return recs, StatusOK, ""
	}
	kept := recs[:0:0]
	for _, rec := range recs {
		key := rec.text()
		action, found, err := r.cfg.ReplyFilter(key)
		if err != nil || (found && !strings.EqualFold(strings.TrimSpace(action), "IGNORE")) {
			if err == nil {
				r.logf("warning: unknown DNS filter action: \"%s\"", action)
			}
			return nil, StatusRetry, fmt.Sprintf("Error looking up name=%s type=%s: Invalid DNS reply filter syntax", name, tname)
		}
		if found {
			r.logf("ignoring DNS RR: %s", key)
			continue
		}
		kept = append(kept, rec)
	}
	if len(kept) == 0 {
		return nil, StatusPolicy, fmt.Sprintf("Error looking up name=%s type=%s: DNS reply filter drops all results", name, tname)
	}
	return kept, StatusOK, ""
}

// lookupTypes is dns_lookup_v(): query each type in turn, keep every
// record, and report the best status; on ties the later type's text wins,
// as in Postfix (e.g. "type=AAAA" when both A and AAAA are not found).
func (r *Resolver) lookupTypes(ctx context.Context, name string, qtypes []uint16, dnssec bool) ([]record, Status, string) {
	var all []record
	best, bestText := Status(-100), ""
	for _, t := range qtypes {
		recs, st, text := r.lookup(ctx, name, t, dnssec)
		all = append(all, recs...)
		if st >= best {
			best, bestText = st, text
		}
	}
	if len(all) > maxRecords {
		all = all[:maxRecords]
	}
	return all, best, bestText
}
