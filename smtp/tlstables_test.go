package main

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/postfix-go/postfix-go/internal/tlspolicy"
)

func TestSplitTableList(t *testing.T) {
	got := splitTableList("texthash:/a, inline:{ a=b, { c = d e } } static:{ may }")
	want := []string{"texthash:/a", "inline:{ a=b, { c = d e } }", "static:{ may }"}
	if !slices.Equal(got, want) {
		t.Errorf("got %q", got)
	}
}

func TestPolicyTables(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "policy")
	os.WriteFile(f, []byte("# comment\n[MX.example]:25\tsecure\n  match=nexthop\nexample.org may\n"), 0o644)
	look, err := openTables("texthash:"+f+", inline:{ { a.test = verify match=x } }, static:encrypt", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	for key, want := range map[string]string{
		"[mx.example]:25": "secure match=nexthop", "EXAMPLE.org": "may", "a.test": "verify match=x", "other": "encrypt",
	} {
		if v, ok, _ := look(key); !ok || v != want {
			t.Errorf("%s: %q %v, want %q", key, v, ok, want)
		}
	}
	var ut *errUnsupportedTable
	if _, err := openTables("hash:/etc/postfix/x", nil, nil); !errors.As(err, &ut) {
		t.Errorf("hash: %v", err)
	}
}

// Types not read natively go to proxymap, "proxy:" stripped once, in
// list order with native tables; a lookup error ends the search.
func TestProxiedPolicyTables(t *testing.T) {
	var opened, asked []string
	px := func(name string) tlspolicy.Lookup {
		opened = append(opened, name)
		return func(key string) (string, bool, error) {
			asked = append(asked, name+" "+key)
			switch {
			case name == "hash:/h" && key == "hit":
				return "encrypt", true, nil
			case key == "fail":
				return "", false, errors.New("proxymap down")
			}
			return "", false, nil
		}
	}
	look, err := openTables("hash:/h inline:{a=may} proxy:lmdb:/l", nil, px)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(opened, []string{"hash:/h", "lmdb:/l"}) {
		t.Errorf("opened %q", opened)
	}
	if v, ok, err := look("hit"); v != "encrypt" || !ok || err != nil {
		t.Errorf("hit: %q %v %v", v, ok, err)
	}
	if v, ok, err := look("a"); v != "may" || !ok || err != nil {
		t.Errorf("inline: %q %v %v", v, ok, err)
	}
	if _, ok, err := look("none"); ok || err != nil {
		t.Errorf("miss: %v %v", ok, err)
	}
	asked = nil
	if _, ok, err := look("fail"); ok || err == nil || len(asked) != 1 {
		t.Errorf("error: %v %v, asked %q", ok, err, asked)
	}
}
