package queuefile

import (
	"path/filepath"
	"testing"
)

func TestPath(t *testing.T) {
	def := DefaultLayout("")
	deep := NewLayout("", "deferred,hold\tincoming", 3)
	for _, tc := range []struct {
		l           Layout
		queue, id   string
		want        string
		description string
	}{
		{def, "active", "D38D99840D3", "active/D38D99840D3", "active is not hashed (observed openat active/D38D99840D3)"},
		{def, "deferred", "10901984142", "deferred/1/10901984142", "observed"},
		{def, "deferred", "CD5AC9840EC", "deferred/C/CD5AC9840EC", "observed"},
		{def, "defer", "10901984142", "defer/1/10901984142", "observed"},
		{def, "hold", "10901984142", "hold/10901984142", "hold is not hashed by default"},
		{def, "Deferred", "10901984142", "Deferred/1/10901984142", "names compare case-insensitively"},
		{deep, "hold", "10901984142", "hold/1/0/9/10901984142", "depth 3"},
		{deep, "incoming", "AB", "incoming/A/B/_/AB", "short source padded with _"},
		{deep, "defer", "10901984142", "defer/10901984142", "not in this list"},
		// Long IDs: the 4 characters before the last 'z' are the
		// microseconds in base 52; "0R24" = 23*52*52+2*52+4 = 62300 = 0xF35C.
		{def, "deferred", "4dYQ3c0R24zJPVS", "deferred/0/4dYQ3c0R24zJPVS", "long ID, usec 62300 -> 0F35C"},
		{deep, "deferred", "4dYQ3c0R24zJPVS", "deferred/0/F/3/4dYQ3c0R24zJPVS", "long ID, depth 3"},
		{def, "deferred", "4dYQ3czzzzzJPVS", "deferred/6/4dYQ3czzzzzJPVS", "the last z separates: usec zzzz = 0x6F90FF (more than 5 hex digits)"},
		{def, "deferred", "4dYQ3cxR24zJPVS", "deferred/6/4dYQ3cxR24zJPVS", "usec xR24 = 0x6A149C"},
		{deep, "deferred", "4dYQ3cB000zJPVS", "deferred/1/5/7/4dYQ3cB000zJPVS", "usec B000 = 0x157480"},
		{def, "deferred", "4dYQ3cAEIOzJPVS", "deferred/0/4dYQ3cAEIOzJPVS", "vowels are not in the alphabet: decode error means 00000"},
		{def, "deferred", "123456789z", "deferred/1/123456789z", "z before position 10: a short ID"},
	} {
		got, err := tc.l.Path(tc.queue, tc.id)
		if err != nil || got != tc.want {
			t.Errorf("%s %s: %q %v, want %q (%s)", tc.queue, tc.id, got, err, tc.want, tc.description)
		}
	}
}

func TestPathErrors(t *testing.T) {
	def := DefaultLayout("")
	for _, tc := range []struct {
		l         Layout
		queue, id string
		want      string
	}{
		{def, "../etc", "X", "mail_queue_dir: bad queue name: ../etc"},
		{def, "", "X", "mail_queue_dir: bad queue name: "},
		{def, "active", "../../x", "mail_queue_dir: bad queue id: ../../x"},
		{def, "active", "", "mail_queue_dir: bad queue id: "},
		{Layout{HashQueueNames: []string{"deferred"}}, "deferred", "ABC", "dir_forest: depth 0"},
	} {
		_, err := tc.l.Path(tc.queue, tc.id)
		if err == nil {
			t.Errorf("%q %q: no error", tc.queue, tc.id)
			continue
		}
		if e := asError(t, err); e.Severity != Panic || e.Text != tc.want {
			t.Errorf("%q %q: %v %q, want panic %q", tc.queue, tc.id, e.Severity, e.Text, tc.want)
		}
	}
}

func TestValidNames(t *testing.T) {
	long := make([]byte, 256)
	for i := range long {
		long[i] = 'A'
	}
	for _, tc := range []struct {
		s           string
		name, id    bool
		description string
	}{
		{"active", true, true, ""},
		{"flush_example_com", false, true, "fast-flush logfile names use _"},
		{"a.b", false, false, ""},
		{"a/b", false, false, ""},
		{"\xc3\xa4", false, false, "ASCII only"},
		{string(long[:100]), true, true, ""},
		{string(long[:101]), false, true, ""},
		{string(long[:255]), false, true, ""},
		{string(long), false, false, ""},
	} {
		if ValidQueueName(tc.s) != tc.name || ValidQueueID(tc.s) != tc.id {
			t.Errorf("%.20q: name %v id %v, want %v %v %s", tc.s, ValidQueueName(tc.s), ValidQueueID(tc.s), tc.name, tc.id, tc.description)
		}
	}
}

func TestLayoutJoin(t *testing.T) {
	l := DefaultLayout("/var/spool/postfix")
	if got := l.osPath("active/X"); got != filepath.FromSlash("/var/spool/postfix/active/X") {
		t.Errorf("osPath %q", got)
	}
	if got := DefaultLayout("").osPath("active/X"); got != "active/X" {
		t.Errorf("chrooted osPath %q", got)
	}
	if n := NewLayout("", " deferred ,, defer ", 1).HashQueueNames; len(n) != 2 || n[0] != "deferred" || n[1] != "defer" {
		t.Errorf("split %q", n)
	}
}
