package tlspolicy

import (
	"crypto"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"sort"
	"strings"
)

// TLSA is one TLSA record (RFC 6698) or a synthetic one built from
// fingerprints or trust-anchor files.
type TLSA struct {
	Usage        uint8
	Selector     uint8
	MatchingType uint8
	Data         []byte
}

// TLSA field values used here.
const (
	UsagePKIXTA = 0 // unsupported for SMTP; dropped
	UsagePKIXEE = 1 // unsupported for SMTP; dropped
	UsageDANETA = 2
	UsageDANEEE = 3

	SelectorCert = 0
	SelectorSPKI = 1

	MatchingFull   = 0
	MatchingSHA256 = 1
	MatchingSHA512 = 2
	// MatchingFingerprint is the private-use type stock reserves for
	// fingerprint-level matching; DNS records using it are dropped.
	MatchingFingerprint = 255
)

// String renders "u s m HEX" the way stock logs records: uppercase hex,
// abbreviated to the first and last 32 bytes around "..." when longer
// than 64 bytes, and "..." for empty data (tlsa_carp/tlsa_info).
func (t TLSA) String() string {
	return fmt.Sprintf("%d %d %d %s", t.Usage, t.Selector, t.MatchingType, dumpHex(t.Data))
}

func dumpHex(d []byte) string {
	const head, tail = 32, 32
	switch {
	case len(d) == 0:
		return "..."
	case len(d) > head+tail:
		return upperHex(d[:head]) + "..." + upperHex(d[len(d)-tail:])
	}
	return upperHex(d)
}

func upperHex(d []byte) string { return strings.ToUpper(hex.EncodeToString(d)) }

// FilterDNSRecords keeps the DNSSEC-validated TLSA records Postfix can use
// (parse_tlsa_rr): usages 2 and 3 only, never the private matching type
// 255. qname is the name queried and rname the owner after CNAMEs; both
// appear in the warnings when they differ (case-insensitively).
func FilterDNSRecords(qname, rname string, recs []TLSA) ([]TLSA, []string) {
	prefix := rname
	if !strings.EqualFold(qname, rname) {
		prefix = qname + " -> " + rname
	}
	var kept []TLSA
	var warns []string
	for _, r := range recs {
		switch {
		case r.Usage != UsageDANETA && r.Usage != UsageDANEEE:
			warns = append(warns, prefix+" unsupported TLSA certificate usage: "+r.String())
		case r.MatchingType == MatchingFingerprint:
			warns = append(warns, prefix+" reserved private-use matching type: "+r.String())
		default:
			kept = append(kept, r)
		}
	}
	return kept, warns
}

// Digests holds the enabled matching types and their preference ordinals
// (higher is preferred), as configured by tls_dane_digests and the
// fingerprint digest (tls_dane_digest_init).
type Digests struct {
	hash map[uint8]crypto.Hash
	ord  map[uint8]int
}

// DefaultDigests is tls_dane_digests = "sha512 sha256" with fpt as the
// hash behind the private fingerprint matching type.
func DefaultDigests(fpt crypto.Hash) Digests {
	d, _ := ParseDANEDigests("sha512 sha256", fpt)
	return d
}

