package config

import (
	"fmt"
	"strconv"
	"time"
)

// The getters below load one parameter the way the mail_conf_*.c
// functions do. Loading has a side effect that matters for expansion:
// when the name is not in the dictionary, its default is stored there, so
// later $name references see it (spec §3.4). Call them in the order the C
// daemon loads its tables.
//
// Every getter takes its default from the compiled-in Postfix 3.7.11
// table (or computes it, for run-time parameters such as myhostname)
// unless WithDefault is given. Min and max follow Postfix: 0 means "no
// limit". All errors carry Postfix's fatal message text.

// GetOption adjusts one getter call.
type GetOption struct{ apply func(*getSpec) }

type getSpec struct {
	def      string
	hasDef   bool
	min, max int64
}

// WithDefault supplies the default text instead of the built-in table.
func WithDefault(text string) GetOption {
	return GetOption{func(s *getSpec) { s.def, s.hasDef = text, true }}
}

// WithMin sets the lower limit: the length for Str and Raw, the value
// for Int, Long and NInt, and seconds for Time. 0 means no limit.
func WithMin(n int64) GetOption { return GetOption{func(s *getSpec) { s.min = n }} }

// WithMax sets the upper limit, with the units of WithMin.
func WithMax(n int64) GetOption { return GetOption{func(s *getSpec) { s.max = n }} }

func specOf(opts []GetOption) getSpec {
	var s getSpec
	for _, o := range opts {
		if o.apply != nil {
			o.apply(&s)
		}
	}
	return s
}

// defaultText returns the default for name: the caller's, a run-time
// computed one, or the compiled-in table entry.
func (d *Dict) defaultText(name string, s getSpec) (string, error) {
	if s.hasDef {
		return s.def, nil
	}
	if IsRuntimeDefault(name) {
		return d.runtimeDefault(name)
	}
	if v, ok := BuiltinDefault(name); ok {
		return v, nil
	}
	return "", fmt.Errorf("parameter %s: no compiled-in default (unknown to Postfix %s); pass WithDefault", name, MailVersion)
}

// Str loads a string parameter (get_mail_conf_str): the expanded value,
// or the expanded default, which is then stored.
func (d *Dict) Str(name string, opts ...GetOption) (string, error) {
	s := specOf(opts)
	d.mu.Lock()
	defer d.mu.Unlock()
	d.markRead(name)
	v, ok, err := d.lookupEval(name)
	if err != nil {
		return "", err
	}
	if !ok {
		def, err := d.defaultText(name, s)
		if err != nil {
			return "", err
		}
		if v, err = d.eval(def, true); err != nil {
			return "", err
		}
		d.set(name, v)
	}
	if s.min != 0 && int64(len(v)) < s.min {
		return "", fmt.Errorf("bad string length %d < %d: %s = %s", len(v), s.min, name, v)
	}
	if s.max != 0 && int64(len(v)) > s.max {
		return "", fmt.Errorf("bad string length %d > %d: %s = %s", len(v), s.max, name, v)
	}
	return v, nil
}

// Raw loads a string parameter that is never expanded
// (get_mail_conf_raw); the default is stored as is.
func (d *Dict) Raw(name string, opts ...GetOption) (string, error) {
	s := specOf(opts)
	d.mu.Lock()
	defer d.mu.Unlock()
	d.markRead(name)
	v, ok := d.entries[name]
	if !ok {
		def, err := d.defaultText(name, s)
		if err != nil {
			return "", err
		}
		v = def
		d.set(name, v)
	}
	if s.min != 0 && int64(len(v)) < s.min {
		return "", fmt.Errorf("bad string length (%d < %d): %s = %s", len(v), s.min, name, v)
	}
	if s.max != 0 && int64(len(v)) > s.max {
		return "", fmt.Errorf("bad string length (%d > %d): %s = %s", len(v), s.max, name, v)
	}
	return v, nil
}

// Int loads a C int parameter (get_mail_conf_int). The default is stored
// as its decimal text.
func (d *Dict) Int(name string, opts ...GetOption) (int, error) {
	v, err := d.number(name, specOf(opts), false, 32)
	return int(v), err
}

// Long loads a C long (64-bit) parameter (get_mail_conf_long).
func (d *Dict) Long(name string, opts ...GetOption) (int64, error) {
	return d.number(name, specOf(opts), false, 64)
}

// NInt loads an int parameter whose default is an expression
// (get_mail_conf_nint): the default text is stored unexpanded and
// evaluated like a configured value.
func (d *Dict) NInt(name string, opts ...GetOption) (int, error) {
	v, err := d.number(name, specOf(opts), true, 32)
	return int(v), err
}

// parseNumber converts with the strtol rules of mail_conf_int.c
// (bits 32) or mail_conf_long.c (bits 64).
func parseNumber(s string, bits int) (int64, bool) {
	if bits == 32 {
		v, ok := parseCInt(s)
		return int64(v), ok
	}
	return parseCLong(s)
}

