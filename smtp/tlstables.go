package main

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/postfix-go/postfix-go/internal/tlspolicy"
)

// Lookup tables for smtp_tls_policy_maps and smtp_tls_per_site. The
// types that need no database library or service are read here:
// texthash: (a postmap source file, read once before the chroot),
// inline:{...} and static:. Plain local database tables (hash:, btree:,
// cdb:, lmdb:, dbm:, sdbm:) are dumped with postmap -s before the
// chroot (localtables.go). Every other type, and "proxy:TYPE:NAME", is
// looked up through proxymap(8) at each delivery (policyproxymap.go).
// Without a proxymap opener such a type keeps the TLS guard, which
// defers all mail instead of guessing the policy (see serve.go).

// table is one opened table: exact keys, folded to lower case as stock
// opens these maps (DICT_FLAG_FOLD_FIX). A static table answers every
// key with the same value.
type table struct {
	entries map[string]string
	static  *string
}

func (t *table) lookup(key string) (string, bool) {
	if t.static != nil {
		return *t.static, true
	}
	v, ok := t.entries[strings.ToLower(key)]
	return v, ok
}

// errUnsupportedTable names a table type this agent cannot read.
type errUnsupportedTable struct{ spec string }

func (e *errUnsupportedTable) Error() string {
	return fmt.Sprintf("table %s: type is not supported by this smtp(8) (only texthash:, inline: and static:)", e.spec)
}

// proxyOpener returns the lookup of table "TYPE:NAME" through
// proxymap(8). No I/O happens before the first lookup.
type proxyOpener func(name string) tlspolicy.Lookup

// localOpener returns the lookup of a plain local database table
// ("hash:/x", read with postmap -s, localtables.go), or false for any
// other table.
type localOpener func(spec string) (tlspolicy.Lookup, bool)

// openTables opens every table of a maps parameter value, in order; the
// returned Lookup searches them like maps_find: first match wins, and a
// lookup error stops the search. Plain local database tables go to
// local when it is not nil; other types not read natively go to proxy;
// with a nil proxy they are an *errUnsupportedTable.
func openTables(value string, local localOpener, proxy proxyOpener) (tlspolicy.Lookup, error) {
	specs := splitTableList(value)
	if len(specs) == 0 {
		return nil, nil
	}
	var tabs []tlspolicy.Lookup
	for _, spec := range specs {
		if local != nil {
			if look, ok := local(spec); ok {
				tabs = append(tabs, look)
				continue
			}
		}
		t, err := openTable(spec)
		var ut *errUnsupportedTable
		switch {
		case errors.As(err, &ut) && proxy != nil && strings.Contains(spec, ":"):
			// dict_open("proxy:hash:x") asks proxymap for "hash:x";
			// plain "hash:x" is sent as is.
			tabs = append(tabs, proxy(strings.TrimPrefix(spec, "proxy:")))
			continue
		case err != nil:
			return nil, err
		}
		tabs = append(tabs, func(key string) (string, bool, error) {
			v, ok := t.lookup(key)
			return v, ok, nil
		})
	}
	return func(key string) (string, bool, error) {
		for _, t := range tabs {
			if v, ok, err := t(key); ok || err != nil {
				return v, ok, err
			}
		}
		return "", false, nil
	}, nil
}

// splitTableList splits a maps list on commas and white space outside
// braces, so that "inline:{ a=b, c=d }" stays one table.
func splitTableList(s string) []string {
	var out []string
	depth, start := 0, -1
	for i := 0; i <= len(s); i++ {
		sep := i == len(s)
		if !sep {
			switch c := s[i]; {
			case c == '{':
				depth++
			case c == '}':
				depth--
			case depth == 0 && strings.IndexByte(", \t\r\n", c) >= 0:
				sep = true
			}
		}
		switch {
		case sep && start >= 0:
			out = append(out, s[start:i])
			start = -1
		case !sep && start < 0:
			start = i
		}
	}
	return out
}

func openTable(spec string) (*table, error) {
	typ, name, ok := strings.Cut(spec, ":")
	if !ok {
		return nil, &errUnsupportedTable{spec}
	}
	switch typ {
	case "texthash":
		return readTexthash(name)
	case "inline":
		return parseInline(spec, name)
	case "static":
		v := strings.TrimSpace(name)
		if inner, ok := braced(v); ok {
			v = inner
		}
		return &table{static: &v}, nil
	}
	return nil, &errUnsupportedTable{spec}
}

// braced strips "{ ... }" and surrounding white space.
func braced(s string) (string, bool) {
	if len(s) < 2 || s[0] != '{' || s[len(s)-1] != '}' {
		return s, false
	}
	return strings.TrimSpace(s[1 : len(s)-1]), true
}

// parseInline reads "inline:{ key=value, { key = value with spaces } }".
func parseInline(spec, body string) (*table, error) {
	inner, ok := braced(strings.TrimSpace(body))
	if !ok {
		return nil, fmt.Errorf("%s: missing '{' or '}'", spec)
	}
	t := &table{entries: map[string]string{}}
	for _, item := range splitTableList(inner) {
		if in, ok := braced(item); ok {
			item = in
		}
		k, v, ok := strings.Cut(item, "=")
		if !ok {
			return nil, fmt.Errorf("%s: \"%s\": missing '='", spec, item)
		}
		t.entries[strings.ToLower(strings.TrimSpace(k))] = strings.TrimSpace(v)
	}
	return t, nil
}

// readTexthash reads a postmap(1) source file: "key value" lines,
// '#' comments, and continuation lines that start with white space.
// Later duplicates are ignored, as postmap(1) keeps the first.
func readTexthash(path string) (*table, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	defer f.Close()
	t := &table{entries: map[string]string{}}
	var logical string
	flush := func() {
		line := strings.TrimSpace(logical)
		logical = ""
		if line == "" {
			return
		}
		k, v, _ := strings.Cut(strings.Map(tabToSpace, line), " ")
		k = strings.ToLower(k)
		if _, dup := t.entries[k]; !dup {
			t.entries[k] = strings.TrimSpace(v)
		}
	}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(strings.TrimLeft(line, " \t"), "#") {
			continue
		}
		if line != "" && (line[0] == ' ' || line[0] == '\t') && logical != "" {
			logical += " " + strings.TrimSpace(line)
			continue
		}
		flush()
		logical = line
	}
	flush()
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return t, nil
}

func tabToSpace(r rune) rune {
	if r == '\t' {
		return ' '
	}
	return r
}
