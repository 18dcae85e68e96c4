package proxymap

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

// smtpFlags is how stock smtp opens smtp_tls_policy_maps
// (smtp_tls_policy.c): DICT_FLAG_LOCK | DICT_FLAG_FOLD_FIX |
// DICT_FLAG_UTF8_REQUEST.
const smtpFlags = FlagLock | FlagFoldFix | FlagUTF8Request

func TestFlagValues(t *testing.T) {
	// util/dict.h, evaluated: RQST_MASK and the smtp flags.
	if RqstMask != 0x8f9c3 || smtpFlags != 0x84040 || smtpFlags&InstMask != 0 {
		t.Errorf("RqstMask %#x smtpFlags %#x inst %#x", RqstMask, smtpFlags, smtpFlags&InstMask)
	}
}

// TestLookupBytes: the exact requests of dict_proxy_open and
// dict_proxy_lookup behind the UTF-8 layer. The open request carries the
// instance flags (0 for smtp); the lookup carries LOCK|UTF8_REQUEST
// (524352): dict_utf8_lookup turns the fold flags off and folds the key
// itself, because the server's hash: table is fixed-case.
func TestLookupBytes(t *testing.T) {
	f := newFake(t, server(FlagFixed|FlagLock, map[string]string{"example.com": "encrypt"}))
	var w warnings
	now := time.Unix(1e9, 0)
	c := testClient(f, &w, &now)
	defer c.Close()
	tab := c.Table("hash:/etc/postfix/tls_policy", smtpFlags, true)
	v, found, err := tab.Lookup(context.Background(), "Example.COM")
	if err != nil || !found || v != "encrypt" {
		t.Fatalf("lookup: %q %v %v", v, found, err)
	}
	_, found, err = tab.Lookup(context.Background(), "other.example")
	if err != nil || found {
		t.Fatalf("miss: %v %v", found, err)
	}
	want := []string{
		"request\x00open\x00table\x00hash:/etc/postfix/tls_policy\x00flags\x000\x00\x00",
		"request\x00lookup\x00table\x00hash:/etc/postfix/tls_policy\x00flags\x00524352\x00key\x00example.com\x00\x00",
		"request\x00lookup\x00table\x00hash:/etc/postfix/tls_policy\x00flags\x00524352\x00key\x00other.example\x00\x00",
	}
	if got := f.requests(); !slices.Equal(got, want) {
		t.Errorf("requests:\n%q\nwant\n%q", got, want)
	}
	if tab.Flags() != smtpFlags|FlagFixed|FlagUTF8Active {
		t.Errorf("flags %#x", tab.Flags())
	}
	if f.accepted() != 1 || len(w.get()) != 0 {
		t.Errorf("accepts %d warnings %q", f.accepted(), w.get())
	}
}

// Without smtputf8_enable there is no UTF-8 layer: the fold flags go to
// the server (540736), which folds; the key travels as given. A pattern
// table (not fixed-case) is not folded by the UTF-8 layer either.
func TestLookupFolding(t *testing.T) {
	for _, c := range []struct {
		utf8        bool
		serverFlags int
		want        string
	}{
		{false, FlagFixed, "flags\x00540736\x00key\x00Mixed.Case\x00"},
		{true, FlagPattern, "flags\x00524352\x00key\x00Mixed.Case\x00"},
	} {
		f := newFake(t, server(c.serverFlags, nil))
		var w warnings
		now := time.Unix(1e9, 0)
		cl := testClient(f, &w, &now)
		if _, found, err := cl.Table("regexp:/x", smtpFlags, c.utf8).Lookup(context.Background(), "Mixed.Case"); found || err != nil {
			t.Fatalf("lookup: %v %v", found, err)
		}
		if got := f.requests(); len(got) != 2 || !strings.Contains(got[1], c.want) {
			t.Errorf("utf8=%v: %q", c.utf8, got)
		}
		cl.Close()
	}
}

func TestStatuses(t *testing.T) {
	cases := []struct {
		open, lookup int
		kind         error
		text         string
	}{
		{StatOK, StatRetry, ErrRetry, `proxymap lookup for table "hash:/t" key "k": temporary error`},
		{StatOK, StatConfig, ErrConfig, `proxymap lookup for table "hash:/t" key "k": table configuration error`},
		{StatOK, StatDeny, ErrDeny, `proxymap service is not configured for table "hash:/t"`},
		{StatOK, StatBad, ErrBad, `proxymap lookup failed for table "hash:/t" key "k": invalid request`},
		{StatDeny, 0, ErrDeny, `proxymap service is not configured for table "hash:/t"`},
		{StatBad, 0, ErrBad, `proxymap open failed for table "hash:/t": invalid request`},
	}
	for _, c := range cases {
		f := newFake(t, func(req map[string]string) []byte {
			if req["request"] == ReqOpen {
				return openReply(c.open, 0)
			}
			return lookupReply(c.lookup, "")
		})
		var w warnings
		now := time.Unix(1e9, 0)
		cl := testClient(f, &w, &now)
		_, found, err := cl.Table("hash:/t", smtpFlags, true).Lookup(context.Background(), "k")
		if found || !errors.Is(err, c.kind) || err.Error() != c.text {
			t.Errorf("open %d lookup %d: %v %v", c.open, c.lookup, found, err)
		}
		if len(w.get()) != 0 {
			t.Errorf("warnings %q", w.get())
		}
		cl.Close()
	}
}

// An unknown status is warned about with stock's text and retried on a
// new connection; after the tries the client is unavailable.
func TestUnexpectedStatus(t *testing.T) {
	f := newFake(t, func(req map[string]string) []byte {
		if req["request"] == ReqOpen {
			return openReply(StatOK, 0)
		}
		return lookupReply(9, "")
	})
	var w warnings
	now := time.Unix(1e9, 0)
	c := testClient(f, &w, &now)
	defer c.Close()
	_, _, err := c.Table("hash:/t", 0, false).Lookup(context.Background(), "k")
	if !errors.Is(err, ErrUnavailable) {
		t.Fatalf("err %v", err)
	}
	txt := `proxymap lookup failed for table "hash:/t" key "k": unexpected reply status 9`
	if got := w.get(); !slices.Equal(got, []string{txt, txt}) || f.accepted() != 2 {
		t.Errorf("warnings %q accepts %d", got, f.accepted())
	}
}
