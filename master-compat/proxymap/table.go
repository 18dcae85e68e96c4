package proxymap

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/postfix-go/postfix-go/master-compat/attr"
)

// Table is one proxied table: what stock's dict_open("proxy:" + name,
// O_RDONLY, dictFlags) returns, including the UTF-8 layer.
type Table struct {
	c         *Client
	name      string // "TYPE:NAME", as sent in the table attribute
	dictFlags int
	instFlags int  // dict_flags & DICT_FLAG_INST_MASK
	utf8      bool // util_utf8_enable (smtputf8_enable)

	mu     sync.Mutex
	opened bool
	flags  int // dict->flags after open
}

// Table returns the table "TYPE:NAME" opened with dictFlags (e.g.
// FlagLock|FlagFoldFix|FlagUTF8Request for smtp_tls_policy_maps). utf8
// is smtputf8_enable: with FlagUTF8Request it adds the UTF-8 layer. No
// I/O happens until Open or the first Lookup.
func (c *Client) Table(name string, dictFlags int, utf8 bool) *Table {
	return &Table{c: c, name: name, dictFlags: dictFlags, instFlags: dictFlags & InstMask,
		utf8: utf8 && dictFlags&FlagUTF8Request != 0}
}

// Name is the table's "TYPE:NAME".
func (t *Table) Name() string { return t.name }

// Flags are the table's dict flags after a successful open: the
// requested ones plus the server table's implementation flags.
func (t *Table) Flags() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.flags
}

// Open sends the open request once (dict_proxy_open's initial contact)
// and keeps the server's implementation flags. Lookup calls it.
func (t *Table) Open(ctx context.Context) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.opened {
		return nil
	}
	var status, serverFlags int
	svc := t.c.cfg.Service
	err := t.c.call(ctx, "dict_proxy_open", AppendOpen(nil, t.name, t.instFlags), &status,
		func(s int) bool { return s == StatOK || s == StatBad || s == StatDeny },
		func(s int) string {
			return fmt.Sprintf("%s open failed for table \"%s\": unexpected status %d", svc, t.name, s)
		},
		attr.Int(attrStatus, &status), attr.Int(attrFlags, &serverFlags))
	switch {
	case err != nil:
		return err
	case status == StatBad:
		return &statusError{ErrBad, fmt.Sprintf("%s open failed for table \"%s\": invalid request", svc, t.name)}
	case status == StatDeny:
		return t.denied()
	}
	t.flags = (t.dictFlags &^ ImplMask) | (serverFlags & ImplMask)
	if t.utf8 {
		t.flags |= FlagUTF8Active
	}
	t.opened = true
	return nil
}

func (t *Table) denied() error {
	return &statusError{ErrDeny, fmt.Sprintf("%s service is not configured for table \"%s\"", t.c.cfg.Service, t.name)}
}

// Lookup returns the value stored under key. found is false for a
// missing key (NOKEY) and for a key the UTF-8 layer refuses; err wraps
// ErrRetry, ErrConfig, ErrDeny, ErrBad or ErrUnavailable.
func (t *Table) Lookup(ctx context.Context, key string) (value string, found bool, err error) {
	if err := t.Open(ctx); err != nil {
		return "", false, err
	}
	flags := t.Flags()
	reqFlags := t.instFlags | (flags & RqstMask)
	if t.utf8 {
		// dict_utf8_lookup: validate, fold here, and ask the server
		// with the fold flags off.
		if !utf8.ValidString(key) {
			t.c.cfg.Warn(fmt.Sprintf("%s:%s: non-UTF-8 key \"%s\": %s", "proxy", t.name, key, badUTF8))
			return "", false, nil
		}
		if fold := flags & FlagFoldAny; fold != 0 {
			want := FlagFoldMul
			if flags&FlagFixed != 0 {
				want = FlagFoldFix
			}
			if fold&want != 0 {
				key = casefold(key)
			}
		}
		reqFlags &^= FlagFoldAny
	}
	var status int
	svc := t.c.cfg.Service
	err = t.c.call(ctx, "dict_proxy_lookup", AppendLookup(nil, t.name, reqFlags, key), &status,
		func(s int) bool { return s >= StatOK && s <= StatConfig },
		func(s int) string {
			return fmt.Sprintf("%s lookup failed for table \"%s\" key \"%s\": unexpected reply status %d", svc, t.name, key, s)
		},
		attr.Int(attrStatus, &status), attr.Str(attrValue, &value))
	if err != nil {
		return "", false, err
	}
	switch status {
	case StatOK:
		if t.utf8 && !utf8.ValidString(value) {
			t.c.cfg.Warn(fmt.Sprintf("proxy:%s: key \"%s\": non-UTF-8 value \"%s\": %s", t.name, key, value, badUTF8))
			return "", false, &statusError{ErrConfig, fmt.Sprintf("%s: non-UTF-8 value for key \"%s\"", t.name, key)}
		}
		return value, true, nil
	case StatNoKey:
		return "", false, nil
	case StatRetry:
		return "", false, &statusError{ErrRetry, fmt.Sprintf("%s lookup for table \"%s\" key \"%s\": temporary error", svc, t.name, key)}
	case StatConfig:
		return "", false, &statusError{ErrConfig, fmt.Sprintf("%s lookup for table \"%s\" key \"%s\": table configuration error", svc, t.name, key)}
	case StatBad:
		return "", false, &statusError{ErrBad, fmt.Sprintf("%s lookup failed for table \"%s\" key \"%s\": invalid request", svc, t.name, key)}
	}
	return "", false, t.denied()
}

const badUTF8 = "malformed UTF-8 or invalid codepoint"

// casefold is stock's casefold(): ASCII is lower-cased; other text is
// lower-cased rune by rune (ICU's full case folding differs for a few
// characters such as U+00DF, which it folds to "ss").
func casefold(s string) string {
	return strings.ToLower(s)
}
