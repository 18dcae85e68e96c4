package config

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// postconfMainCF exercises the expansion syntax with parameters that are
// all defined in main.cf, so that the daemon's view (undefined names are
// empty) and postconf's view (all defaults known) agree.
const postconfMainCF = `compatibility_level = 3.6
a = A
b = $a-${a}-$(a)
c = ${a?{yes $b}:{no}}
d = ${undefined_zzz:fallback}
e = ${{$a} == {A} ? {eq} : {ne}}
f = ${{10} > {9}}|${{10} > {9x}}|${{010} == {10}}
g = ${{$compatibility_level} <level {3.6} ? {old} : {new}}
h = $$literal
empty =
i = x ${empty?{t}:{f}} y
j = ${a?a:b}
k = ${empty: spaced}
l = ${ a ? {x} : {y} }
multi = one
   two
# comment in the middle
	three
# postconf -x treats a name as a parameter only when something refers to it.
zz_refs = $c $d $e $f $g $h $i $j $k $l $multi
`

var postconfNames = []string{"a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l", "multi"}

// genericNames are compared after LoadGeneric with the real machine:
// run-time defaults (host name, networks) and compatibility-dependent ones.
var genericNames = []string{
	"myhostname", "mydomain", "myorigin", "mydestination", "relay_domains",
	"mynetworks_style", "mynetworks", "syslog_name", "mail_version", "smtputf8_enable",
	"respectful_logging", "max_idle", "ipc_timeout", "inet_protocols",
}

func postconfValues(t *testing.T, dir string, names []string) []string {
	t.Helper()
	out, err := exec.Command("postconf", append([]string{"-c", dir, "-x", "-h"}, names...)...).Output()
	if err != nil {
		t.Fatalf("postconf: %v", err)
	}
	lines := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	if len(lines) != len(names) {
		t.Fatalf("postconf printed %d lines for %d names: %q", len(lines), len(names), lines)
	}
	return lines
}

// TestAgainstPostconf compares expansion with "postconf -c DIR -x -h" of
// the real Postfix, when it is installed.
func TestAgainstPostconf(t *testing.T) {
	if _, err := exec.LookPath("postconf"); err != nil {
		t.Skip("postconf not installed")
	}
	dir := t.TempDir()
	for name, text := range map[string]string{"main.cf": postconfMainCF, "master.cf": ""} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	d, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	want := postconfValues(t, dir, postconfNames)
	for i, n := range postconfNames {
		got, _, err := d.LookupEval(n)
		if err != nil || normalizeSpace(got) != want[i] {
			t.Errorf("%s: got %q, %v; postconf says %q", n, got, err, want[i])
		}
	}

	if _, err := d.LoadGeneric(); err != nil {
		t.Skipf("LoadGeneric on this machine: %v", err)
	}
	want = postconfValues(t, dir, genericNames)
	for i, n := range genericNames {
		got, _, err := d.LookupEval(n)
		if err != nil || normalizeSpace(got) != want[i] {
			t.Errorf("%s: got %q, %v; postconf says %q", n, got, err, want[i])
		}
	}
}

// normalizeSpace mimics postconf's output, which collapses whitespace
// runs and trims the ends (the daemons keep the text as is: checked with
// smtp -v -v, "[${empty: spaced}]" expands to "[ spaced]").
func normalizeSpace(s string) string { return strings.Join(strings.Fields(s), " ") }
