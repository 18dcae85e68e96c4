package tlspolicy

import (
	"crypto/x509"
	"encoding/asn1"
	"net/netip"
	"strings"
)

// NameChecks is what Postfix hands to OpenSSL for one session
// (add_namechecks): host references, where a leading '.' means "any
// subdomain", and at most one IP address, because OpenSSL 3.0's
// SSL_add1_host turns an entry that parses as an IP address into an IP
// check (required in addition to the host names: the num=64 quirk in the
// captures).
type NameChecks struct {
	Hosts []string
	IP    netip.Addr
	// MustFail is set when no reference could be loaded: stock then
	// forces verification to fail rather than skip name checks.
	MustFail bool
}

// BuildNameChecks expands a match list (smtp_tls_verify_cert_match,
// smtp_tls_secure_cert_match, match=, or the DANE list) for one session.
// Keywords are case-insensitive: "nexthop", "dot-nexthop", "hostname";
// ".domain" means subdomains of domain; a lone "." is ignored with a
// warning. Non-ASCII names become A-labels; a leading IDNA full-stop
// variant counts as a leading dot. Warnings are in stock wording.
func BuildNameChecks(namaddr string, match []string, nexthop, host string) (NameChecks, []string) {
	var nc NameChecks
	var warns []string
	loaded := 0
	for _, m := range match {
		name, sub := m, false
		switch {
		case strings.EqualFold(m, "nexthop"):
			name = nexthop
		case strings.EqualFold(m, "dot-nexthop"):
			name, sub = nexthop, true
		case strings.EqualFold(m, "hostname"):
			name = host
		case strings.HasPrefix(m, "."):
			if m == "." {
				warns = append(warns, namaddr+`: ignoring invalid match name: "."`)
				continue
			}
			name, sub = m[1:], true
		default:
			for _, v := range []string{"\u3002", "\uff0e", "\uff61"} {
				if rest, ok := strings.CutPrefix(m, v); ok && rest != "" {
					name, sub = rest, true
					break
				}
			}
		}
		if a, err := ToASCII(name); err == nil {
			name = a
		}
		if sub {
			name = "." + name
		}
		if !nc.add(name) {
			warns = append(warns, namaddr+": error loading match name: "+dq(name))
			continue
		}
		loaded++
	}
	if loaded == 0 {
		warns = append(warns, namaddr+": could not configure peer name checks")
		nc.MustFail = true
	}
	return nc, warns
}

// add mirrors SSL_add1_host: IP literals become the single IP check; a
// second one, or a name with a NUL, fails to load.
func (nc *NameChecks) add(name string) bool {
	if strings.IndexByte(name, 0) >= 0 {
		return false
	}
	if ip, err := netip.ParseAddr(name); err == nil && ip.Zone() == "" {
		if nc.IP.IsValid() {
			return false
		}
		nc.IP = ip
		return true
	}
	if name != "" {
		nc.Hosts = append(nc.Hosts, name)
	}
	// OpenSSL accepts an empty name without adding a check, and Postfix
	// counts it as loaded: then no name check happens at all.
	return true
}

// NameResult is the outcome of NameChecks.Verify.
type NameResult struct {
	OK bool
	// PeerName is the certificate name that matched (for
	// "matched peername: %s" and as peer_CN when there is no CN).
	PeerName string
	// Code is X509_V_ERR_HOSTNAME_MISMATCH (62) or
	// X509_V_ERR_IP_ADDRESS_MISMATCH (64) on failure; host names are
	// checked first, so 62 wins when both fail.
	Code int
}

// Verify checks the leaf the way OpenSSL's check_id() does. MustFail
// yields X509_V_ERR_UNSPECIFIED, as stock forces.
func (nc NameChecks) Verify(leaf *x509.Certificate) NameResult {
	if nc.MustFail {
		return NameResult{Code: XErrUnspecified}
	}
	var r NameResult
	if len(nc.Hosts) > 0 {
		matched := false
		for _, h := range nc.Hosts {
			if name, ok := CheckHost(leaf, h); ok {
				r.PeerName, matched = name, true
				break
			}
		}
		if !matched {
			return NameResult{Code: XErrHostnameMismatch}
		}
	}
	if nc.IP.IsValid() && !CheckIP(leaf, nc.IP) {
		return NameResult{Code: XErrIPAddressMismatch}
	}
	r.OK = true
	return r
}

// CheckIP is X509_check_ip: only iPAddress subjectAltNames count, and the
// address length must match (an IPv4 reference never matches a 16-byte
// SAN, even an IPv4-mapped one).
func CheckIP(leaf *x509.Certificate, ip netip.Addr) bool {
	want := ip.AsSlice()
	for _, san := range leaf.IPAddresses {
		if string(san) == string(want) {
			return true
		}
	}
	return false
}

var oidCommonName = asn1.ObjectIdentifier{2, 5, 4, 3}

// CheckHost is OpenSSL's X509_check_host with
// X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS, which is how Postfix registers
// every reference name. It returns the certificate name that matched.
// DNS subjectAltNames are compared; every subject CommonName is consulted
// only if the certificate has no DNS SAN at all. No trailing-dot
// normalisation is done, as in OpenSSL.
func CheckHost(leaf *x509.Certificate, ref string) (string, bool) {
	if ref == "" || strings.IndexByte(ref, 0) >= 0 {
		return "", false
	}
	sub := len(ref) > 1 && ref[0] == '.'
	if len(leaf.DNSNames) > 0 {
		for _, san := range leaf.DNSNames {
			if equalWildcard(san, ref, sub) {
				return san, true
			}
		}
		return "", false
	}
	for _, atv := range leaf.Subject.Names {
		if !atv.Type.Equal(oidCommonName) {
			continue
		}
		if cn, ok := atv.Value.(string); ok && cn != "" && equalWildcard(cn, ref, sub) {
			return cn, true
		}
	}
	return "", false
}
