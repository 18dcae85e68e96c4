package tlspolicy

import (
	"errors"
	"fmt"
	"strings"
)

// Entry is one parsed smtp_tls_policy_maps right-hand side:
// "level [name=value ...]" (tls_policy_lookup_one).
type Entry struct {
	Level Level

	Ciphers    string // ciphers= (grade); set iff CiphersSet
	CiphersSet bool
	Protocols  string // protocols=; may legitimately be empty
	ProtoSet   bool
	Exclude    string // exclude=; replaces both main.cf exclusion lists
	ExcludeSet bool
	ServerName string // servername=; non-empty when set (valid hostname)

	// Match holds verify/secure match= names (split on ':' only). MatchSet
	// is true even when the names split to nothing ("match=:"), because
	// stock then keeps an empty list instead of the main.cf default, and
	// the handshake must fail ("could not configure peer name checks").
	Match    []string
	MatchSet bool

	// Fingerprints holds the decoded fingerprint-level match= digests;
	// malformed values were skipped with a warning, as stock does.
	Fingerprints [][]byte

	// TrustAnchors accumulates records from tafile= (verify/secure only).
	TAFiles      []string
	TrustAnchors []TLSA

	ConnReuse    bool // connection_reuse=; the last one wins
	ConnReuseSet bool
}

// ErrInvalidPolicy marks a policy that must defer delivery with
// "4.7.5 client TLS configuration problem" (MARK_INVALID).
var ErrInvalidPolicy = errors.New("client TLS configuration problem")

// TrustFileLoader reads one trust-anchor file and converts it to TLSA
// records, typically os.ReadFile followed by ParseTrustAnchors. A nil
// loader records the names only. The error text is logged as is.
type TrustFileLoader func(path string) ([]TLSA, error)

// EntryParser parses policy entries for one table and destination.
type EntryParser struct {
	// Where prefixes every message, stock form:
	// `smtp_tls_policy_maps, next-hop destination "example.com"`.
	Where string
	// LoadTrustFile handles tafile=; see TrustFileLoader.
	LoadTrustFile TrustFileLoader
}

