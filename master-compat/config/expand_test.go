package config

import (
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"
)

type macExpandVector struct {
	defs     map[string]string
	in       string
	stat     int // Postfix status bits: 1 = error, 2 = undefined name
	out      string
	warnings []string
}

// lengthRelop is the "length" operator extension that Postfix's
// mac_expand test driver registers.
func lengthRelop(left, right string) (int, error) { return len(left) - len(right), nil }

// TestMacExpandUpstreamVectors runs the upstream mac_expand regression
// vectors, comparing result text (also the partial text on errors),
// status bits and warning texts.
func TestMacExpandUpstreamVectors(t *testing.T) {
	relops := map[string]relopFunc{"length": lengthRelop}
	for _, v := range macExpandVectors {
		lookup := func(name string) (string, bool) { s, ok := v.defs[name]; return s, ok }
		res := expandString(v.in, lookup, false, relops)
		stat := 0
		if res.failed {
			stat |= 1
		}
		if res.undefined {
			stat |= 2
		}
		if stat != v.stat || res.text != v.out || !slices.Equal(res.warnings, v.warnings) {
			t.Errorf("expand %q:\n got stat=%d out=%q warnings=%q\nwant stat=%d out=%q warnings=%q",
				v.in, stat, res.text, res.warnings, v.stat, v.out, v.warnings)
		}
	}
}

// expandDict builds a dictionary from name=value pairs.
func expandDict(t *testing.T, pairs ...string) *Dict {
	t.Helper()
	d := New()
	for _, p := range pairs {
		if err := d.Override(p); err != nil {
			t.Fatal(err)
		}
	}
	return d
}

