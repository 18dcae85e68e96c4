package tlspolicy

// equalWildcard compares a certificate name (pattern) with a reference
// (subject) as OpenSSL's equal_wildcard() does under
// X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS. A reference starting with '.'
// (sub) never uses the wildcard logic: it matches any certificate name
// that ends with it after a non-empty prefix, which is how ".example.com"
// matches "*.example.com" and "a.b.example.com" but not "example.com".
func equalWildcard(pattern, ref string, sub bool) bool {
	if !sub {
		if star := validStar(pattern); star >= 0 {
			return wildcardMatch(pattern[:star], pattern[star+1:], ref)
		}
	}
	return equalNoCase(pattern, ref, sub)
}

// equalNoCase is ASCII case-insensitive equality; with sub, a longer
// pattern is first trimmed to the reference's length (skip_prefix), the
// trimmed prefix being free of NUL bytes.
func equalNoCase(pattern, ref string, sub bool) bool {
	if sub && len(pattern) > len(ref) {
		cut := len(pattern) - len(ref)
		for i := 0; i < cut; i++ {
			if pattern[i] == 0 {
				cut = -1
				break
			}
		}
		if cut > 0 {
			pattern = pattern[cut:]
		}
	}
	if len(pattern) != len(ref) {
		return false
	}
	for i := 0; i < len(pattern); i++ {
		l, r := pattern[i], ref[i]
		if l == 0 {
			return false
		}
		if lower(l) != lower(r) {
			return false
		}
	}
	return true
}

func lower(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// validStar returns the index of the one usable wildcard in a certificate
// name, or -1 (valid_star). The '*' must be the whole first label (no
// partial wildcards), there must be at least two dots, every label must be
// LDH without leading or trailing hyphens or empty labels (so a trailing
// dot disables the wildcard), and anything else turns the name into a
// literal that is then compared as plain text.
func validStar(p string) int {
	const (
		labelStart  = 1
		labelIDNA   = 2
		labelHyphen = 4
	)
	star, state, dots := -1, labelStart, 0
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch {
		case c == '*':
			atStart := state&labelStart != 0
			atEnd := i == len(p)-1 || p[i+1] == '.'
			if star >= 0 || state&labelIDNA != 0 || dots > 0 {
				return -1
			}
			if !atStart || !atEnd {
				return -1
			}
			star = i
			state &^= labelStart
		case isAlnum(c):
			if state&labelStart != 0 && len(p)-i >= 4 && equalFoldASCII(p[i:i+4], "xn--") {
				state |= labelIDNA
			}
			state &^= labelHyphen | labelStart
		case c == '.':
			if state&(labelHyphen|labelStart) != 0 {
				return -1
			}
			state = labelStart
			dots++
		case c == '-':
			if state&labelStart != 0 {
				return -1
			}
			state |= labelHyphen
		default:
			return -1
		}
	}
	if state&(labelStart|labelHyphen) != 0 || dots < 2 {
		return -1
	}
	return star
}

// wildcardMatch matches ref against prefix*suffix (wildcard_match). With
// the star as the whole first label it must cover at least one character,
// only LDH characters and never a dot; a literal "*" label also matches.
func wildcardMatch(prefix, suffix, ref string) bool {
	if len(ref) < len(prefix)+len(suffix) {
		return false
	}
	if !equalNoCase(prefix, ref[:len(prefix)], false) {
		return false
	}
	start, end := len(prefix), len(ref)-len(suffix)
	if !equalNoCase(ref[end:], suffix, false) {
		return false
	}
	allowIDNA := false
	if prefix == "" && suffix != "" && suffix[0] == '.' {
		if start == end {
			return false
		}
		allowIDNA = true
	}
	if !allowIDNA && len(ref) >= 4 && equalFoldASCII(ref[:4], "xn--") {
		return false
	}
	if end == start+1 && ref[start] == '*' {
		return true
	}
	for i := start; i < end; i++ {
		c := ref[i]
		if !isAlnum(c) && c != '-' {
			return false
		}
	}
	return true
}

func equalFoldASCII(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		if lower(a[i]) != lower(b[i]) {
			return false
		}
	}
	return true
}
