package main

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
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
	look, err := openTables("texthash:" + f + ", inline:{ { a.test = verify match=x } }, static:encrypt")
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
	if _, err := openTables("hash:/etc/postfix/x"); !errors.As(err, &ut) {
		t.Errorf("hash: %v", err)
	}
}