// ParseDANEDigests interprets tls_dane_digests: a list, most preferred
// first, of "sha256", "sha512" or "name=number". Problems are skipped with
// the stock warnings. Names other than sha256/sha512 with a private
// number must be digests LookupDigest knows.
func ParseDANEDigests(list string, fpt crypto.Hash) (Digests, []string) {
	const param = "tls_dane_digests"
	var warns []string
	type slot struct {
		hash crypto.Hash
		ord  int
	}
	slots := map[int]*slot{}
	n := 0
	for _, tok := range splitList(list, charsCommaSP) {
		name, code, hasCode := strings.Cut(tok, "=")
		cp := -1
		if hasCode && code != "" {
			v, ok := parseUintStrict(code)
			if !ok || v >= 255 {
				warns = append(warns, fmt.Sprintf("Invalid matching type number in %s: %s=%s", param, name, code))
				continue
			}
			if v == 0 {
				warns = append(warns, fmt.Sprintf("Reserved matching type number in %s: %s=%s", param, name, code))
				continue
			}
			cp = v
		}
		if name == "" {
			if cp > 0 {
				slots[cp] = &slot{} // explicitly disabled
			}
			continue
		}
		switch {
		case cp < 0 && strings.EqualFold(name, "sha256"):
			cp = MatchingSHA256
		case cp < 0 && strings.EqualFold(name, "sha512"):
			cp = MatchingSHA512
		case cp < 0:
			warns = append(warns, fmt.Sprintf("%s: digest algorithm %s needs an explicit number", param, name))
			continue
		case cp == MatchingSHA256 && !strings.EqualFold(name, "sha256"):
			warns = append(warns, fmt.Sprintf("%s: matching type 1 can only be sha256", param))
			continue
		case cp == MatchingSHA512 && !strings.EqualFold(name, "sha512"):
			warns = append(warns, fmt.Sprintf("%s: matching type 2 can only be sha512", param))
			continue
		}
		if s, dup := slots[cp]; dup && s.ord != 0 {
			warns = append(warns, fmt.Sprintf("%s: matching type %d specified more than once", param, cp))
			continue
		}
		n++
		s := &slot{ord: n}
		slots[cp] = s
		h, err := LookupDigest(name)
		if err != nil {
			warns = append(warns, fmt.Sprintf("%s: digest algorithm %s(%d) unknown", param, dq(name), cp))
			continue
		}
		s.hash = h
	}
	d := Digests{hash: map[uint8]crypto.Hash{MatchingFingerprint: fpt}, ord: map[uint8]int{MatchingFingerprint: n + 1}}
	for cp, s := range slots {
		if s.hash != 0 {
			d.hash[uint8(cp)] = s.hash
			// First listed is most preferred; OpenSSL prefers high ordinals.
			d.ord[uint8(cp)] = n - s.ord + 1
		}
	}
	return d, warns
}

func parseUintStrict(s string) (int, bool) {
	if s == "" || len(s) > 4 {
		return 0, false
	}
	v := 0
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
		v = v*10 + int(s[i]-'0')
	}
	return v, true
}

// enabled reports whether matching type m can be used; Full always can.
func (d Digests) enabled(m uint8) bool {
	if m == MatchingFull {
		return true
	}
	_, ok := d.hash[m]
	return ok
}

// PrepareTLSA keeps the records that OpenSSL would accept
// (SSL_dane_tlsa_add) and orders them as it evaluates them: DANE-EE
// before DANE-TA, SPKI before full certificate, preferred digests first.
// Each rejected record gets the stock "<namaddr>: unusable TLSA RR"
// warning. An empty result triggers the level-specific fallback; see
// UnusableFallback.
func PrepareTLSA(namaddr string, recs []TLSA, d Digests) ([]TLSA, []string) {
	var usable []TLSA
	var warns []string
	for _, r := range recs {
		if !tlsaAcceptable(r, d) {
			warns = append(warns, namaddr+": unusable TLSA RR: "+r.String())
			continue
		}
		usable = append(usable, r)
	}
	sort.SliceStable(usable, func(i, j int) bool {
		a, b := usable[i], usable[j]
		if a.Usage != b.Usage {
			return a.Usage > b.Usage
		}
		if a.Selector != b.Selector {
			return a.Selector > b.Selector
		}
		return d.ord[a.MatchingType] > d.ord[b.MatchingType]
	})
	return usable, warns
}

func tlsaAcceptable(r TLSA, d Digests) bool {
	if r.Usage > UsageDANEEE || r.Selector > SelectorSPKI || !d.enabled(r.MatchingType) || r.Data == nil {
		return false
	}
	if r.MatchingType != MatchingFull {
		return len(r.Data) == d.hash[r.MatchingType].Size()
	}
	if r.Selector == SelectorCert {
		c, err := x509.ParseCertificate(r.Data)
		return err == nil && c.PublicKey != nil
	}
	_, err := x509.ParsePKIXPublicKey(r.Data)
	return err == nil
}
