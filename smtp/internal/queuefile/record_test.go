package queuefile

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"syscall"
	"testing"
)

func rec(typ byte, data string) []byte { return AppendRecord(nil, typ, []byte(data)) }

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

// The length encoding examples from the spec (13, 1200, 2048, 904, 0)
// and the boundaries of each length byte count.
func TestLengthEncoding(t *testing.T) {
	for _, tc := range []struct {
		n    int
		want string
	}{
		{0, "00"}, {13, "0d"}, {127, "7f"}, {128, "80 01"}, {904, "88 07"},
		{1200, "b0 09"}, {2048, "80 10"}, {16383, "ff 7f"}, {16384, "80 80 01"},
		{1 << 21, "80 80 80 01"},
	} {
		enc := AppendRecord(nil, 'N', make([]byte, tc.n))
		if got := fmt.Sprintf("% x", enc[1:len(enc)-tc.n]); got != tc.want {
			t.Errorf("length %d encodes as %s, want %s", tc.n, got, tc.want)
		}
		r := NewReader(bytes.NewReader(enc), "t", 0)
		got, err := r.NextRaw()
		if err != nil || got.Type != 'N' || len(got.Data) != tc.n {
			t.Errorf("length %d: read back %c %d, %v", tc.n, got.Type, len(got.Data), err)
		}
		if _, err := r.NextRaw(); err != io.EOF {
			t.Errorf("length %d: after the record: %v, want EOF", tc.n, err)
		}
	}
	// Non-minimal encodings are accepted, as by rec_get_raw().
	r := NewReader(bytes.NewReader([]byte{'N', 0x81, 0x80, 0x00, 'x'}), "t", 0)
	if got, err := r.NextRaw(); err != nil || string(got.Data) != "x" {
		t.Errorf("padded length: %q %v", got.Data, err)
	}
}

// Malformed records give rec_get_raw()'s warnings, word for word, as
// Warning errors wrapping ErrCorrupt.
func TestCorruptRecords(t *testing.T) {
	for _, tc := range []struct {
		name   string
		in     []byte
		maxLen int64
		want   string
	}{
		{"type only", []byte("C"), 0, "active/ID: unexpected EOF reading length, record type 67"},
		{"length cut", []byte("N\x80"), 0, "active/ID: unexpected EOF reading length, record type 78"},
		{"six length bytes", []byte("N\x80\x80\x80\x80\x80\x01"), 0, "active/ID: too many length bits, record type 78"},
		// Stock adds the fifth byte into a 32-bit int: bit 31 makes it negative.
		{"negative length", []byte("N\x80\x80\x80\x80\x08"), 0, "active/ID: illegal length -2147483648, record type 78"},
		{"over the cap", []byte("N\xff\xff\xff\xff\x07"), 0, "active/ID: illegal length 2147483647, record type 78"},
		{"over the caller's limit", cat(rec('N', "0123456789a")), 10, "active/ID: illegal length 11, record type 78"},
		{"data cut", []byte("N\x05ab"), 0, "active/ID: unexpected EOF in data, record type 78 length 5"},
		// Without our cap, a huge length fails only when the data runs out.
		{"no cap", []byte("N\xff\xff\xff\xff\x07abc"), math.MaxInt64, "active/ID: unexpected EOF in data, record type 78 length 2147483647"},
		{"second record cut", cat(rec('T', "1 2"), []byte("S\x0dalice")), 0, "active/ID: unexpected EOF in data, record type 83 length 13"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := NewReader(bytes.NewReader(tc.in), "active/ID", tc.maxLen)
			var err error
			for err == nil {
				_, err = r.NextRaw()
			}
			e := asError(t, err)
			if e.Text != tc.want || e.Severity != Warning || !errors.Is(err, ErrCorrupt) {
				t.Errorf("got %v %q, want warning %q", e.Severity, e.Text, tc.want)
			}
			if _, again := r.NextRaw(); again != err {
				t.Errorf("error is not sticky: %v", again)
			}
		})
	}
}

