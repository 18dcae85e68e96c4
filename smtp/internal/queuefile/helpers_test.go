package queuefile

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// fixture describes one queue file from testdata (copied from the spec's
// vectors/bin with its annotated transcript vectors/<name>.txt).
type fixture struct {
	name    string // base name in testdata
	queueID string
	size    int    // bytes, from vectors/bin/INDEX.md
	summary string // record summary from vectors/bin/INDEX.md
}

var fixtures = []fixture{
	{"queuefile-mixed-before", "10901984142", 1305, "C T A3 S A18 O R A O R A O R M N13 X A E (49)"},
	{"queuefile-mixed-after", "10901984142", 1305, "C T A3 S A18 O D A O R A O D M N13 X A E (49)"},
	{"queuefile-dsn-utf8", "8F8B098406B", 1153, "C T A5 S A17 O R A2 O R M N10 X E (44)"},
	{"queuefile-long-lines", "99B01984019", 7219, "C T A3 S A16 O R M N11 L2 N3 X E (43)"},
}

func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name+".bin"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// txRecord is one line of a transcript's "(2) record decode" section.
type txRecord struct {
	offset   int64
	typ      byte
	length   int
	lenBytes []byte
	data     []byte
}

var txLine = regexp.MustCompile(`^(\d+)\s+(\S)\s+\S+\s+(\d+)\(([0-9a-f ]+)\)\s+(b?'.*'|b?".*")$`)

// readTranscript parses section (2) of testdata/<name>.txt, an
// independent decode (the spec's recdump.py) to compare our reader with.
func readTranscript(t testing.TB, name string) []txRecord {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name+".txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []txRecord
	in := false
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "# ==== (2)"):
			in = true
			continue
		case strings.HasPrefix(line, "# ==== (3)"):
			in = false
		}
		if !in || strings.HasPrefix(line, "#") || strings.HasPrefix(line, "offset ") {
			continue
		}
		m := txLine.FindStringSubmatch(line)
		if m == nil {
			t.Fatalf("%s: cannot parse record line %q", name, line)
		}
		off, _ := strconv.ParseInt(m[1], 10, 64)
		n, _ := strconv.Atoi(m[3])
		var lb []byte
		for _, h := range strings.Fields(m[4]) {
			v, err := strconv.ParseUint(h, 16, 8)
			if err != nil {
				t.Fatalf("%s: length bytes %q: %v", name, m[4], err)
			}
			lb = append(lb, byte(v))
		}
		data, err := unrepr(m[5])
		if err != nil {
			t.Fatalf("%s: payload %q: %v", name, m[5], err)
		}
		out = append(out, txRecord{offset: off, typ: m[2][0], length: n, lenBytes: lb, data: data})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(out) == 0 {
		t.Fatalf("%s: no records in transcript", name)
	}
	return out
}

// unrepr decodes a Python repr() of str or bytes.
func unrepr(s string) ([]byte, error) {
	s = strings.TrimPrefix(s, "b")
	if len(s) < 2 || s[0] != s[len(s)-1] {
		return nil, errors.New("unquoted")
	}
	s = s[1 : len(s)-1]
	var out []byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' {
			out = append(out, c)
			continue
		}
		i++
		if i >= len(s) {
			return nil, errors.New("trailing backslash")
		}
		switch s[i] {
		case '\\', '\'', '"':
			out = append(out, s[i])
		case 't':
			out = append(out, '\t')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 'x':
			if i+2 >= len(s) {
				return nil, errors.New("short \\x")
			}
			v, err := strconv.ParseUint(s[i+1:i+3], 16, 8)
			if err != nil {
				return nil, err
			}
			out = append(out, byte(v))
			i += 2
		default:
			return nil, fmt.Errorf("escape \\%c", s[i])
		}
	}
	return out, nil
}

// summarize renders record types the way INDEX.md does: runs of the
// same type as the letter plus a count, then the total in parentheses.
func summarize(recs []Record) string {
	var parts []string
	for i := 0; i < len(recs); {
		j := i
		for j < len(recs) && recs[j].Type == recs[i].Type {
			j++
		}
		p := string(recs[i].Type)
		if j-i > 1 {
			p += strconv.Itoa(j - i)
		}
		parts = append(parts, p)
		i = j
	}
	return fmt.Sprintf("%s (%d)", strings.Join(parts, " "), len(recs))
}

// rawRecords reads every record with NextRaw until the end.
func rawRecords(t testing.TB, data []byte) []Record {
	t.Helper()
	r := NewReader(bytes.NewReader(data), "test", 0)
	var out []Record
	for {
		rec, err := r.NextRaw()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatalf("record %d: %v", len(out), err)
		}
		out = append(out, rec)
	}
}

// queueDir lays out a private queue directory holding data as
// <queue>/<hash>/<id> with the mode cleanup gives a finished file.
func queueDir(t testing.TB, queue, id string, data []byte) (Layout, string) {
	t.Helper()
	l := DefaultLayout(t.TempDir())
	p, err := l.Path(queue, id)
	if err != nil {
		t.Fatal(err)
	}
	full := l.osPath(p)
	if err := os.MkdirAll(filepath.Dir(full), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(full, data, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(full, 0o700); err != nil { // umask
		t.Fatal(err)
	}
	return l, full
}

// asError extracts the *Error or fails.
func asError(t testing.TB, err error) *Error {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not an *Error", err, err)
	}
	return e
}
