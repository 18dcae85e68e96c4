package config

import (
	"fmt"
	"math"
	"strconv"
)

// CompatLevel is a parsed compatibility_level value, encoded so that
// levels compare as integers: major<<20 | minor<<10 | patch (the encoding
// of Postfix's compat_level.c, so that "3.6" > "2" > "1.10").
type CompatLevel int64

const (
	compatPatchBits  = 10
	compatMinorBits  = 10
	compatMinorShift = compatPatchBits
	compatMajorShift = compatMinorShift + compatMinorBits
	compatFieldMax   = 1<<10 - 1
	compatMajorMax   = math.MaxInt64 >> compatMajorShift
)

// Compatibility levels known to Postfix 3.7 (§3.8 of the spec).
const (
	CompatLevel0   CompatLevel = 0
	CompatLevel1   CompatLevel = 1 << compatMajorShift
	CompatLevel2   CompatLevel = 2 << compatMajorShift
	CompatLevel3_6 CompatLevel = 3<<compatMajorShift | 6<<compatMinorShift
)

// ParseCompatLevel parses "major[.minor[.patch]]" like
// compat_level_from_string(). Each number is read with strtol semantics
// (leading whitespace and a sign are accepted, range-checked afterwards).
func ParseCompatLevel(s string) (CompatLevel, error) {
	bad := fmt.Errorf("malformed compatibility level syntax: \"%s\"", s)
	limits := []int64{compatMajorMax, compatFieldMax, compatFieldMax}
	shifts := []uint{compatMajorShift, compatMinorShift, 0}
	var res int64
	rest := s
	for i := range limits {
		v, n, overflow := strtol(rest)
		if n == 0 || overflow || v < 0 || v > limits[i] {
			return -1, bad
		}
		res |= v << shifts[i]
		rest = rest[n:]
		if rest == "" {
			return CompatLevel(res), nil
		}
		// The patch level must end the string; the others may be
		// followed by ".next".
		if rest[0] != '.' || i == len(limits)-1 {
			return -1, bad
		}
		rest = rest[1:]
	}
	return -1, bad
}

// String formats the level like compat_level_to_string(): levels up to 2
// print only the major number; later ones print major.minor and the patch
// level when it is non-zero.
func (c CompatLevel) String() string {
	if c < 0 {
		return "invalid(" + strconv.FormatInt(int64(c), 10) + ")"
	}
	major := int64(c) >> compatMajorShift
	s := strconv.FormatInt(major, 10)
	if major > 2 {
		s += "." + strconv.FormatInt(int64(c)>>compatMinorShift&compatFieldMax, 10)
		if p := int64(c) & compatFieldMax; p != 0 {
			s += "." + strconv.FormatInt(p, 10)
		}
	}
	return s
}

// compareCompatLevels is the relational-operator extension registered by
// every Postfix daemon under the suffix "level" (e.g. "<level"), used by
// defaults such as smtputf8_enable.
func compareCompatLevels(left, right string) (int, error) {
	l, err := ParseCompatLevel(left)
	if err != nil {
		return 0, err
	}
	r, err := ParseCompatLevel(right)
	if err != nil {
		return 0, err
	}
	switch {
	case l < r:
		return -1, nil
	case l > r:
		return 1, nil
	}
	return 0, nil
}
