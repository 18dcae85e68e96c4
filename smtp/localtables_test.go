package main

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/postfix-go/postfix-go/internal/tlspolicy"
)

func TestParsePostmapDump(t *testing.T) {
	out := "[mx.foo.org]:25\tverify  match=x\tciphers=high\nExample.COM\tsecure match=a:b\nexample.com\tdup\nexample.com\tlater\nnovalue\n\n"
	m := parsePostmapDump([]byte(out))
	want := map[string]string{
		"[mx.foo.org]:25": "verify  match=x\tciphers=high",
		"Example.COM":     "secure match=a:b",
		"example.com":     "dup",
		"novalue":         "",
	}
	if len(m) != len(want) {
		t.Errorf("got %q", m)
	}
	for k, v := range want {
		if m[k] != v {
			t.Errorf("%q: %q, want %q", k, m[k], v)
		}
	}
}

// The query is folded, the stored keys are not: an upper-case key of a
// "postmap -f" table never matches (dict_db with DICT_FLAG_FOLD_FIX).
func TestLocalTableLookup(t *testing.T) {
	tab := &localTable{entries: map[string]string{"Example.COM": "x", "example.org": "may", "bücher.de": "encrypt"}}
	cases := []struct {
		key, v string
		ok     bool
	}{
		{"Example.COM", "", false},
		{"example.com", "", false},
		{"EXAMPLE.ORG", "may", true},
		{"bücher.de", "encrypt", true},
		{"BÜCHER.de", "", false}, // ASCII folding without smtputf8_enable
	}
	for _, c := range cases {
		if v, ok, err := tab.lookup(c.key); v != c.v || ok != c.ok || err != nil {
			t.Errorf("%q: %q %v %v", c.key, v, ok, err)
		}
	}
	tab.utf8 = true
	if v, ok, _ := tab.lookup("BÜCHER.de"); v != "encrypt" || !ok {
		t.Errorf("utf8 fold: %q %v", v, ok)
	}
	if _, ok, err := tab.lookup("b\xffcher.de"); ok || err != nil {
		t.Errorf("malformed: %v %v", ok, err)
	}
	tab.err = errors.New("broken")
	if _, ok, err := tab.lookup("example.org"); ok || err == nil {
		t.Errorf("broken table: %v %v", ok, err)
	}
}

// Plain local tables go to the local opener, proxied ones and other
// types to proxymap, in list order.
func TestLocalAndProxiedTables(t *testing.T) {
	var proxied, local []string
	px := func(name string) tlspolicy.Lookup {
		proxied = append(proxied, name)
		return func(string) (string, bool, error) { return "", false, nil }
	}
	lo := func(spec string) (tlspolicy.Lookup, bool) {
		if _, ok := localFileSpec(spec); !ok {
			return nil, false
		}
		local = append(local, spec)
		return func(key string) (string, bool, error) { return "local " + spec, key == "hit", nil }, true
	}
	look, err := openTables("hash:/h proxy:hash:/p lmdb:/l ldap:/x inline:{a=b} cdb:/c btree:/b", lo, px)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(local, []string{"hash:/h", "lmdb:/l", "cdb:/c", "btree:/b"}) || !slices.Equal(proxied, []string{"hash:/p", "ldap:/x"}) {
		t.Errorf("local %q, proxied %q", local, proxied)
	}
	if v, ok, _ := look("hit"); v != "local hash:/h" || !ok {
		t.Errorf("hit: %q %v", v, ok)
	}
	for spec, want := range map[string]string{"hash:/x/y": "/x/y.db", "btree:y": "y.db", "cdb:/c": "/c.cdb", "lmdb:/l": "/l.lmdb", "dbm:/d": "/d.pag", "sdbm:/d": "/d.pag"} {
		if f, ok := localFileSpec(spec); f != want || !ok {
			t.Errorf("%s: %q %v", spec, f, ok)
		}
	}
	for _, spec := range []string{"proxy:hash:/x", "texthash:/x", "hash:", "ldap:/x", "hash"} {
		if _, ok := localFileSpec(spec); ok {
			t.Errorf("%s is not local", spec)
		}
	}
}

