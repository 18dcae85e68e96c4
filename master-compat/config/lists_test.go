package config

import (
	"slices"
	"testing"
)

func TestSplitList(t *testing.T) {
	tests := []struct {
		in   string
		want []string
		err  string
	}{
		{"a, b,,c\td\r\ne", []string{"a", "b", "c", "d", "e"}, ""},
		{"  ", nil, ""},
		{"check_a, { check_b arg , more }, c", []string{"check_a", "check_b arg , more", "c"}, ""},
		{"{}", []string{""}, ""},
		{"x{a b}y z", []string{"x{a b}y", "z"}, ""},
		{"{a {b c} d}", []string{"a {b c} d"}, ""},
		{"a} b", []string{"a}", "b"}, ""},
		{"{a b", nil, `p: missing '}' in "{a b"`},
		{"{a}b", nil, `p: syntax error after '}' in "{a}b"`},
		{"{a}}", nil, `p: syntax error after '}' in "{a}}"`},
	}
	for _, tc := range tests {
		got, err := SplitList("p", tc.in)
		if !errIs(err, tc.err) || (tc.err == "" && !slices.Equal(got, tc.want)) {
			t.Errorf("SplitList(%q) = %q, %v; want %q, %q", tc.in, got, err, tc.want, tc.err)
		}
	}
}

func TestSplitFields(t *testing.T) {
	tests := []struct {
		in, sep string
		want    []string
	}{
		{"a, b,,c", ListSeparators, []string{"a", "b", "c"}},
		{"{a b}", ListSeparators, []string{"{a", "b}"}},
		{"127.0.0.1,[::1] x", " \t,", []string{"127.0.0.1", "[::1]", "x"}},
		{"", ListSeparators, nil},
	}
	for _, tc := range tests {
		if got := SplitFields(tc.in, tc.sep); !slices.Equal(got, tc.want) {
			t.Errorf("SplitFields(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
