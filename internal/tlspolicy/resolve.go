package tlspolicy

import (
	"fmt"
	"strings"
)

// Lookup queries one table (smtp_tls_policy_maps or smtp_tls_per_site)
// with an exact key. Tables are expected to fold case, as stock opens them.
type Lookup func(key string) (value string, found bool, err error)

// Destination identifies one delivery attempt, as the stock policy cache
// key does (next-hop, server hostname, port).
type Destination struct {
	// NextHop is the current next-hop destination: "example.com",
	// "[192.0.2.1]:25", "host:port", or a unix-socket path for LMTP.
	NextHop string
	// Host is the server hostname (the MX name or the literal host).
	Host string
	// Port is the TCP port; 0 means a unix-domain destination.
	Port int
	// MX describes the MX record the host came from; nil when there was
	// no MX lookup (literal next-hops, relayhost with brackets, ...).
	MX *MXInfo
}

// MXInfo is the DNSSEC status and names of the MX host record.
type MXInfo struct {
	QName       string // name as found in the MX RRset
	RName       string // after CNAME expansion
	DNSSECValid bool   // the MX RRset was DNSSEC-validated
}

// Policy is the effective TLS policy for one destination.
type Policy struct {
	Level       Level
	Protocols   string // protocol list (smtp_tls_[mandatory_]protocols or protocols=)
	CipherGrade string // "medium", "high", ... (or ciphers=)
	Exclusions  string // space-separated OpenSSL exclusion tokens
	SNI         string // "" (none), "hostname", "nexthop" or a literal name
	// Match is the name-check list at verify/secure and at DANE levels
	// (see BuildNameChecks). MatchSet distinguishes an empty but explicit
	// match= list, which must fail verification.
	Match    []string
	MatchSet bool
	// Fingerprints are the decoded digests at the fingerprint level.
	Fingerprints [][]byte
	// TAFiles and TrustAnchors: trust-anchor files at verify/secure.
	TAFiles      []string
	TrustAnchors []TLSA
	// DANE holds the TLSA records at DANE levels.
	DANE            *TLSASet
	ConnectionReuse bool
}

// Resolver computes policies. It holds no mutable state; stock caches
// results per process, which callers may do keyed by (next-hop, host, port).
type Resolver struct {
	cfg           Config
	global        Level
	insecureMX    Level
	policy        Lookup
	perSite       Lookup
	loadTrustFile TrustFileLoader
}

// NewResolver validates the configuration; its errors are the texts stock
// treats as fatal at start-up. policy and perSite may be nil; as in stock,
// smtp_tls_per_site is ignored when policy maps exist (the returned
// warning says so).
func NewResolver(cfg Config, policy, perSite Lookup, load TrustFileLoader) (*Resolver, []string, error) {
	g, err := GlobalLevel(&cfg)
	if err != nil {
		return nil, nil, fmt.Errorf("tlspolicy: %w", err)
	}
	imx := LevelNone
	if !cfg.LMTP {
		if imx, err = InsecureMXPolicy(&cfg); err != nil {
			return nil, nil, fmt.Errorf("tlspolicy: %w", err)
		}
	}
	var warns []string
	if policy != nil && perSite != nil {
		warns = append(warns, fmt.Sprintf("%s ignored when %s is not empty.", cfg.perSiteTitle(), cfg.policyTitle()))
		perSite = nil
	}
	return &Resolver{cfg: cfg, global: g, insecureMX: imx, policy: policy, perSite: perSite, loadTrustFile: load}, warns, nil
}

// GlobalLevel is the level used when no table entry applies.
func (r *Resolver) GlobalLevel() Level { return r.global }

// Resolve computes the effective policy for d (stock policy_create).
// The warnings are every stock warning in log order, including the one
// for an invalid entry. On error (a *PolicyError) the delivery must be
// deferred with its DSN status and reason; smtp also logs
// LookupFailureLog then.
func (r *Resolver) Resolve(d Destination, env DANEEnv) (Policy, []string, error) {
	var warns []string
	p := Policy{Level: r.global, ConnectionReuse: r.cfg.ConnectionReuse}
	site := LevelNotFound
	var entry Entry
	switch {
	case r.policy != nil:
		var err error
		entry, site, warns, err = r.lookupPolicy(d.NextHop)
		if err != nil {
			return Policy{Level: LevelInvalid}, warns, err
		}
	case r.perSite != nil:
		var err error
		site, warns, err = r.lookupPerSite(d)
		if err != nil {
			return Policy{Level: LevelInvalid}, warns, err
		}
	}
	if site != LevelNotFound {
		p.Level = site
	}
	r.applyEntry(&p, entry)
	if p.Level.DANEBased() {
		w, err := r.daneInit(&p, d, env)
		warns = append(warns, w...)
		if err != nil {
			return Policy{Level: LevelInvalid}, warns, err
		}
	}
	if p.Level > LevelNone && !entry.ProtoSet {
		p.Protocols = r.cfg.MandatoryProtocols
		if p.Level == LevelMay {
			p.Protocols = r.cfg.Protocols
		}
	}
	if p.Level > LevelNone && entry.ServerName == "" {
		if r.cfg.ServerName != "" && !ValidHostname(r.cfg.ServerName) {
			warns = append(warns, fmt.Sprintf("\"%s_tls_servername = %s\" specifies an invalid hostname", r.cfg.prefix(), r.cfg.ServerName))
			return Policy{Level: LevelInvalid}, warns, &PolicyError{}
		}
		p.SNI = r.cfg.ServerName
	}
	r.setCipherGrade(&p, entry)
	w, err := r.matchDefaults(&p, d)
	warns = append(warns, w...)
	if err != nil {
		return Policy{Level: LevelInvalid}, warns, err
	}
	return p, warns, nil
}