// With the stock postmap: a table built from tricky source lines is
// read as stock reads it; a rebuilt table asks for a restart; a table
// postmap cannot read fails every lookup.
func TestLocalTablePostmap(t *testing.T) {
	postmap, err := exec.LookPath("postmap")
	if err != nil {
		postmap = "/usr/sbin/postmap"
	}
	if _, err := os.Stat(postmap); err != nil {
		t.Skip("no postmap")
	}
	cfg := t.TempDir()
	os.WriteFile(filepath.Join(cfg, "main.cf"), nil, 0o644)
	dir := t.TempDir()
	src := filepath.Join(dir, "tls policy")
	build := func(flags ...string) {
		t.Helper()
		out, err := exec.Command(postmap, append(append([]string{"-c", cfg}, flags...), "hash:"+src)...).CombinedOutput()
		if err != nil {
			t.Fatalf("postmap: %v %s", err, out)
		}
	}
	os.WriteFile(src, []byte("Example.COM  secure match=a:b\n"+
		"[mx.Foo.org]:25\tverify  match=x  ciphers=high\n"+
		"# comment\n"+
		"key\twith tab\n  continued line\n"+
		"example.com dup\n"+
		"utf\xc3\xa9.de may\n"), 0o644)
	build()
	var warns, infos []string
	l := &localTables{info: func(s string) { infos = append(infos, s) }}
	open := l.opener(false, runPostmap(filepath.Dir(postmap), cfg), func(s string) { warns = append(warns, s) })
	look, ok := open("hash:" + src)
	if !ok {
		t.Fatal("not local")
	}
	for key, want := range map[string]string{
		"example.com":     "secure match=a:b",
		"EXAMPLE.com":     "secure match=a:b",
		"[MX.foo.org]:25": "verify  match=x  ciphers=high",
		"key":             "with tab  continued line",
		"utf\xc3\xa9.de":  "may",
	} {
		if v, ok, err := look(key); v != want || !ok || err != nil {
			t.Errorf("%q: %q %v %v", key, v, ok, err)
		}
	}
	if len(warns) != 0 {
		t.Errorf("warnings %q", warns)
	}
	if l.check() || len(infos) != 0 {
		t.Fatalf("unchanged table: %q", infos)
	}

	// "postmap -f": keys keep their case and upper-case ones never match.
	build("-f")
	warns = nil
	l2 := &localTables{}
	lookF, _ := l2.opener(false, runPostmap(filepath.Dir(postmap), cfg), func(s string) { warns = append(warns, s) })("hash:" + src)
	if v, ok, _ := lookF("example.com"); v != "dup" || !ok {
		t.Errorf("-f lower-case key: %q %v", v, ok)
	}
	if v, ok, _ := lookF("[mx.foo.org]:25"); ok {
		t.Errorf("-f upper-case key matched: %q", v)
	}

	// The first table was rebuilt by the -f run: restart, logged once.
	if !l.check() || !l.check() {
		t.Error("rebuilt table not seen as changed")
	}
	want := "table hash:" + src + "(0,lock|fold_fix|utf8_request) has changed -- restarting"
	if !slices.Equal(infos, []string{want}) {
		t.Errorf("infos %q", infos)
	}
	// The request in progress keeps the data read at start-up.
	if v, _, _ := look("[mx.foo.org]:25"); v != "verify  match=x  ciphers=high" {
		t.Errorf("after change: %q", v)
	}
	// A touch (same size, new time) is a change too.
	later := time.Now().Add(time.Hour)
	if err := os.Chtimes(src+".db", later, later); err != nil {
		t.Fatal(err)
	}
	if !l2.check() {
		t.Error("touched table not seen as changed")
	}

	// Missing database file; a file postmap cannot read.
	warns = nil
	l3 := &localTables{}
	open3 := l3.opener(false, runPostmap(filepath.Dir(postmap), cfg), func(s string) { warns = append(warns, s) })
	missing, _ := open3("hash:" + filepath.Join(dir, "missing"))
	if _, ok, err := missing("example.com"); ok || err == nil || !strings.Contains(err.Error(), "missing.db: no such file or directory") {
		t.Errorf("missing: %v %v", ok, err)
	}
	bad := filepath.Join(dir, "bad")
	os.WriteFile(bad+".db", []byte("not a database"), 0o644)
	broken, _ := open3("hash:" + bad)
	if _, ok, err := broken("example.com"); ok || err == nil || !strings.Contains(err.Error(), "postmap -s: open database "+bad+".db") {
		t.Errorf("broken: %v %v", ok, err)
	}
	if len(warns) < 2 || l3.check() {
		t.Errorf("warnings %q", warns)
	}
}
