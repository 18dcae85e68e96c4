package resolve

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
)

// Addr is one server address to try, in order.
type Addr struct {
	Host      string     // MX host name (or the destination host); not the CNAME target
	IP        netip.Addr // the address to connect to
	Pref      int        // MX preference; 0 for implicit MX / literal destinations
	Validated bool       // DNSSEC-validated (AD bit trusted at level dnssec)
	// RName is the owner of the address record after CNAMEs; empty
	// means Host (numeric hosts, native lookups).
	RName string
	// MX is the destination's best MX record when the address came
	// from an MX lookup (stock's iter->mx, for DANE); nil otherwise.
	MX *MX
}

// addrOne is smtp_addr_one(): append the addresses of one host to list,
// recording problems in why (soft dominates hard).
func (r *Resolver) addrOne(ctx context.Context, list []Addr, host string, dnssec bool, pref int, why *dsb) []Addr {
	protos := r.cfg.Protocols
	if ip, ok := parseNumeric(host); ok && protos.allows(ip) {
		return appendLimited(list, Addr{Host: host, IP: ip, Pref: pref})
	}
	if r.cfg.HostLookup&HostLookupDNS != 0 && r.cfg.SupportLevel != DNSDisabled {
		recs, st, text := r.lookupTypes(ctx, host, protos.qtypes(), dnssec)
		if st == StatusOK {
			for _, rec := range recs {
				list = appendLimited(list, Addr{Host: host, IP: rec.ip, Pref: pref, Validated: rec.validated, RName: rec.name})
			}
			return list
		}
		// dns_lookup writes the reason text unconditionally; only the
		// status code obeys "soft dominates".
		why.text = text
		switch st {
		case StatusFail:
			why.dsn = why.pick("4.4.3", "5.4.3")
		case StatusInval:
			why.dsn = why.pick("4.4.4", "5.4.4")
		case StatusPolicy:
			why.dsn = "4.7.0"
		case StatusNotFound:
			why.dsn = why.pick("4.4.4", "5.4.4")
			goto native // maybe the native naming service will succeed
		default:
			why.dsn = "4.4.3"
		}
		return list
	}
native:
	if r.cfg.HostLookup&HostLookupNative == 0 && r.cfg.SupportLevel != DNSDisabled {
		return list
	}
	return r.native(ctx, list, host, pref, why)
}

// native is the getaddrinfo() branch of smtp_addr_one().
func (r *Resolver) native(ctx context.Context, list []Addr, host string, pref int, why *dsb) []Addr {
	lookup := r.cfg.Native
	if lookup == nil {
		lookup = func(ctx context.Context, h string) ([]netip.Addr, error) {
			return net.DefaultResolver.LookupNetIP(ctx, "ip", h)
		}
	}
	ips, err := lookup(ctx, host)
	if ip, ok := parseNumeric(host); ok && err != nil {
		// getaddrinfo() always "resolves" a numeric host.
		ips, err = []netip.Addr{ip}, nil
	}
	if err != nil {
		gaiText, retry, nohost := classifyNative(err)
		// Soft if already soft or getaddrinfo said "try again"; x.4.4
		// for "no such host" class errors, x.3.0 for system trouble.
		code := "3.0"
		if nohost {
			code = "4.4"
		}
		if why.soft() || retry {
			code = "4." + code
		} else {
			code = "5." + code
		}
		why.dsn, why.text = code, fmt.Sprintf("unable to look up host %s: %s", host, gaiText)
		return list
	}
	found := 0
	for _, ip := range ips {
		ip = ip.Unmap()
		if !r.cfg.Protocols.allows(ip) {
			r.logf("skipping address family %d for host %s", family(ip), host)
			continue
		}
		found++
		list = appendLimited(list, Addr{Host: host, IP: ip, Pref: pref})
	}
	if found == 0 {
		why.dsn, why.text = why.pick("4.4.4", "5.4.4"), fmt.Sprintf("%s: host not found", host)
	}
	return list
}

// classifyNative maps a Go resolver error onto the getaddrinfo() error
// Postfix would have seen: its gai_strerror() text, whether it is a
// retryable error (EAI_AGAIN/EAI_MEMORY/EAI_SYSTEM) and whether it is a
// "no such host" class error (EAI_AGAIN/EAI_NODATA/EAI_NONAME → x.4.4).
func classifyNative(err error) (text string, retry, nohost bool) {
	var de *net.DNSError
	if errors.As(err, &de) {
		switch {
		case de.IsNotFound:
			return "Name or service not known", false, true // EAI_NONAME
		case de.IsTemporary || de.IsTimeout:
			return "Temporary failure in name resolution", true, true // EAI_AGAIN
		}
		return "Non-recoverable failure in name resolution", false, false // EAI_FAIL
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return "Temporary failure in name resolution", true, true
	}
	return "System error", true, false // EAI_SYSTEM
}

func family(ip netip.Addr) int {
	if ip.Is4() {
		return 2 // AF_INET
	}
	return 10 // AF_INET6 (Linux)
}

// appendLimited enforces dns_rr_list_limit: extra records are dropped.
func appendLimited(list []Addr, a Addr) []Addr {
	if len(list) >= maxRecords {
		return list
	}
	return append(list, a)
}