func TestExpandMatrix(t *testing.T) {
	d := expandDict(t,
		"a = A", "b = $a$a", "c = ${b}-$(a)", "empty =", "nest = x${c}y",
		"lvl = 3.6", "num = 10", "self = $self", "loop1 = $loop2", "loop2 = $loop1",
		"cl = ${{$lvl} <level {2} ? {old} : {new}}",
	)
	tests := []struct {
		in, want string
		wantErr  string // substring of the first warning; "" = no error
	}{
		{"plain", "plain", ""},
		{"$a", "A", ""},
		{"${a}", "A", ""},
		{"$(a)", "A", ""},
		{"$a.x", "A.x", ""},
		{"$$a", "$a", ""},
		{"$$$a", "$A", ""},
		{"cost $$5", "cost $5", ""},
		{"$nest", "xAA-Ay", ""},
		{"$undefined", "", ""},
		{"[$undefined]", "[]", ""},
		{"${a?yes}", "yes", ""},
		{"${empty?yes}", "", ""},
		{"${undefined?yes}", "", ""},
		{"${a:no}", "", ""},
		{"${empty:no}", "no", ""},
		{"${undefined:dflt}", "dflt", ""},
		{"${a?{t}:{f}}", "t", ""},
		{"${empty?{t}:{f}}", "f", ""},
		{"${a ? {t} : f}", "t", ""},
		{"${empty?{t}: f}", " f", ""},
		{"${a?a:b}", "a:b", ""},
		{"${a?$b}", "AA", ""},
		{"${a?{${c}}}", "AA-A", ""},
		{"${{$a} == {A}}", "true", ""},
		{"${{$a} != {A}}", "", ""},
		{"${{$num} > {9}}", "true", ""},
		{"${{$num} > {9x}}", "", ""}, // lexical: "10" < "9x"
		{"${{010} == {10}}", "true", ""},
		{"${{$num} <= {10} ? {le} : {gt}}", "le", ""},
		{"${{b} < {a}?{lt}:{ge}}", "ge", ""},
		{"$cl", "new", ""},
		{"${{1} <level {2}}", "true", ""},
		{"${{3.6} >=level {3.6}}", "true", ""},
		{"${{2} <level {1.10}}", "", ""},
		{"${{x} <level {2}}", "", "malformed compatibility level syntax: \"x\""},
		{"${{a} ==bogus {b}}", "", "bad operator suffix"},
		{"${a", "", "truncated macro reference"},
		{"$(a", "", "truncated macro reference"},
		{"${a?{x}", "", "truncated macro reference"},
		{"${a?{x}:{y}", "", "truncated macro reference"},
		{"${a?{x}:{y}", "", "truncated macro reference"},
		{"${{a} == {b}", "", "truncated macro reference"},
		{"$({a == {b})", "", "unbalanced {} in attribute expression: \"{a == {b}\""},
		{"${a?{x}y}", "", "\":\" expected"},
		{"${a:{x}y}", "", "unexpected input"},
		{"$", "", "empty macro name"},
		{"x$ y", "", "empty macro name"},
		{"${}", "", "empty macro name"},
		{"${a b}", "", "attribute name syntax error"},
		{"${{a} = {b}}", "", "expected at"},
		{"$self", "", "unreasonable macro call nesting"},
		{"$loop1", "", "unreasonable macro call nesting"},
		{"${{9999999999999999999} == {1}}", "", "mac_exp_eval: bad conversion"},
	}
	for _, tc := range tests {
		got, err := d.Expand(tc.in)
		if tc.wantErr == "" {
			if err != nil || got != tc.want {
				t.Errorf("Expand(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
			}
			continue
		}
		var ee *ExpandError
		if !errors.As(err, &ee) {
			t.Errorf("Expand(%q) = %q, %v; want ExpandError with %q", tc.in, got, err, tc.wantErr)
			continue
		}
		if err.Error() != "dictionary mail_dict: macro processing error" {
			t.Errorf("Expand(%q) error text %q", tc.in, err)
		}
		if len(ee.Warnings) == 0 || !strings.Contains(ee.Warnings[0], tc.wantErr) {
			t.Errorf("Expand(%q) warnings %q; want %q", tc.in, ee.Warnings, tc.wantErr)
		}
	}
}

// TestExpandRelationalSelfReference: Postfix would recurse until its
// stack overflows; we must stop with an error instead.
func TestExpandRelationalSelfReference(t *testing.T) {
	d := expandDict(t, "a = ${{$a} == {x}}")
	if _, err := d.Expand("$a"); err == nil {
		t.Fatal("want error for self-referencing relational expression")
	}
}

func TestExpandNestingLimit(t *testing.T) {
	// A chain of n references plus the final literal needs n+1 nested
	// evaluations; checked with the real smtp(8): 99 works, 100 fails
	// with `unreasonable macro call nesting: "end"`.
	chain := func(n int) *Dict {
		d := New()
		for i := 0; i < n; i++ {
			d.Set("p"+strconv.Itoa(i), "$p"+strconv.Itoa(i+1))
		}
		d.Set("p"+strconv.Itoa(n), "end")
		return d
	}
	if got, err := chain(99).Expand("$p0"); err != nil || got != "end" {
		t.Errorf("chain of 99: %q, %v", got, err)
	}
	_, err := chain(100).Expand("$p0")
	var ee *ExpandError
	if !errors.As(err, &ee) || len(ee.Warnings) != 1 || ee.Warnings[0] != `unreasonable macro call nesting: "end"` {
		t.Errorf("chain of 100: %v; want nesting error", err)
	}
}

func TestExpandOnce(t *testing.T) {
	d := expandDict(t, "a = $b", "b = B")
	if got, err := d.ExpandOnce("<$a>"); err != nil || got != "<$b>" {
		t.Errorf("ExpandOnce = %q, %v", got, err)
	}
	if got, err := d.Expand("<$a>"); err != nil || got != "<B>" {
		t.Errorf("Expand = %q, %v", got, err)
	}
}

// TestSpecExample is the example of spec §3.4: smtp never loads the smtpd
// parameter, so it expands empty; max_idle is loaded generically.
func TestSpecExample(t *testing.T) {
	d := New(WithSystem(fakeSystem()))
	if err := d.LoadMainCF(strings.NewReader("compatibility_level = 3.6\n"), "main.cf"); err != nil {
		t.Fatal(err)
	}
	if err := d.Override("smtp_helo_name=A$smtpd_client_connection_rate_limit.B$max_idle.C${undefined_thing:dflt}"); err != nil {
		t.Fatal(err)
	}
	d.Set(ParamServiceName, "smtp")
	if _, err := d.LoadGeneric(); err != nil {
		t.Fatal(err)
	}
	got, err := d.Str("smtp_helo_name")
	if err != nil || got != "A.B100s.Cdflt" {
		t.Errorf("smtp_helo_name = %q, %v; want A.B100s.Cdflt", got, err)
	}
}
