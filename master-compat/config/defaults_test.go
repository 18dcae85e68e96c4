package config

import (
	"sort"
	"testing"
)

func TestBuiltinDefaults(t *testing.T) {
	names := BuiltinNames()
	if len(names) != builtinCount || !sort.StringsAreSorted(names) {
		t.Fatalf("BuiltinNames: %d names (want %d), sorted=%v", len(names), builtinCount, sort.StringsAreSorted(names))
	}
	runtime := 0
	for _, n := range names {
		_, ok := BuiltinDefault(n)
		if IsRuntimeDefault(n) {
			runtime++
			if ok {
				t.Errorf("%s: run-time parameter has a frozen default", n)
			}
			continue
		}
		if !ok {
			t.Errorf("%s: listed but has no default", n)
		}
	}
	if runtime != 8 {
		t.Errorf("%d run-time parameters, want 8", runtime)
	}
	d := New(WithSystem(fakeSystem()))
	// mynetworks_style's default compares $compatibility_level, which
	// every daemon loads first.
	if _, err := d.Str("compatibility_level"); err != nil {
		t.Fatal(err)
	}
	for _, n := range names {
		if IsRuntimeDefault(n) {
			if _, err := d.runtimeDefault(n); err != nil {
				t.Errorf("run-time default of %s: %v", n, err)
			}
		}
	}
	spot := map[string]string{
		"max_idle":               "100s",
		"smtputf8_enable":        "${{$compatibility_level} <level {1} ? {no} : {yes}}",
		"myorigin":               "$myhostname",
		"compatibility_level":    "0",
		"maximal_queue_lifetime": "5d",
		"smtpd_banner":           "$myhostname ESMTP $mail_name",
	}
	for n, want := range spot {
		if got, ok := BuiltinDefault(n); !ok || got != want {
			t.Errorf("BuiltinDefault(%s) = %q, %v; want %q", n, got, ok, want)
		}
	}
}
