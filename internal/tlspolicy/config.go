package tlspolicy

import (
	"strconv"
	"strings"
)

// Config carries the smtp_tls_* (or lmtp_tls_*) parameters that shape the
// per-destination policy. The caller reads main.cf; this package never
// does, so that it stays pure and testable.
type Config struct {
	// LMTP selects the lmtp_* parameter names in messages, and disables
	// the smtp-only DANE precondition on ignore_mx_lookup_error.
	LMTP bool

	SecurityLevel   string // smtp_tls_security_level
	UseTLS          bool   // smtp_use_tls (legacy)
	EnforceTLS      bool   // smtp_enforce_tls (legacy)
	EnforcePeername bool   // smtp_tls_enforce_peername (legacy)

	Ciphers                 string // smtp_tls_ciphers
	MandatoryCiphers        string // smtp_tls_mandatory_ciphers
	ExcludeCiphers          string // smtp_tls_exclude_ciphers
	MandatoryExcludeCiphers string // smtp_tls_mandatory_exclude_ciphers
	Protocols               string // smtp_tls_protocols
	MandatoryProtocols      string // smtp_tls_mandatory_protocols

	VerifyCertMatch      string // smtp_tls_verify_cert_match
	SecureCertMatch      string // smtp_tls_secure_cert_match
	FingerprintCertMatch string // smtp_tls_fingerprint_cert_match
	FingerprintDigest    string // smtp_tls_fingerprint_digest
	TrustAnchorFile      string // smtp_tls_trust_anchor_file
	ServerName           string // smtp_tls_servername
	ConnectionReuse      bool   // smtp_tls_connection_reuse

	// DANEInsecureMXPolicy is smtp_tls_dane_insecure_mx_policy; empty
	// means the stock default expression (see InsecureMXPolicy).
	DANEInsecureMXPolicy string

	// PolicyMaps and PerSite only need to be non-empty when the caller has
	// such tables; the lookups themselves go through Lookup functions.
	PolicyMaps string // smtp_tls_policy_maps
	PerSite    string // smtp_tls_per_site (legacy)
}

// DefaultConfig returns the Postfix 3.7.11 defaults (postconf -d) at
// compatibility_level 3.6 or later. Use DefaultFingerprintDigest for older
// compatibility levels.
func DefaultConfig() Config {
	return Config{
		EnforcePeername:    true,
		Ciphers:            "medium",
		MandatoryCiphers:   "medium",
		Protocols:          ">=TLSv1",
		MandatoryProtocols: ">=TLSv1",
		VerifyCertMatch:    "hostname",
		SecureCertMatch:    "nexthop, dot-nexthop",
		FingerprintDigest:  "sha256",
	}
}

// DefaultFingerprintDigest evaluates the stock default
// "${{$compatibility_level} <level {3.6} ? {md5} : {sha256}}".
func DefaultFingerprintDigest(compatibilityLevel string) string {
	if compatLess(compatibilityLevel, "3.6") {
		return "md5"
	}
	return "sha256"
}

// compatLess compares compatibility levels numerically per dot-separated
// component, like the "<level" operator (missing components count as 0).
func compatLess(a, b string) bool {
	pa, pb := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < len(pa) || i < len(pb); i++ {
		x, y := compatPart(pa, i), compatPart(pb, i)
		if x != y {
			return x < y
		}
	}
	return false
}

func compatPart(p []string, i int) int {
	if i >= len(p) {
		return 0
	}
	n, err := strconv.Atoi(strings.TrimSpace(p[i]))
	if err != nil {
		return 0
	}
	return n
}

// prefix is "smtp" or "lmtp", the parameter-name prefix in messages.
func (c *Config) prefix() string {
	if c.LMTP {
		return "lmtp"
	}
	return "smtp"
}

// policyTitle is the table title that prefixes policy-map warnings.
func (c *Config) policyTitle() string { return c.prefix() + "_tls_policy_maps" }

// perSiteTitle is the title of the legacy per-site table.
func (c *Config) perSiteTitle() string { return c.prefix() + "_tls_per_site" }

// dq wraps s in double quotes without escaping, as C's "\"%s\"" does;
// Go's %q would escape and so change the stock text.
func dq(s string) string { return `"` + s + `"` }

// Separators used by the stock list parsers.
const (
	charsCommaSP = ", \t\r\n" // CHARS_COMMA_SP
)

// splitList splits s on any of the separator bytes and drops empty tokens,
// as mystrtok()/argv_split() do.
func splitList(s, seps string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return strings.ContainsRune(seps, r) })
}

// appendNonEmpty appends the non-empty strings of s.
func appendNonEmpty(list []string, s ...string) []string {
	for _, x := range s {
		if x != "" {
			list = append(list, x)
		}
	}
	return list
}