// Parse parses value. Warnings are returned in log order; a non-nil error
// wraps ErrInvalidPolicy and its own text (after the wrap) is the warning
// stock logs for the fatal problem, which callers log after the others.
func (p *EntryParser) Parse(value string) (Entry, []string, error) {
	var e Entry
	var warns []string
	fail := func(format string, a ...any) (Entry, []string, error) {
		msg := p.Where + ": " + fmt.Sprintf(format, a...)
		return Entry{Level: LevelInvalid}, warns, &PolicyError{Msg: msg}
	}
	toks := splitList(value, charsCommaSP)
	if len(toks) == 0 {
		return fail("invalid empty policy")
	}
	lvl, ok := ParseLevel(toks[0])
	if !ok {
		return fail("invalid security level %s", dq(toks[0]))
	}
	e.Level = lvl
	if lvl < LevelMay {
		// Attributes are harmless with TLS off, so stock only warns.
		for _, t := range toks[1:] {
			warns = append(warns, fmt.Sprintf("%s: ignoring attribute %s with TLS disabled", p.Where, dq(t)))
		}
		return e, warns, nil
	}
	for _, tok := range toks[1:] {
		name, val, err := splitNameVal(tok)
		if err != "" {
			return fail("malformed attribute/value pair %s: %s", dq(tok), err)
		}
		switch strings.ToLower(name) {
		case "ciphers":
			if val == "" {
				return fail("attribute %s has empty value", dq(name))
			}
			if e.CiphersSet {
				return fail("attribute %s is specified multiple times", dq(name))
			}
			e.Ciphers, e.CiphersSet = val, true
		case "protocols":
			if e.ProtoSet {
				return fail("attribute %s is specified multiple times", dq(name))
			}
			e.Protocols, e.ProtoSet = val, true
		case "servername":
			if e.ServerName != "" {
				return fail("attribute %s is specified multiple times", dq(name))
			}
			if !ValidHostname(val) {
				return fail("\"%s=%s\" specifies an invalid hostname", name, val)
			}
			e.ServerName = val
		case "match":
			if val == "" {
				return fail("attribute %s has empty value", dq(name))
			}
			switch lvl {
			case LevelFingerprint:
				fps, w := ParseFingerprintList(val, "|")
				warns = append(warns, w...)
				e.Fingerprints = append(e.Fingerprints, fps...)
			case LevelVerify, LevelSecure:
				e.Match = append(e.Match, splitList(val, ":")...)
				e.MatchSet = true
			default:
				return fail("attribute %s invalid at security level %s", dq(name), dq(lvl.String()))
			}
		case "exclude":
			if e.ExcludeSet {
				return fail("attribute %s is specified multiple times", dq(name))
			}
			e.Exclude, e.ExcludeSet = val, true
		case "tafile":
			// Stock checks the level before the value here, unlike match=.
			if !lvl.MustPKIX() {
				return fail("attribute %s invalid at security level %s", dq(name), dq(lvl.String()))
			}
			if val == "" {
				return fail("attribute %s has empty value", dq(name))
			}
			e.TAFiles = append(e.TAFiles, val)
			if p.LoadTrustFile != nil {
				recs, err := p.LoadTrustFile(val)
				if err != nil {
					warns = append(warns, err.Error())
					return Entry{Level: LevelInvalid}, warns, &PolicyError{}
				}
				e.TrustAnchors = append(e.TrustAnchors, recs...)
			}
		case "connection_reuse":
			switch {
			case strings.EqualFold(val, "yes"):
				e.ConnReuse, e.ConnReuseSet = true, true
			case strings.EqualFold(val, "no"):
				e.ConnReuse, e.ConnReuseSet = false, true
			default:
				return fail("attribute %s has bad value: %s", dq(name), dq(val))
			}
		default:
			return fail("invalid attribute name: %s", dq(name))
		}
	}
	return e, warns, nil
}

// PolicyError is an invalid policy. Msg is the stock warning for it, or
// empty when the cause was already logged (an unreadable tafile).
type PolicyError struct {
	Msg    string
	Status string // DSN status; "4.7.5" when empty
	Reason string // DSN text; ErrInvalidPolicy's text when empty
}

func (e *PolicyError) Error() string {
	if e.Msg == "" {
		return e.DSNReason()
	}
	return e.DSNReason() + ": " + e.Msg
}

// Unwrap lets callers test errors.Is(err, ErrInvalidPolicy).
func (e *PolicyError) Unwrap() error { return ErrInvalidPolicy }

// DSNStatus is the enhanced status code of the deferral.
func (e *PolicyError) DSNStatus() string {
	if e.Status == "" {
		return "4.7.5"
	}
	return e.Status
}

// DSNReason is the deferral text, e.g. "client TLS configuration problem".
func (e *PolicyError) DSNReason() string {
	if e.Reason == "" {
		return ErrInvalidPolicy.Error()
	}
	return e.Reason
}

// splitNameVal mirrors split_nameval() on one token; it returns the stock
// error text, or "" on success.
func splitNameVal(tok string) (name, val, errText string) {
	s := strings.TrimLeft(tok, cSpace)
	if s == "" || s[0] == '=' {
		return "", "", "missing attribute name"
	}
	end := strings.IndexAny(s, cSpace+"=")
	if end < 0 {
		return "", "", "missing '=' after attribute name"
	}
	name, rest := s[:end], strings.TrimLeft(s[end:], cSpace)
	if rest == "" || rest[0] != '=' {
		return "", "", "missing '=' after attribute name"
	}
	return name, strings.Trim(rest[1:], cSpace), ""
}

// cSpace is C isspace() in the C locale.
const cSpace = " \t\n\v\f\r"
