package config

import (
	"testing"
	"time"
)

func TestGetterConversions(t *testing.T) {
	d := expandDict(t,
		"i1 = 42", "i2 = \t-7", "i3 = 7 ", "i4 = 2147483648", "i5 = 10M", "i6 =", "i7 = +5",
		"l1 = 9223372036854775807", "l2 = 9223372036854775808",
		"b1 = YES", "b2 = No", "b3 = true", "b4 = 1",
		"t1 = 10", "t2 = 2m", "t3 = 1h30m", "t4 = 3w", "t5 = 10 s", "t6 = -1s", "t7 = 4000w", "t8 = s",
		"ref = $i1",
	)
	d.Set("i3", "7 ") // main.cf and -o trim values; only Set can store this
	intCases := []struct {
		name string
		want int
		err  string
	}{
		{"i1", 42, ""},
		{"i2", -7, ""},
		{"i7", 5, ""},
		{"ref", 42, ""},
		{"i3", 0, "bad numerical configuration: i3 = 7 "},
		{"i4", 0, "bad numerical configuration: i4 = 2147483648"},
		{"i5", 0, "bad numerical configuration: i5 = 10M"},
		{"i6", 0, "bad numerical configuration: i6 = "},
	}
	for _, c := range intCases {
		got, err := d.Int(c.name)
		if !errIs(err, c.err) || (c.err == "" && got != c.want) {
			t.Errorf("Int(%s) = %d, %v; want %d, %q", c.name, got, err, c.want, c.err)
		}
	}
	if v, err := d.Long("l1"); err != nil || v != 9223372036854775807 {
		t.Errorf("Long(l1) = %d, %v", v, err)
	}
	if _, err := d.Long("l2"); !errIs(err, "bad numerical configuration: l2 = 9223372036854775808") {
		t.Errorf("Long(l2) err %v", err)
	}
	boolCases := []struct {
		name string
		want bool
		err  string
	}{
		{"b1", true, ""}, {"b2", false, ""},
		{"b3", false, "bad boolean configuration: b3 = true"},
		{"b4", false, "bad boolean configuration: b4 = 1"},
	}
	for _, c := range boolCases {
		got, err := d.Bool(c.name)
		if !errIs(err, c.err) || got != c.want {
			t.Errorf("Bool(%s) = %v, %v; want %v, %q", c.name, got, err, c.want, c.err)
		}
	}
	timeCases := []struct {
		name, def string
		want      time.Duration
		err       string
	}{
		{"t1", "100s", 10 * time.Second, ""},
		{"t1", "5d", 10 * 24 * time.Hour, ""}, // bare number takes the default's unit
		{"t1", "${{1} == {1} ? {3h} : {4s}}", 10 * time.Hour, ""},
		{"t2", "1s", 2 * time.Minute, ""},
		{"t3", "1s", time.Hour, ""},
		{"t4", "1s", 3 * 7 * 24 * time.Hour, ""},
		{"t8", "1h", 0, ""},
		{"t5", "1s", 0, "parameter t5: bad time value or unit: 10 s"},
		{"t6", "1s", 0, "parameter t6: bad time value or unit: -1s"},
		{"t7", "1s", 0, "parameter t7: bad time value or unit: 4000w"},
		{"t1", "100", 0, "parameter t1: missing time unit in default value: 100"},
	}
	for _, c := range timeCases {
		got, err := d.Time(c.name, WithDefault(c.def))
		if !errIs(err, c.err) || got != c.want {
			t.Errorf("Time(%s, default %s) = %v, %v; want %v, %q", c.name, c.def, got, err, c.want, c.err)
		}
	}
}

func errIs(err error, want string) bool {
	if want == "" {
		return err == nil
	}
	return err != nil && err.Error() == want
}

// TestDefaultsAreStored checks the §3.4 rule: a getter stores the default
// of an absent parameter, so later $name references see it, and stores
// it expanded (Str) or unexpanded (Time, NInt, NBool) like Postfix.
func TestDefaultsAreStored(t *testing.T) {
	d := expandDict(t, "compatibility_level = 3.6", "probe = [$max_idle|$smtputf8_enable|$queue_run_delay|$mail_name]")
	if v, _ := d.Expand("$probe"); v != "[|||]" {
		t.Fatalf("before loading: %q", v)
	}
	steps := []func() error{
		func() error { _, err := d.Time("max_idle"); return err },
		func() error { _, err := d.NBool("smtputf8_enable"); return err },
		func() error { _, err := d.Time("queue_run_delay"); return err },
		func() error { _, err := d.Str("mail_name"); return err },
	}
	for _, s := range steps {
		if err := s(); err != nil {
			t.Fatal(err)
		}
	}
	if v, _ := d.Expand("$probe"); v != "[100s|yes|300s|Postfix]" {
		t.Errorf("after loading: %q", v)
	}
	raw, _ := d.Lookup("smtputf8_enable")
	if raw != "${{$compatibility_level} <level {1} ? {no} : {yes}}" {
		t.Errorf("nbool default must be stored unexpanded, got %q", raw)
	}
	if v, _ := d.Lookup("queue_run_delay"); v != "300s" {
		t.Errorf("time default stored %q", v)
	}
	// Str stores the expanded default.
	if _, err := d.Str("myorigin"); err != nil {
		t.Fatal(err)
	}
	if v, _ := d.Lookup("myorigin"); v == "$myhostname" {
		t.Errorf("string default must be stored expanded, got %q", v)
	}
}

