package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
	"unicode/utf8"

	"github.com/postfix-go/postfix-go/internal/tlspolicy"
)

// Plain local database tables ("hash:/etc/postfix/tls_policy", without
// "proxy:") are opened by stock smtp itself, as root, before the chroot.
// This agent cannot read Berkeley DB, LMDB or CDB files, so before the
// chroot it runs the stock "postmap -c $config_directory -s TYPE:NAME"
// and keeps the dump in memory. As stock's dict_changed_name() does, it
// keeps the database file open and fstat()s it: before each policy
// lookup, and before the process waits for its next delivery request.
// When the file changed, the process logs stock's "table ... has changed
// -- restarting", finishes the request in progress (with the data read
// at start-up) and exits, so that master(8) starts one with fresh data.
// A table that postmap cannot read makes every lookup fail (the
// delivery is deferred with 4.7.5), where stock exits with a fatal
// error.

// localSuffixes maps the local file-based types to the suffix of the
// file that stock watches (dict->stat_fd).
var localSuffixes = map[string]string{
	"hash":  ".db",
	"btree": ".db",
	"cdb":   ".cdb",
	"lmdb":  ".lmdb",
	"dbm":   ".pag",
	"sdbm":  ".pag",
}

// policyDictRegName is the part of stock's registered table name
// (dict_make_registered_name) after "TYPE:NAME": open flags O_RDONLY
// and policyDictFlags.
const policyDictRegName = "(0,lock|fold_fix|utf8_request)"

// localTable is one table dumped with postmap -s.
type localTable struct {
	spec    string // "hash:/etc/postfix/tls_policy"
	entries map[string]string
	utf8    bool  // smtputf8_enable: fold keys as UTF-8
	err     error // the table could not be read: every lookup fails

	file  *os.File // the database file, for the change check
	mtime time.Time
	size  int64
}

// localFileSpec reports whether spec is a plain local database table,
// and the file name that postmap opens for it.
func localFileSpec(spec string) (string, bool) {
	typ, name, ok := strings.Cut(spec, ":")
	if !ok {
		return "", false
	}
	suf, ok := localSuffixes[typ]
	if !ok || name == "" {
		return "", false
	}
	return name + suf, true
}

// postmapDump runs "postmap -c configDir -s spec" and returns its
// output and standard error.
type postmapDump func(spec string) (out, errOut []byte, err error)

// runPostmap is the real postmapDump.
func runPostmap(commandDir, configDir string) postmapDump {
	return func(spec string) ([]byte, []byte, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, filepath.Join(commandDir, "postmap"), "-c", configDir, "-s", spec)
		var out, errOut bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errOut
		err := cmd.Run()
		return out.Bytes(), errOut.Bytes(), err
	}
}

// openLocalTable opens the database file, then dumps the table (so that
// a change during the dump is seen as a change). Problems are kept in
// the table's err; postmap's warnings go to warn.
func openLocalTable(spec, file string, utf8 bool, dump postmapDump, warn func(string)) *localTable {
	t := &localTable{spec: spec, utf8: utf8}
	f, err := os.Open(file)
	if err == nil {
		var st os.FileInfo
		if st, err = f.Stat(); err == nil {
			t.file, t.mtime, t.size = f, st.ModTime(), st.Size()
		} else {
			f.Close()
		}
	}
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		t.err = fmt.Errorf("table %s: open database %s: %w", spec, file, err)
		warn(t.err.Error() + "; TLS policy lookups in this table will fail")
		return t
	}
	out, errOut, err := dump(spec)
	var fatal string
	for _, line := range strings.Split(strings.TrimSpace(string(errOut)), "\n") {
		line = strings.TrimSpace(line)
		line = strings.TrimPrefix(line, "postmap: ")
		switch {
		case line == "":
		case strings.HasPrefix(line, "warning: "):
			warn(strings.TrimPrefix(line, "warning: "))
		case strings.HasPrefix(line, "fatal: "):
			fatal = strings.TrimPrefix(line, "fatal: ")
		default:
			// Library noise such as Berkeley DB's "BDB0641 ...".
			warn("postmap: " + line)
		}
	}
	if err != nil {
		if fatal == "" {
			fatal = err.Error()
		}
		t.err = fmt.Errorf("table %s: postmap -s: %s", spec, fatal)
		warn(t.err.Error() + "; TLS policy lookups in this table will fail")
		return t
	}
	t.entries = parsePostmapDump(out)
	return t
}

// parsePostmapDump reads "postmap -s" output: one "key<TAB>value" line
// per entry, keys exactly as stored (lower case unless the table was
// built with postmap -f), values verbatim (white space included).
func parsePostmapDump(out []byte) map[string]string {
	m := map[string]string{}
	for _, line := range strings.Split(string(out), "\n") {
		if line == "" {
			continue
		}
		k, v, _ := strings.Cut(line, "\t")
		if _, dup := m[k]; !dup {
			m[k] = v
		}
	}
	return m
}

// lookup follows dict_db_lookup with DICT_FLAG_FOLD_FIX: the query is
// folded to lower case (casefold with smtputf8_enable, where a
// malformed UTF-8 query finds nothing; ASCII otherwise) and matched
// exactly, so that upper-case keys of a "postmap -f" table never match.
func (t *localTable) lookup(key string) (string, bool, error) {
	if t.err != nil {
		return "", false, t.err
	}
	if t.utf8 {
		if !utf8.ValidString(key) {
			return "", false, nil
		}
		key = strings.ToLower(key)
	} else {
		key = asciiLower(key)
	}
	v, ok := t.entries[key]
	return v, ok, nil
}

func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// changed is dict_changed_name's test for one table: the file's
// modification time (or size) differs from when it was opened, or the
// file was removed (a new one renamed over it).
func (t *localTable) changed() bool {
	if t.file == nil {
		return false
	}
	st, err := t.file.Stat()
	if err != nil {
		return true
	}
	if sys, ok := st.Sys().(*syscall.Stat_t); ok && sys.Nlink == 0 {
		return true
	}
	return !st.ModTime().Equal(t.mtime) || st.Size() != t.size
}

// localTables are the plain local tables a process opened; the first
// change seen asks the process to exit after the current request.
type localTables struct {
	mu      sync.Mutex
	tables  []*localTable
	changed string // registered name of the changed table, once seen
	info    func(string)
}

// opener returns the localOpener that records the tables it opens.
func (l *localTables) opener(utf8 bool, dump postmapDump, warn func(string)) localOpener {
	return func(spec string) (tlspolicy.Lookup, bool) {
		file, ok := localFileSpec(spec)
		if !ok {
			return nil, false
		}
		t := openLocalTable(spec, file, utf8, dump, warn)
		l.mu.Lock()
		l.tables = append(l.tables, t)
		l.mu.Unlock()
		return func(key string) (string, bool, error) {
			l.check()
			return t.lookup(key)
		}, true
	}
}

// check looks for a changed table (once one is found, it stays the
// answer) and logs stock's restart notice the first time. It reports
// whether the process should exit.
func (l *localTables) check() bool {
	if l == nil {
		return false
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.changed != "" {
		return true
	}
	for _, t := range l.tables {
		if t.changed() {
			l.changed = t.spec + policyDictRegName
			if l.info != nil {
				l.info("table " + l.changed + " has changed -- restarting")
			}
			return true
		}
	}
	return false
}
