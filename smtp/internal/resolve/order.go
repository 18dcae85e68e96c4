package resolve

import (
	"net/netip"
	"slices"

	"github.com/miekg/dns"
)

const dnsTypeMX = dns.TypeMX

// order shuffles (smtp_randomize_addresses), sorts by preference and
// address family preference, and balances families under the address
// limit – the tail of smtp_domain_addr()/smtp_host_addr().
func (r *Resolver) order(list []Addr, sort bool) []Addr {
	if len(list) < 2 {
		return list
	}
	if r.cfg.Randomize {
		// Fisher–Yates, like dns_rr_shuffle(); combined with the stable
		// sort below this yields random order among equal preferences.
		for i := 0; i < len(list)-1; i++ {
			j := i + r.intN(len(list)-i)
			list[i], list[j] = list[j], list[i]
		}
	}
	if sort {
		pref := r.cfg.AddressPreference
		slices.SortStableFunc(list, func(a, b Addr) int {
			if a.Pref != b.Pref {
				return a.Pref - b.Pref
			}
			return familyRank(a.IP, pref) - familyRank(b.IP, pref)
		})
	}
	if r.cfg.MXAddressLimit > 0 && r.cfg.BalanceInetProtocols {
		list = balance(list, r.cfg.MXAddressLimit)
	}
	return list
}

func isV4(ip netip.Addr) bool { return ip.Is4() || ip.Is4In6() }

// familyRank orders families within one preference per
// smtp_address_preference; "any" keeps them equal.
func familyRank(ip netip.Addr, pref AddressPreference) int {
	switch {
	case pref == PreferIPv4 && !isV4(ip), pref == PreferIPv6 && isV4(ip):
		return 1
	}
	return 0
}

// balance is smtp_balance_inet_proto(): when both families are present and
// the list exceeds the limit, give each family a quota so that IPv6-heavy
// MX sets cannot crowd out IPv4 (or vice versa). Survivors keep their order.
func balance(list []Addr, limit int) []Addr {
	limit = min(limit, maxRecords)
	v4, v6 := 0, 0
	for _, a := range list {
		if isV4(a.IP) {
			v4++
		} else {
			v6++
		}
	}
	if v4 == 0 || v6 == 0 || v4+v6 <= limit {
		return list
	}
	var t4, t6 int
	switch {
	case v6 <= limit/2:
		t6, t4 = v6, limit-v6
	case v4 <= limit/2:
		t4, t6 = v4, limit-v4
	default:
		first := 0
		if isV4(list[0].IP) {
			first = 1
		}
		t4 = (limit + first) / 2
		t6 = limit - t4
	}
	out := list[:0:0]
	for _, a := range list {
		p := &t6
		if isV4(a.IP) {
			p = &t4
		}
		if *p > 0 {
			out = append(out, a)
			*p--
		}
	}
	return out
}

// findSelf is smtp_find_self(): the first address that is one of ours
// (inet_interfaces or proxy_interfaces).
func (r *Resolver) findSelf(list []Addr) (Addr, bool) {
	for _, a := range list {
		for _, own := range r.cfg.LocalAddrs {
			if own.Unmap() == a.IP.Unmap() {
				return a, true
			}
		}
	}
	return Addr{}, false
}

// truncateAtPref is smtp_truncate_self(): drop everything from the first
// address with our preference on (list is in MX order at this point).
func truncateAtPref(list []Addr, pref int) []Addr {
	for i, a := range list {
		if a.Pref == pref {
			return list[:i]
		}
	}
	return list
}