func TestGetterLimitsAndDefaults(t *testing.T) {
	d := expandDict(t, "s = abc", "n = 5", "t = 20s")
	cases := []struct {
		got  func() error
		want string
	}{
		{func() error { _, err := d.Str("s", WithMin(4)); return err }, "bad string length 3 < 4: s = abc"},
		{func() error { _, err := d.Str("s", WithMax(2)); return err }, "bad string length 3 > 2: s = abc"},
		{func() error { _, err := d.Raw("s", WithMax(2)); return err }, "bad string length (3 > 2): s = abc"},
		{func() error { _, err := d.Int("n", WithMin(6)); return err }, "invalid n parameter value 5 < 6"},
		{func() error { _, err := d.NInt("n", WithMax(4)); return err }, "invalid n parameter value 5 > 4"},
		{func() error { _, err := d.Time("t", WithDefault("1s"), WithMax(10)); return err }, "invalid t: 20 (max 10)"},
		{func() error { _, err := d.Time("t", WithDefault("1s"), WithMin(30)); return err }, "invalid t: 20 (min 30)"},
		{func() error { _, err := d.Str("no_such_parameter_anywhere"); return err },
			"parameter no_such_parameter_anywhere: no compiled-in default (unknown to Postfix 3.7.11); pass WithDefault"},
	}
	for i, c := range cases {
		if err := c.got(); !errIs(err, c.want) {
			t.Errorf("case %d: %v, want %q", i, err, c.want)
		}
	}
	if v, err := d.Int("smtp_mx_address_limit"); err != nil || v != 5 {
		t.Errorf("table default: %d, %v", v, err)
	}
	if v, err := d.Bool("smtp_skip_5xx_greeting"); err != nil || !v {
		t.Errorf("table default bool: %v, %v", v, err)
	}
	if v, _ := d.Lookup("smtp_skip_5xx_greeting"); v != "yes" {
		t.Errorf("bool default stored as %q", v)
	}
	if v, err := d.Raw("raw_thing", WithDefault("$not_expanded")); err != nil || v != "$not_expanded" {
		t.Errorf("Raw = %q, %v", v, err)
	}
	if v, err := d.Int("other", WithDefault("077")); err != nil || v != 77 {
		t.Errorf("Int default = %d, %v", v, err)
	}
	if v, _ := d.Lookup("other"); v != "77" {
		t.Errorf("int default stored as %q", v)
	}
}

func TestRuntimeDefaults(t *testing.T) {
	sys := fakeSystem()
	sys.Hostname = func() (string, error) { return "mx1.example.net", nil }
	d := New(WithSystem(sys))
	if v, err := d.Str("myhostname"); err != nil || v != "mx1.example.net" {
		t.Errorf("myhostname = %q, %v", v, err)
	}
	if v, err := d.Str("mydomain"); err != nil || v != "example.net" {
		t.Errorf("mydomain = %q, %v", v, err)
	}
	if v, err := d.Str(ParamMailVersion); err != nil || v != "3.7.11" {
		t.Errorf("mail_version = %q, %v", v, err)
	}
	// A short host name takes a configured mydomain.
	d = New(WithSystem(fakeSystem()))
	d.Set("mydomain", "corp.test")
	if v, err := d.Str("myhostname"); err != nil || v != "vm.corp.test" {
		t.Errorf("myhostname with mydomain = %q, %v", v, err)
	}
	sys.Hostname = func() (string, error) { return "bad_host-", nil }
	d = New(WithSystem(sys))
	if _, err := d.Str("myhostname"); !errIs(err, "unable to use my own hostname") {
		t.Errorf("bad hostname: %v", err)
	}
}

func TestWasRead(t *testing.T) {
	d := New()
	d.Set("set_but_unread", "x")
	d.Set("myhostname", "h.test")
	if _, err := d.Str("myhostname"); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Int("t_int", WithDefault("3")); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]bool{"myhostname": true, "t_int": true, "set_but_unread": false, "never": false} {
		if got := d.WasRead(name); got != want {
			t.Errorf("WasRead(%s) = %v, want %v", name, got, want)
		}
	}
}
