package resolve

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/miekg/dns"
)

// SupportLevel is smtp_dns_support_level after disable_dns_lookups has
// been folded in (see ParseSupportLevel).
type SupportLevel int

const (
	DNSEnabled  SupportLevel = iota // plain DNS
	DNSDisabled                     // no DNS at all: native lookups, no MX
	DNSSEC                          // DO bit on queries, AD bit trusted
)

// ParseSupportLevel interprets smtp_dns_support_level; an empty level
// follows disable_dns_lookups, as in Postfix.
func ParseSupportLevel(level string, disableDNSLookups bool) (SupportLevel, error) {
	switch strings.ToLower(strings.TrimSpace(level)) {
	case "":
		if disableDNSLookups {
			return DNSDisabled, nil
		}
		return DNSEnabled, nil
	case "disabled":
		return DNSDisabled, nil
	case "enabled":
		return DNSEnabled, nil
	case "dnssec":
		return DNSSEC, nil
	}
	return 0, fmt.Errorf("invalid smtp_dns_support_level: %q", level)
}

// HostLookup is the smtp_host_lookup bit mask.
type HostLookup int

const (
	HostLookupDNS    HostLookup = 1 << iota // DNS A/AAAA queries
	HostLookupNative                        // getaddrinfo()-like: /etc/hosts, NSS
)

// ParseHostLookup parses smtp_host_lookup ("dns", "native", "dns, native").
func ParseHostLookup(value string) (HostLookup, error) {
	var m HostLookup
	for _, w := range splitCommaSpace(strings.ToLower(value)) {
		switch w {
		case "dns":
			m |= HostLookupDNS
		case "native":
			m |= HostLookupNative
		default:
			return 0, fmt.Errorf("bad smtp_host_lookup value: %s", value)
		}
	}
	if m == 0 {
		return 0, fmt.Errorf("bad smtp_host_lookup value: %s", value)
	}
	return m, nil
}

// Protocols is the inet_protocols bit mask.
type Protocols int

const (
	IPv4 Protocols = 1 << iota
	IPv6
)

// ParseInetProtocols parses inet_protocols ("all", "ipv4", "ipv6", lists).
// An empty value yields 0: the caller then defers with 4.4.4 "all network
// protocols are disabled", as smtp(8) does.
func ParseInetProtocols(value string) (Protocols, error) {
	var p Protocols
	for _, w := range splitCommaSpace(strings.ToLower(value)) {
		switch w {
		case "all":
			p |= IPv4 | IPv6
		case "ipv4":
			p |= IPv4
		case "ipv6":
			p |= IPv6
		default:
			return 0, fmt.Errorf("bad inet_protocols value: %s", value)
		}
	}
	return p, nil
}

func (p Protocols) allows(a netip.Addr) bool {
	if a.Is4() || a.Is4In6() {
		return p&IPv4 != 0
	}
	return p&IPv6 != 0
}

// qtypes is inet_proto_info()->dns_atype_list: A before AAAA.
func (p Protocols) qtypes() []uint16 {
	var t []uint16
	if p&IPv4 != 0 {
		t = append(t, dns.TypeA)
	}
	if p&IPv6 != 0 {
		t = append(t, dns.TypeAAAA)
	}
	return t
}

// AddressPreference is smtp_address_preference.
type AddressPreference int

const (
	PreferAny AddressPreference = iota
	PreferIPv4
	PreferIPv6
)

// ParseAddressPreference parses smtp_address_preference.
func ParseAddressPreference(value string) (AddressPreference, error) {
	switch strings.ToLower(strings.TrimSpace(value)) {
	case "any":
		return PreferAny, nil
	case "ipv4":
		return PreferIPv4, nil
	case "ipv6":
		return PreferIPv6, nil
	}
	return 0, fmt.Errorf("bad smtp_address_preference value: %s", value)
}

// Rand is the randomness source for smtp_randomize_addresses; a
// *math/rand/v2.Rand satisfies it. Tests inject a seeded one.
type Rand interface {
	IntN(n int) int
}

// NativeLookupFunc resolves a host name without DNS-level detail, like
// getaddrinfo(). Errors should be *net.DNSError when possible so that the
// soft/hard classification works.
type NativeLookupFunc func(ctx context.Context, host string) ([]netip.Addr, error)

// ReplyFilterFunc looks up one DNS record, formatted as Postfix's
// dns_strrecord() does ("name. ttl IN type value"), in
// smtp_dns_reply_filter. found=false keeps the record; action "IGNORE"
// drops it; any other action or an error fails the lookup.
type ReplyFilterFunc func(record string) (action string, found bool, err error)

// Config carries the main.cf parameters the resolver needs. Start from
// DefaultConfig so that boolean defaults match Postfix.
type Config struct {
	// ClientConfig is /etc/resolv.conf as read before chroot (servers,
	// port, timeout, attempts). Nil means glibc's fallback: 127.0.0.1:53.
	ClientConfig *dns.ClientConfig
	// Servers, when non-empty, replaces ClientConfig's servers; entries
	// are "host:port" (tests use 127.0.0.1:<random port>).
	Servers []string
	// Timeout per query attempt and number of attempts over the server
	// list; zero means ClientConfig's values, or glibc's 5s and 2.
	Timeout  time.Duration
	Attempts int

	SupportLevel         SupportLevel      // smtp_dns_support_level
	HostLookup           HostLookup        // smtp_host_lookup
	Protocols            Protocols         // inet_protocols
	AddressPreference    AddressPreference // smtp_address_preference
	Randomize            bool              // smtp_randomize_addresses
	MXAddressLimit       int               // smtp_mx_address_limit (for balancing)
	BalanceInetProtocols bool              // smtp_balance_inet_protocols
	DeferIfNoMXAddress   bool              // smtp_defer_if_no_mx_address_found
	IgnoreMXLookupError  bool              // ignore_mx_lookup_error
	// DNSSECHostLookups forces DNSSEC on MX host address lookups even when
	// the MX RRset was not validated (smtp_tls_dane_insecure_mx_policy
	// stronger than "may").
	DNSSECHostLookups bool
	// LocalAddrs are this host's listening and proxy addresses
	// (inet_interfaces + proxy_interfaces) for best-MX-is-myself checks.
	LocalAddrs []netip.Addr

	ReplyFilter ReplyFilterFunc                   // smtp_dns_reply_filter; nil = none
	Native      NativeLookupFunc                  // nil = net.DefaultResolver
	ToASCII     func(name string) (string, error) // IDNA for non-ASCII names; nil = reject them
	Rand        Rand                              // nil = math/rand/v2 top-level functions
	Logf        func(format string, args ...any)  // warnings/info; nil = discard
	Now         func() time.Time                  // TLSA cache clock; nil = time.Now
	_           struct{}                          // force keyed literals
}

// DefaultConfig returns Postfix 3.7's defaults for the parameters above.
func DefaultConfig() Config {
	return Config{
		SupportLevel:         DNSEnabled,
		HostLookup:           HostLookupDNS,
		Protocols:            IPv4 | IPv6,
		AddressPreference:    PreferAny,
		Randomize:            true,
		MXAddressLimit:       5,
		BalanceInetProtocols: true,
	}
}
