package tlspolicy

import (
	"fmt"
	"strings"
)

// Level is a TLS security level. The numeric values are the stock codes
// (src/tls/tls.h): they travel on the tlsproxy and scache wire as
// "tls_level", and their order is what the predicates below compare.
type Level int

// The stock levels. LevelNotFound and LevelInvalid are sentinels that never
// go on the wire; LevelHalfDANE is produced only by DANE resolution.
const (
	LevelInvalid     Level = -2
	LevelNotFound    Level = -1
	LevelNone        Level = 0
	LevelMay         Level = 1
	LevelEncrypt     Level = 2
	LevelFingerprint Level = 3
	LevelHalfDANE    Level = 4
	LevelDANE        Level = 5
	LevelDANEOnly    Level = 6
	LevelVerify      Level = 7
	LevelSecure      Level = 8
)

var levelNames = map[Level]string{
	LevelNone:        "none",
	LevelMay:         "may",
	LevelEncrypt:     "encrypt",
	LevelFingerprint: "fingerprint",
	LevelHalfDANE:    "halfdane",
	LevelDANE:        "dane",
	LevelDANEOnly:    "dane-only",
	LevelVerify:      "verify",
	LevelSecure:      "secure",
}

// ParseLevel maps a level name to its Level, case-insensitively, as
// tls_level_lookup does. "halfdane" is output-only and is rejected, like
// any unknown name.
func ParseLevel(name string) (Level, bool) {
	for l, n := range levelNames {
		if l != LevelHalfDANE && strings.EqualFold(n, name) {
			return l, true
		}
	}
	return LevelInvalid, false
}

// String returns the stock name; levels without one print as "unknown",
// which is what the policy warnings say for them (policy_name()).
func (l Level) String() string {
	if n, ok := levelNames[l]; ok {
		return n
	}
	return "unknown"
}

// Required reports whether TLS is mandatory (TLS_REQUIRED).
func (l Level) Required() bool { return l > LevelMay }

// MustMatch reports whether the peer must be authenticated (TLS_MUST_MATCH).
func (l Level) MustMatch() bool { return l > LevelEncrypt }

// MustPKIX reports whether CA-based trust applies, which is also where
// tafile= is allowed (TLS_MUST_PKIX).
func (l Level) MustPKIX() bool { return l >= LevelVerify }

// Opportunistic reports may and dane (TLS_OPPORTUNISTIC).
func (l Level) Opportunistic() bool { return l == LevelMay || l == LevelDANE }

// DANEBased reports halfdane, dane and dane-only (TLS_DANE_BASED).
func (l Level) DANEBased() bool { return l >= LevelHalfDANE && l <= LevelDANEOnly }

// NeverSecured reports halfdane: matched is enough for policy, but the
// summary says "Trusted", never "Verified" (TLS_NEVER_SECURED).
func (l Level) NeverSecured() bool { return l == LevelHalfDANE }

// GlobalLevel computes the default level from smtp_tls_security_level or,
// when that is empty, from the legacy smtp_enforce_tls / smtp_use_tls /
// smtp_tls_enforce_peername booleans (global_tls_level). An invalid level
// is fatal at start-up in stock; the error text is the fatal message.
func GlobalLevel(c *Config) (Level, error) {
	if c.SecurityLevel != "" {
		l, ok := ParseLevel(c.SecurityLevel)
		if !ok {
			return LevelInvalid, fmt.Errorf("invalid tls security level: %s", dq(c.SecurityLevel))
		}
		return l, nil
	}
	switch {
	case c.EnforceTLS && c.EnforcePeername:
		return LevelVerify, nil
	case c.EnforceTLS:
		return LevelEncrypt, nil
	case c.UseTLS:
		return LevelMay, nil
	}
	return LevelNone, nil
}

// InsecureMXPolicy parses smtp_tls_dane_insecure_mx_policy; only may,
// encrypt and dane are accepted (smtp.c pre_init). An empty value takes the
// stock default "${{$smtp_tls_security_level} == {dane} ? {dane} : {may}}".
// Stock parses it only in smtp mode; lmtp never has MX records, and the
// resolver then uses LevelNone as stock's zero value.
func InsecureMXPolicy(c *Config) (Level, error) {
	v := c.DANEInsecureMXPolicy
	if v == "" {
		if c.SecurityLevel == "dane" {
			return LevelDANE, nil
		}
		return LevelMay, nil
	}
	l, ok := ParseLevel(v)
	if ok && (l == LevelMay || l == LevelEncrypt || l == LevelDANE) {
		return l, nil
	}
	return LevelInvalid, fmt.Errorf("invalid smtp_tls_dane_insecure_mx_policy: %s", dq(v))
}