// Next() is rec_get(): p records are followed (0 is a dummy), w records
// skipped, and reading stops for good after E.
func TestTransparency(t *testing.T) {
	ptr := func(off int) []byte { return rec('p', fmt.Sprintf("%15d", off)) }
	// 0: N one; 5: p -> 45 (heap); 22: X; 24: E; 26: w padding; then the
	// heap at 45: N two, p -> 22 (back to X).
	var f []byte
	f = append(f, rec('N', "one")...) // 0..4
	f = append(f, ptr(45)...)         // 5..21
	f = append(f, rec('X', "")...)    // 22
	f = append(f, rec('E', "")...)    // 24
	for len(f) < 45 {
		f = append(f, 0)
	}
	f = append(f, rec('w', "")...)    // 45 padding, skipped
	f = append(f, rec('N', "two")...) // 47
	f = append(f, ptr(22)...)
	f = append(f, ptr(0)...) // dummy, never reached

	r := NewReader(bytes.NewReader(f), "t", 0)
	var got []string
	for {
		rc, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, fmt.Sprintf("%c@%d:%s", rc.Type, rc.Offset, rc.Data))
	}
	if want := "N@0:one N@47:two X@22: E@24:"; strings.Join(got, " ") != want {
		t.Errorf("Next: %s, want %s", strings.Join(got, " "), want)
	}

	cr, err := NewContentReader(bytes.NewReader(f), "t", "ID", 0)
	if err != nil {
		t.Fatal(err)
	}
	text, err := io.ReadAll(cr.Text())
	if err != nil || string(text) != "one\ntwo\n" {
		t.Errorf("content through a pointer: %q, %v", text, err)
	}

	// A dummy pointer (value 0, as cleanup leaves them) is ignored.
	r = NewReader(bytes.NewReader(cat(ptr(0), rec('N', "a"))), "t", 0)
	if rc, err := r.Next(); err != nil || rc.Type != 'N' {
		t.Errorf("after dummy pointer: %c %v", rc.Type, err)
	}
	// NextRaw shows p records and whatever follows E.
	r = NewReader(bytes.NewReader(cat(rec('E', ""), rec('N', "a"))), "t", 0)
	if rc, err := r.NextRaw(); err != nil || rc.Type != 'E' {
		t.Fatal(err)
	}
	if rc, err := r.NextRaw(); err != nil || rc.Type != 'N' {
		t.Errorf("NextRaw after E: %c %v", rc.Type, err)
	}
}

func TestPointerErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   []byte
		want string
	}{
		{"not a number", rec('p', "abc"), "q/ID: malformed pointer record value: abc"},
		{"trailing junk", rec('p', "  12x"), "q/ID: malformed pointer record value: 12x"},
		{"sign", rec('p', "-5"), "q/ID: malformed pointer record value: -5"},
		{"overflow", rec('p', "99999999999999999999"), "q/ID: malformed pointer record value: 99999999999999999999"},
		// A pointer to itself: each jump goes backwards (or nowhere).
		{"loop", cat(rec('N', "x"), rec('p', "3")), "q/ID: too many reverse jump records"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := NewReader(bytes.NewReader(tc.in), "q/ID", 0)
			var err error
			for err == nil {
				_, err = r.Next()
			}
			e := asError(t, err)
			if e.Text != tc.want || e.Severity != Warning || !errors.Is(err, ErrCorrupt) {
				t.Errorf("got %v %q, want %q", e.Severity, e.Text, tc.want)
			}
		})
	}
	// A pointer past the end simply ends the input.
	r := NewReader(bytes.NewReader(rec('p', "1000")), "q/ID", 0)
	if _, err := r.Next(); err != io.EOF {
		t.Errorf("pointer past EOF: %v", err)
	}
	// Whatever follows a NUL in the payload is invisible to the C string.
	r = NewReader(bytes.NewReader(cat(rec('p', "0\x00junk"), rec('N', "a"))), "q/ID", 0)
	if rc, err := r.Next(); err != nil || rc.Type != 'N' {
		t.Errorf("pointer with NUL: %c %v", rc.Type, err)
	}
}

// The content loop's verdicts, as smtp_loop logs them.
func TestContentErrors(t *testing.T) {
	for _, tc := range []struct {
		name  string
		in    []byte
		chain []string
	}{
		{"end of file", cat(rec('N', "a")), []string{"ID: bad record type: -1 in message content"}},
		{"E in content", cat(rec('N', "a"), rec('E', "")), []string{"ID: bad record type: 69 in message content"}},
		{"R in content", cat(rec('N', "a"), rec('R', "x@y")), []string{"ID: bad record type: 82 in message content"}},
		{"type 0", cat(rec('N', "a"), rec(0, "")), []string{"ID: bad record type: 0 in message content"}},
		{"broken record", cat(rec('N', "a"), []byte("N\x05ab")), []string{
			"active/ID: unexpected EOF in data, record type 78 length 5",
			"ID: bad record type: -2 in message content",
		}},
		{"bad pointer", cat(rec('N', "a"), rec('p', "x")), []string{
			"active/ID: malformed pointer record value: x",
			"ID: bad record type: -2 in message content",
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cr, err := NewContentReader(bytes.NewReader(tc.in), "active/ID", "ID", 0)
			if err != nil {
				t.Fatal(err)
			}
			if rc, err := cr.Next(); err != nil || string(rc.Data) != "a" {
				t.Fatalf("first record: %q %v", rc.Data, err)
			}
			_, err = cr.Next()
			var texts []string
			for _, e := range Chain(err) {
				if e.Severity != Warning {
					t.Errorf("%q: severity %v", e.Text, e.Severity)
				}
				texts = append(texts, e.Text)
			}
			if strings.Join(texts, "|") != strings.Join(tc.chain, "|") {
				t.Errorf("chain %q, want %q", texts, tc.chain)
			}
			if !errors.Is(err, ErrCorrupt) {
				t.Error("not ErrCorrupt")
			}
			// Text delivers the good line, then the same error.
			cr, _ = NewContentReader(bytes.NewReader(tc.in), "active/ID", "ID", 0)
			got, err2 := io.ReadAll(cr.Text())
			if string(got) != "a\n" || err2 == nil || err2.Error() != tc.chain[len(tc.chain)-1] {
				t.Errorf("Text: %q, %v", got, err2)
			}
		})
	}
}

