package config

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
)

func readAll(t *testing.T, text string) ([]LogicalLine, []string) {
	t.Helper()
	var warnings []string
	lr := NewLineReader(strings.NewReader(text), "f.cf", func(w string) { warnings = append(warnings, w) })
	var out []LogicalLine
	for {
		ll, err := lr.Next()
		if errors.Is(err, io.EOF) {
			return out, warnings
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, ll)
	}
}

func TestLineReader(t *testing.T) {
	tests := []struct {
		name, in string
		want     []LogicalLine
		warn     int
	}{
		{"simple", "a = b\nc = d\n", []LogicalLine{{"a = b", 1}, {"c = d", 2}}, 0},
		{"no final newline", "a = b", []LogicalLine{{"a = b", 1}}, 0},
		{"continuation keeps whitespace", "a = b\n   c\n\td\n", []LogicalLine{{"a = b   c\td", 1}}, 0},
		{"comment inside continuation", "a = b\n# note\n  c\nx = y\n", []LogicalLine{{"a = b  c", 1}, {"x = y", 4}}, 0},
		{"indented comment", "a = b\n   # note\n  c\n", []LogicalLine{{"a = b  c", 1}}, 0},
		{"blank line does not end", "a = b\n\n  c\n", []LogicalLine{{"a = b  c", 1}}, 0},
		{"hash inside value", "a = b # c\n", []LogicalLine{{"a = b # c", 1}}, 0},
		{"leading comments", "# x\n\n#y\na = 1\n", []LogicalLine{{"a = 1", 4}}, 0},
		{"leading continuation dropped", "  junk\n  more\na = 1\n", []LogicalLine{{"a = 1", 3}}, 1},
		{"crlf kept", "a = b\r\nc = d\r\n", []LogicalLine{{"a = b\r", 1}, {"c = d\r", 2}}, 0},
		{"only comments", "#a\n  #b\n\n", nil, 0},
		{"empty", "", nil, 0},
	}
	for _, tc := range tests {
		got, warns := readAll(t, tc.in)
		if !slices.Equal(got, tc.want) || len(warns) != tc.warn {
			t.Errorf("%s: got %+v (warnings %q), want %+v (%d warnings)", tc.name, got, warns, tc.want, tc.warn)
		}
	}
}

func TestLineReaderWarningText(t *testing.T) {
	_, warns := readAll(t, " 0123456789012345678901234567890123\n")
	want := `f.cf: logical line must not start with whitespace: " 01234567890123456789012345678..."`
	if len(warns) != 1 || warns[0] != want {
		t.Errorf("warnings %q, want %q", warns, want)
	}
}

func TestSplitNameValue(t *testing.T) {
	tests := []struct{ in, name, value, err string }{
		{"a = b", "a", "b", ""},
		{"a=b", "a", "b", ""},
		{"  a\t=\t b c  ", "a", "b c", ""},
		{"a =", "a", "", ""},
		{"a = = b", "a", "= b", ""},
		{"a b = c", "", "", "missing '=' after attribute name"},
		{"a", "", "", "missing '=' after attribute name"},
		{"= b", "", "", "missing attribute name"},
		{"   ", "", "", "missing attribute name"},
	}
	for _, tc := range tests {
		n, v, err := SplitNameValue(tc.in)
		gotErr := ""
		if err != nil {
			gotErr = err.Error()
		}
		if n != tc.name || v != tc.value || gotErr != tc.err {
			t.Errorf("SplitNameValue(%q) = %q, %q, %q", tc.in, n, v, gotErr)
		}
	}
}

func TestParseMainCFError(t *testing.T) {
	_, err := ParseMainCF(strings.NewReader("a = 1\n# c\nbogus line\n  cont\n"), "/etc/postfix/main.cf", nil)
	want := `/etc/postfix/main.cf, line 3: missing '=' after attribute name: "bogus line  cont"`
	if err == nil || err.Error() != want {
		t.Errorf("err = %v, want %s", err, want)
	}
	_, err = ParseMainCF(strings.NewReader("a\x00 = 1\n"), "m", nil)
	if err == nil || err.Error() != `m, line 1: missing '=' after attribute name: "a"` {
		t.Errorf("NUL handling: %v", err)
	}
}

func TestLoadMainCF(t *testing.T) {
	var warnings []string
	d := New(WithWarn(func(w string) { warnings = append(warnings, w) }))
	text := "a = 1\nb = $a\na = 2\nb = $a\nempty =\n"
	if err := d.LoadMainCF(strings.NewReader(text), "m.cf"); err != nil {
		t.Fatal(err)
	}
	if v, _ := d.Lookup("a"); v != "2" {
		t.Errorf("later definition must win, a = %q", v)
	}
	if v, ok := d.Lookup("empty"); !ok || v != "" {
		t.Errorf("empty value must be defined")
	}
	if want := []string{"m.cf, line 3: overriding earlier entry: a=1"}; !slices.Equal(warnings, want) {
		t.Errorf("warnings %q, want %q", warnings, want)
	}
	if err := d.Override("b =  x y "); err != nil {
		t.Fatal(err)
	}
	if v, _ := d.Lookup("b"); v != "x y" {
		t.Errorf("override b = %q", v)
	}
	if err := d.Override("novalue"); err == nil || err.Error() != `invalid "-o novalue" option value: missing '=' after attribute name` {
		t.Errorf("Override error %v", err)
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	_, err := Load(dir)
	if err == nil || err.Error() != "open "+dir+"/main.cf: No such file or directory" || !errors.Is(err, syscall.ENOENT) {
		t.Errorf("missing main.cf: %v", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "main.cf"), []byte("x = $config_directory/y\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	d, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if v, err := d.Str("x", WithDefault("")); err != nil || v != dir+"/y" {
		t.Errorf("x = %q, %v", v, err)
	}
	t.Setenv(ConfigDirEnv, dir)
	if d, err := Load(""); err != nil {
		t.Errorf("Load from $MAIL_CONFIG: %v", err)
	} else if v, _ := d.Lookup(ParamConfigDirectory); v != dir {
		t.Errorf("config_directory = %q", v)
	}
}