func (d *Dict) number(name string, s getSpec, storeRawDefault bool, bits int) (int64, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.markRead(name)
	v, ok, err := d.lookupEval(name)
	if err != nil {
		return 0, err
	}
	var n int64
	if !ok {
		def, err := d.defaultText(name, s)
		if err != nil {
			return 0, err
		}
		if storeRawDefault {
			d.set(name, def)
			if v, _, err = d.lookupEval(name); err != nil {
				return 0, err
			}
			ok = true
		} else {
			var good bool
			if n, good = parseNumber(def, bits); !good {
				return 0, fmt.Errorf("parameter %s: bad numerical default value: %s", name, def)
			}
			d.set(name, strconv.FormatInt(n, 10))
		}
	}
	if ok {
		var good bool
		if n, good = parseNumber(v, bits); !good {
			return 0, fmt.Errorf("bad numerical configuration: %s = %s", name, v)
		}
	}
	if s.min != 0 && n < s.min {
		return 0, fmt.Errorf("invalid %s parameter value %d < %d", name, n, s.min)
	}
	if s.max != 0 && n > s.max {
		return 0, fmt.Errorf("invalid %s parameter value %d > %d", name, n, s.max)
	}
	return n, nil
}

// Bool loads a yes/no parameter (get_mail_conf_bool). Only "yes" and
// "no" in any ASCII case are accepted. The default is stored as yes/no.
func (d *Dict) Bool(name string, opts ...GetOption) (bool, error) {
	return d.boolean(name, specOf(opts), false)
}

// NBool loads a boolean whose default is an expression
// (get_mail_conf_nbool): the default text is stored unexpanded.
func (d *Dict) NBool(name string, opts ...GetOption) (bool, error) {
	return d.boolean(name, specOf(opts), true)
}

// parseBool accepts what strcasecmp(s, "yes"/"no") accepts.
func parseBool(s string) (val, ok bool) {
	switch {
	case asciiEqualFold(s, "yes"):
		return true, true
	case asciiEqualFold(s, "no"):
		return false, true
	}
	return false, false
}

// asciiEqualFold is strcasecmp() == 0; strings.EqualFold would also fold
// Unicode letters such as U+017F into "s", which Postfix does not.
func asciiEqualFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

func (d *Dict) boolean(name string, s getSpec, storeRawDefault bool) (bool, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.markRead(name)
	v, ok, err := d.lookupEval(name)
	if err != nil {
		return false, err
	}
	if !ok {
		def, err := d.defaultText(name, s)
		if err != nil {
			return false, err
		}
		if !storeRawDefault {
			b, good := parseBool(def)
			if !good {
				return false, fmt.Errorf("parameter %s: bad boolean default value: %s", name, def)
			}
			d.set(name, map[bool]string{true: "yes", false: "no"}[b])
			return b, nil
		}
		d.set(name, def)
		if v, _, err = d.lookupEval(name); err != nil {
			return false, err
		}
	}
	b, good := parseBool(v)
	if !good {
		return false, fmt.Errorf("bad boolean configuration: %s = %s", name, v)
	}
	return b, nil
}

// Time loads a time parameter (get_mail_conf_time) and returns it as a
// time.Duration of whole seconds. A bare number takes the unit of the
// default (first letter of the expanded default). The default is stored
// unexpanded. WithMin/WithMax are in seconds.
func (d *Dict) Time(name string, opts ...GetOption) (time.Duration, error) {
	s := specOf(opts)
	d.mu.Lock()
	defer d.mu.Unlock()
	d.markRead(name)
	def, err := d.defaultText(name, s)
	if err != nil {
		return 0, err
	}
	// Postfix expands the default first, even when the parameter is set.
	expDef, err := d.eval(def, true)
	if err != nil {
		return 0, err
	}
	unit := byte(0)
	for i := 0; i < len(expDef); i++ {
		if isAlpha(expDef[i]) {
			unit = expDef[i]
			break
		}
	}
	if unit == 0 {
		return 0, fmt.Errorf("parameter %s: missing time unit in default value: %s", name, def)
	}
	v, ok, err := d.lookupEval(name)
	if err != nil {
		return 0, err
	}
	if !ok {
		d.set(name, def)
		if v, _, err = d.lookupEval(name); err != nil {
			return 0, err
		}
	}
	secs, good := convTime(v, unit)
	if !good {
		return 0, fmt.Errorf("parameter %s: bad time value or unit: %s", name, v)
	}
	if s.min != 0 && int64(secs) < s.min {
		return 0, fmt.Errorf("invalid %s: %d (min %d)", name, secs, s.min)
	}
	if s.max != 0 && int64(secs) > s.max {
		return 0, fmt.Errorf("invalid %s: %d (max %d)", name, secs, s.max)
	}
	return time.Duration(secs) * time.Second, nil
}

// markRead notes that a getter loaded name (caller holds mu).
func (d *Dict) markRead(name string) {
	if d.read == nil {
		d.read = map[string]bool{}
	}
	d.read[name] = true
}

// WasRead tells whether a typed getter (Str, Raw, Int, Long, NInt, Bool,
// NBool, Time) has loaded name. A daemon uses it to name the parameters
// an administrator set that it never looked at, instead of ignoring them
// silently.
func (d *Dict) WasRead(name string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.read[name]
}