// PolicyLookupKeys lists the keys tried for a next-hop, in order: the
// exact string, then for a hostname each parent domain in leading-dot
// form ("a.example.com", ".example.com", ".com"). Bracketed, port-suffixed
// and unix-socket destinations get one exact lookup.
func PolicyLookupKeys(nexthop string) []string {
	keys := []string{nexthop}
	if !validUTF8Hostname(nexthop) {
		return keys
	}
	for rest := nexthop; ; {
		i := strings.IndexByte(rest[1:], '.')
		if i < 0 {
			return keys
		}
		rest = rest[i+1:]
		keys = append(keys, rest)
	}
}

// validUTF8Hostname approximates valid_utf8_hostname with SMTPUTF8 on:
// an ASCII hostname, or a UTF-8 one whose A-label form is valid.
func validUTF8Hostname(s string) bool {
	if isASCII(s) {
		return ValidHostname(s)
	}
	a, err := ToASCII(s)
	return err == nil && ValidHostname(a)
}

func (r *Resolver) lookupPolicy(nexthop string) (Entry, Level, []string, error) {
	var warns []string
	for _, key := range PolicyLookupKeys(nexthop) {
		where := fmt.Sprintf("%s, next-hop destination %s", r.cfg.policyTitle(), dq(key))
		val, found, err := r.policy(key)
		if err != nil {
			warns = append(warns, where+": policy table lookup error")
			return Entry{}, LevelInvalid, warns, &PolicyError{Msg: where + ": policy table lookup error"}
		}
		if !found {
			continue
		}
		ep := EntryParser{Where: where, LoadTrustFile: r.loadTrustFile}
		e, w, err := ep.Parse(val)
		warns = append(warns, w...)
		if err != nil {
			if pe, ok := err.(*PolicyError); ok && pe.Msg != "" {
				warns = append(warns, pe.Msg)
			}
			return Entry{}, LevelInvalid, warns, err
		}
		return e, e.Level, warns, nil
	}
	return Entry{}, LevelNotFound, warns, nil
}

// lookupPerSite implements the legacy smtp_tls_per_site rules: next-hop
// and server hostname results combine as VERIFY > ENCRYPT > NONE > MAY,
// and a combined MAY yields to a stronger global level.
func (r *Resolver) lookupPerSite(d Destination) (Level, []string, error) {
	var warns []string
	site := LevelNotFound
	one := func(name, class string) error {
		val, found, err := r.perSite(name)
		if err != nil {
			warns = append(warns, fmt.Sprintf("%s: %s %s: per-site table lookup error", r.cfg.perSiteTitle(), class, dq(name)))
			return &PolicyError{Status: "4.3.0", Reason: "Temporary lookup error"}
		}
		if !found {
			return nil
		}
		switch {
		case strings.EqualFold(val, "NONE"):
			if site <= LevelMay {
				site = LevelNone
			}
		case strings.EqualFold(val, "MAY"):
			if site < LevelNone {
				site = LevelMay
			}
		case strings.EqualFold(val, "MUST_NOPEERMATCH"):
			site = max(site, LevelEncrypt)
		case strings.EqualFold(val, "MUST"):
			site = max(site, LevelVerify)
		default:
			warns = append(warns, fmt.Sprintf("%s: unknown TLS policy '%s' for %s %s", r.cfg.perSiteTitle(), val, class, name))
			return &PolicyError{}
		}
		return nil
	}
	if err := one(d.NextHop, "next-hop destination"); err != nil {
		return LevelInvalid, warns, err
	}
	if !strings.EqualFold(d.NextHop, d.Host) {
		if err := one(d.Host, "server hostname"); err != nil {
			return LevelInvalid, warns, err
		}
	}
	if site == LevelMay && r.global > LevelMay {
		site = r.global
	}
	return site, warns, nil
}

// applyEntry copies the per-destination attributes that do not depend on
// the final level.
func (r *Resolver) applyEntry(p *Policy, e Entry) {
	p.Protocols, p.SNI = e.Protocols, e.ServerName
	p.Match, p.MatchSet = e.Match, e.MatchSet
	p.Fingerprints = e.Fingerprints
	p.TAFiles, p.TrustAnchors = e.TAFiles, e.TrustAnchors
	if e.ConnReuseSet {
		p.ConnectionReuse = e.ConnReuse
	}
}

// setCipherGrade picks the grade and exclusions per level
// (set_cipher_grade): exclude= replaces both main.cf exclusion lists,
// but the level's own eNULL/aNULL is always appended.
func (r *Resolver) setCipherGrade(p *Policy, e Entry) {
	var mandExcl, alsoExcl string
	switch {
	case p.Level <= LevelNone:
		return
	case p.Level == LevelMay:
		p.CipherGrade = r.cfg.Ciphers
	case p.Level == LevelEncrypt:
		p.CipherGrade, mandExcl, alsoExcl = r.cfg.MandatoryCiphers, r.cfg.MandatoryExcludeCiphers, "eNULL"
	default:
		p.CipherGrade, mandExcl, alsoExcl = r.cfg.MandatoryCiphers, r.cfg.MandatoryExcludeCiphers, "aNULL"
	}
	if e.CiphersSet {
		p.CipherGrade = e.Ciphers
	}
	var parts []string
	if e.ExcludeSet {
		parts = appendNonEmpty(parts, e.Exclude)
	} else {
		parts = appendNonEmpty(parts, r.cfg.ExcludeCiphers, mandExcl)
	}
	p.Exclusions = strings.Join(appendNonEmpty(parts, alsoExcl), " ")
}
