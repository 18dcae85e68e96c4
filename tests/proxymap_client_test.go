package tests

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/postfix-go/postfix-go/master-compat/proxymap"
	"github.com/postfix-go/postfix-go/tests/harness"
)

// postmapTable writes "key value" lines to dir/name and builds the
// hash: table with the stock postmap(1); it returns "hash:<path>".
func postmapTable(t *testing.T, in *harness.Instance, name, content string) string {
	t.Helper()
	path := filepath.Join(in.ConfigDir, name)
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if out, err := exec.CommandContext(ctx, "postmap", "-c", in.ConfigDir, "hash:"+path).CombinedOutput(); err != nil {
		t.Fatalf("postmap: %v\n%s", err, out)
	}
	return "hash:" + path
}

// TestProxymapClientStock drives the STOCK proxymap(8) of a private
// instance (started by the stock master on first connect to
// private/proxymap) with our client, with smtp's TLS policy flags.
func TestProxymapClientStock(t *testing.T) {
	harness.Require(t)
	in := harness.New(t, harness.Options{NoStart: true})
	approved := postmapTable(t, in, "approved", "example.com encrypt\n[mx.example]:25 verify match=nexthop\n")
	other := postmapTable(t, in, "other", "example.com none\n")
	missing := "hash:" + filepath.Join(in.ConfigDir, "missing")
	if _, err := in.Postconf("-e", "proxy_read_maps=proxy:"+approved+" proxy:"+missing); err != nil {
		t.Fatal(err)
	}
	if err := in.Start(); err != nil {
		t.Fatal(err)
	}
	var warns []string
	c := proxymap.New(proxymap.Config{Dir: in.Spool, Warn: func(s string) { warns = append(warns, s) }})
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	flags := proxymap.FlagLock | proxymap.FlagFoldFix | proxymap.FlagUTF8Request
	tab := c.Table(approved, flags, true)
	for key, want := range map[string]string{"Example.COM": "encrypt", "[MX.example]:25": "verify match=nexthop"} {
		if v, ok, err := tab.Lookup(ctx, key); v != want || !ok || err != nil {
			t.Errorf("lookup %s: %q %v %v", key, v, ok, err)
		}
	}
	if v, ok, err := tab.Lookup(ctx, "missing.example"); v != "" || ok || err != nil {
		t.Errorf("miss: %q %v %v", v, ok, err)
	}
	if tab.Flags()&proxymap.FlagFixed == 0 {
		t.Errorf("server flags of hash: lack DICT_FLAG_FIXED: %#x", tab.Flags())
	}
	// Without the UTF-8 layer the server folds.
	if v, ok, err := c.Table(approved, flags, false).Lookup(ctx, "EXAMPLE.com"); v != "encrypt" || !ok || err != nil {
		t.Errorf("lookup without utf8: %q %v %v", v, ok, err)
	}

	// Not in proxy_read_maps: DENY, with stock's client text, and the
	// stock server's two warnings.
	_, ok, err := c.Table(other, flags, true).Lookup(ctx, "example.com")
	if ok || !errors.Is(err, proxymap.ErrDeny) || err.Error() != `proxymap service is not configured for table "`+other+`"` {
		t.Errorf("unapproved: %v %v", ok, err)
	}
	for _, pat := range []string{
		`proxymap\[\d+\]: warning: request for unapproved table: "` + regexp.QuoteMeta(other) + `"$`,
		`proxymap\[\d+\]: warning: to approve this table for read-only access, list proxy:` + regexp.QuoteMeta(other) + ` in main\.cf:proxy_read_maps$`,
	} {
		if _, err := in.WaitLog(pat, logTimeout); err != nil {
			t.Error(err)
		}
	}

	// Approved but absent: the server's surrogate table answers RETRY.
	if _, ok, err := c.Table(missing, flags, true).Lookup(ctx, "example.com"); ok || !errors.Is(err, proxymap.ErrRetry) {
		t.Errorf("missing table: %v %v", ok, err)
	}
	if len(warns) != 0 {
		t.Errorf("client warnings: %q", warns)
	}
}