// A message that does not end in a line end ends with an L record; Text
// adds the line end that smtp(8) adds on the wire.
func TestContentMissingNewline(t *testing.T) {
	in := cat(rec('N', "h: v"), rec('N', ""), rec('L', "abc"), rec('L', "def"), rec('X', ""))
	cr, _ := NewContentReader(bytes.NewReader(in), "t", "ID", 0)
	got, err := io.ReadAll(cr.Text())
	if err != nil || string(got) != "h: v\n\nabcdef\n" {
		t.Errorf("%q %v", got, err)
	}
	if cr.LastType() != RecTypeCont {
		t.Errorf("LastType %c", cr.LastType())
	}
	// Empty content.
	cr, _ = NewContentReader(bytes.NewReader(rec('X', "")), "t", "ID", 0)
	if got, err := io.ReadAll(cr.Text()); err != nil || len(got) != 0 {
		t.Errorf("empty: %q %v", got, err)
	}
	// Small reads split records and line ends anywhere.
	cr, _ = NewContentReader(bytes.NewReader(in), "t", "ID", 0)
	var b []byte
	buf := make([]byte, 1)
	tr := cr.Text()
	for {
		n, err := tr.Read(buf)
		b = append(b, buf[:n]...)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if string(b) != "h: v\n\nabcdef\n" {
		t.Errorf("1-byte reads: %q", b)
	}
}

// failingReader returns EIO after a few bytes.
type failingReader struct {
	*bytes.Reader
	failAt int64
}

func (f *failingReader) Read(p []byte) (int, error) {
	pos, _ := f.Seek(0, io.SeekCurrent)
	if pos >= f.failAt {
		return 0, syscall.EIO
	}
	if int64(len(p)) > f.failAt-pos {
		p = p[:f.failAt-pos]
	}
	return f.Reader.Read(p)
}

// An I/O error is not corruption: smtp(8) exits with "queue file read
// error" so that the delivery is retried later.
func TestReadError(t *testing.T) {
	in := cat(rec('N', "abc"), rec('N', "def"), rec('X', ""))
	cr, err := NewContentReader(&failingReader{bytes.NewReader(in), 7}, "t", "ID", 0)
	if err != nil {
		t.Fatal(err)
	}
	var last error
	for last == nil {
		_, last = cr.Next()
	}
	e := asError(t, last)
	if e.Severity != Fatal || e.Text != "queue file read error" || !errors.Is(last, syscall.EIO) || errors.Is(last, ErrCorrupt) {
		t.Errorf("got %v %q (%v)", e.Severity, e.Text, e.Err)
	}
}

// Every truncation of a real queue file either ends cleanly at a record
// boundary or gives one of the stock warnings; nothing panics, and the
// content pass reports -1 or -2 unless the content is complete.
func TestTruncatedFixture(t *testing.T) {
	data := readFixture(t, "queuefile-mixed-before")
	boundaries := map[int]bool{}
	for _, r := range rawRecords(t, data) {
		boundaries[int(r.Offset)] = true
	}
	for n := 0; n < len(data); n++ {
		r := NewReader(bytes.NewReader(data[:n]), "p", 0)
		var err error
		for err == nil {
			_, err = r.NextRaw()
		}
		if boundaries[n] {
			if err != io.EOF {
				t.Fatalf("cut at boundary %d: %v", n, err)
			}
		} else if !errors.Is(err, ErrCorrupt) {
			t.Fatalf("cut at %d: %v", n, err)
		}

		cr, err := NewContentReader(bytes.NewReader(data[:n]), "p", "ID", 840)
		if err != nil {
			t.Fatal(err)
		}
		_, err = io.ReadAll(cr.Text())
		switch {
		case n >= 1288: // the X record is complete
			if err != nil {
				t.Fatalf("cut at %d: %v", n, err)
			}
		case err == nil:
			t.Fatalf("cut at %d: no error", n)
		default:
			txt := err.Error()
			if txt != "ID: bad record type: -1 in message content" && txt != "ID: bad record type: -2 in message content" {
				t.Fatalf("cut at %d: %q", n, txt)
			}
		}
	}
}

func TestTypeName(t *testing.T) {
	for typ, want := range map[byte]string{
		'R': "recipient", 'D': "done_recipient", 'L': "content_filter", 'N': "regular_text",
		'c': "queue_file_create_time", 'm': "unknown_record_type", 0: "unknown_record_type",
	} {
		if got := TypeName(typ); got != want {
			t.Errorf("TypeName(%q) = %q, want %q", typ, got, want)
		}
	}
}
