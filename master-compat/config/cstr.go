package config

import (
	"math"
	"strings"
)

// This file holds the few C library behaviours that Postfix's parameter
// syntax inherits: isspace()/isalnum() in the C locale and strtol(). Postfix
// accepts exactly what these accept, so the Go code must not use
// strconv.Atoi or unicode.IsSpace, which accept different inputs.

// isSpace reports whether c is a C-locale isspace() character.
func isSpace(c byte) bool {
	switch c {
	case ' ', '\t', '\n', '\v', '\f', '\r':
		return true
	}
	return false
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isAlpha(c byte) bool { return (c|0x20) >= 'a' && (c|0x20) <= 'z' }

func isAlnum(c byte) bool { return isDigit(c) || isAlpha(c) }

// isNameChar reports whether c may appear in a $name macro reference.
func isNameChar(c byte) bool { return isAlnum(c) || c == '_' }

// spanAny returns the length of the prefix of s made of bytes in set
// (strspn).
func spanAny(s, set string) int {
	i := 0
	for i < len(s) && strings.IndexByte(set, s[i]) >= 0 {
		i++
	}
	return i
}

// trimCSpace trims C-locale whitespace from both ends of s.
func trimCSpace(s string) string {
	i, j := 0, len(s)
	for i < j && isSpace(s[i]) {
		i++
	}
	for j > i && isSpace(s[j-1]) {
		j--
	}
	return s[i:j]
}

// cutAtNUL returns s up to its first NUL byte. Postfix keeps parameter
// names and values in C strings, so everything after a NUL is invisible.
func cutAtNUL(s string) string {
	if i := strings.IndexByte(s, 0); i >= 0 {
		return s[:i]
	}
	return s
}

// strtol mimics strtol(s, &end, 10) on an LP64 system: leading C
// whitespace and one sign are skipped, then decimal digits are read.
// consumed is the number of bytes up to end; it is 0 when no digits were
// found (strtol then sets end to s). overflow mirrors errno == ERANGE, in
// which case v is clamped like strtol does.
func strtol(s string) (v int64, consumed int, overflow bool) {
	i := 0
	for i < len(s) && isSpace(s[i]) {
		i++
	}
	neg := false
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	start := i
	var u uint64
	for i < len(s) && isDigit(s[i]) {
		d := uint64(s[i] - '0')
		if !overflow {
			if u > (math.MaxUint64-d)/10 {
				overflow = true
			} else {
				u = u*10 + d
			}
		}
		i++
	}
	if i == start {
		return 0, 0, false
	}
	switch {
	case neg && (overflow || u > 1<<63):
		return math.MinInt64, i, true
	case !neg && (overflow || u > math.MaxInt64):
		return math.MaxInt64, i, true
	case neg:
		return -int64(u), i, false
	}
	return int64(u), i, false
}

// parseCLong converts s the way get_mail_conf_long() does: the whole
// string must be consumed by strtol without overflow.
func parseCLong(s string) (int64, bool) {
	v, n, overflow := strtol(s)
	if s == "" || n != len(s) || overflow {
		return 0, false
	}
	return v, true
}

// parseCInt is parseCLong plus the "fits in a C int" check of
// get_mail_conf_int().
func parseCInt(s string) (int, bool) {
	v, ok := parseCLong(s)
	if !ok || v < math.MinInt32 || v > math.MaxInt32 {
		return 0, false
	}
	return int(v), true
}

// Time unit multipliers of conv_time().
const (
	secondsPerMinute = 60
	secondsPerHour   = 60 * secondsPerMinute
	secondsPerDay    = 24 * secondsPerHour
	secondsPerWeek   = 7 * secondsPerDay
)

// convTime converts a time value like conv_time(): a non-negative C int,
// then an optional unit letter (s, m, h, d, w; anything after the unit
// letter is ignored); without a letter defUnit applies. The result is in
// seconds and must fit in a C int.
func convTime(s string, defUnit byte) (int, bool) {
	v, n, overflow := strtol(s)
	if s == "" || overflow || v < 0 || v > math.MaxInt32 {
		return 0, false
	}
	unit := defUnit
	if n < len(s) {
		unit = s[n]
	}
	mult := int64(1)
	switch unit {
	case 'w':
		mult = secondsPerWeek
	case 'd':
		mult = secondsPerDay
	case 'h':
		mult = secondsPerHour
	case 'm':
		mult = secondsPerMinute
	case 's':
		return int(v), true
	default:
		return 0, false
	}
	// conv_time() requires value < INT_MAX/unit (strictly less).
	if v >= math.MaxInt32/mult {
		return 0, false
	}
	return int(v * mult), true
}
