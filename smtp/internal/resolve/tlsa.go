package resolve

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/miekg/dns"
)

// TLSA lookups for DANE (tls_dane.c: tls_dane_resolve, dane_lookup,
// qname_secure). Every query sets the DO bit and trusts the AD bit,
// whatever smtp_dns_support_level says: the DANE policy code only asks
// when that level is "dnssec".

// TLSA cache limits of tls_dane.c: 20 entries, TTL clamped to 1..100 s.
const (
	tlsaCacheSize   = 20
	tlsaCacheTTLMin = 1
	tlsaCacheTTLMax = 100
)

// TLSARecord is one TLSA record as received (RFC 6698 fields).
type TLSARecord struct {
	Usage, Selector, MatchingType uint8
	Data                          []byte
}

// DANEResult is what tls_dane_resolve() found for one server address.
type DANEResult struct {
	// BaseDomain is the host whose _port._tcp records were used (the
	// CNAME target or the MX host name); the TLS SNI and a DANE-TA name.
	BaseDomain string
	// Found: a DNSSEC-validated TLSA RRset exists. Without it the
	// destination has no DANE (NXDOMAIN, NODATA, an unsigned RRset, or
	// a host in an unsigned zone whose TLSA records were not looked up).
	Found bool
	// QName and RName of the TLSA RRset, for stock's record warnings.
	QName, RName string
	// Records in DNS answer order (only with Found).
	Records []TLSARecord
	// Fresh: the records came from the network, not the per-process
	// cache; stock logs its per-record warnings only then.
	Fresh bool
}

// ErrDNSSECStatus is returned when the DNSSEC status of a CNAME'd host
// name could not be determined (qname_secure); the warning was logged.
var ErrDNSSECStatus = errors.New("DNSSEC status lookup error")

// DANE is tls_dane_resolve(): the TLSA records of address a (as resolved
// for this delivery) at TCP port. Unless force
// (smtp_tls_force_insecure_host_tlsa_lookup), a host whose address
// records were not validated has no TLSA records; for a CNAME'd host the
// original name's security is checked first. The validated CNAME target
// is tried before the original name. A non-nil error is a lookup failure
// that must defer the mail ("TLSA lookup error for host:port").
func (r *Resolver) DANE(ctx context.Context, a Addr, port uint16, force bool) (DANEResult, error) {
	qname, rname := a.Host, a.RName
	if rname == "" {
		rname = qname
	}
	isCNAME := !strings.EqualFold(qname, rname)
	secure := true
	if !force && !a.Validated {
		secure = false
		if isCNAME {
			ok, err := r.qnameSecure(ctx, qname)
			if err != nil {
				return DANEResult{}, err
			}
			secure = ok
		}
	}
	if !secure {
		return DANEResult{BaseDomain: qname}, nil
	}
	if a.Validated {
		res, err := r.tlsaCached(ctx, rname, port)
		if err != nil || res.Found || !isCNAME {
			return res, err
		}
	}
	return r.tlsaCached(ctx, qname, port)
}

// qnameSecure is qname_secure(): whether the CNAME at qname validates.
func (r *Resolver) qnameSecure(ctx context.Context, qname string) (bool, error) {
	recs, st, text := r.lookup(ctx, qname, dns.TypeCNAME, true)
	switch st {
	case StatusOK:
		return recs[0].validated, nil
	case StatusNotFound:
		text = "no longer a CNAME"
	}
	r.logf("warning: DNSSEC status lookup error for %s: %s", qname, text)
	return false, ErrDNSSECStatus
}

// tlsaEntry is one cached dane_lookup() result.
type tlsaEntry struct {
	res     DANEResult
	expires time.Time
	used    time.Time
}

// tlsaCache is the per-process ctable of TLSA lookups.
type tlsaCache struct {
	mu      sync.Mutex
	entries map[string]*tlsaEntry
}

// tlsaCached is resolve_host(): the cached TLSA lookup of
// _port._tcp.host. Failures are not kept.
func (r *Resolver) tlsaCached(ctx context.Context, host string, port uint16) (DANEResult, error) {
	key := fmt.Sprintf("_%d._tcp.%s", port, host)
	now := r.now()
	c := &r.tlsa
	c.mu.Lock()
	if e, ok := c.entries[key]; ok && !now.After(e.expires) {
		e.used = now
		res := e.res
		c.mu.Unlock()
		res.Fresh = false
		return res, nil
	}
	c.mu.Unlock()
	res, ttl, err := r.lookupTLSA(ctx, key)
	if err != nil {
		return DANEResult{}, err
	}
	res.BaseDomain = host
	res.Fresh = true
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil {
		c.entries = map[string]*tlsaEntry{}
	}
	if _, ok := c.entries[key]; !ok && len(c.entries) >= tlsaCacheSize {
		oldest := ""
		for k, e := range c.entries {
			if oldest == "" || e.used.Before(c.entries[oldest].used) {
				oldest = k
			}
		}
		delete(c.entries, oldest)
	}
	// One more second for discrete time, as stock does.
	c.entries[key] = &tlsaEntry{res: res, used: now, expires: now.Add(time.Duration(1+ttl) * time.Second)}
	return res, nil
}

// lookupTLSA is dane_lookup(): one TLSA query with DNSSEC. It returns
// the result and the cache TTL in seconds.
func (r *Resolver) lookupTLSA(ctx context.Context, fqdn string) (DANEResult, uint32, error) {
	recs, st, text := r.lookup(ctx, fqdn, dns.TypeTLSA, true)
	switch st {
	case StatusOK:
	case StatusNotFound:
		return DANEResult{}, tlsaCacheTTLMin, nil
	default:
		r.logf("warning: DANE TLSA lookup problem: %s", text)
		return DANEResult{}, 0, fmt.Errorf("TLSA lookup problem: %s", text)
	}
	ttl := min(max(recs[0].ttl, tlsaCacheTTLMin), tlsaCacheTTLMax)
	if !recs[0].validated {
		return DANEResult{}, ttl, nil
	}
	res := DANEResult{Found: true, QName: recs[0].qname, RName: recs[0].name}
	for _, rec := range recs {
		data, err := hex.DecodeString(rec.tlsa.Certificate)
		if err != nil {
			// miekg/dns keeps the wire data as hex; this cannot fail.
			continue
		}
		res.Records = append(res.Records, TLSARecord{
			Usage: rec.tlsa.Usage, Selector: rec.tlsa.Selector, MatchingType: rec.tlsa.MatchingType, Data: data,
		})
	}
	return res, ttl, nil
}

func (r *Resolver) now() time.Time {
	if r.cfg.Now != nil {
		return r.cfg.Now()
	}
	return time.Now()
}
