package smtpwire

import (
	"bufio"
	"bytes"
	"errors"
	"math/rand"
	"os"
	"strings"
	"testing"
)

// refLine is an independent statement of smtp_text_out() for a line that
// arrives as one N record: a leading "." is doubled; a line longer than
// m is cut after m bytes, and the rest goes out in pieces of at most m-1
// bytes, each after a space.
func refLine(line []byte, m int) []byte {
	var out []byte
	if len(line) > 0 && line[0] == '.' {
		out = append(out, '.')
	}
	if m <= 0 || len(line) <= m {
		return append(append(out, line...), "\r\n"...)
	}
	out = append(append(out, line[:m]...), "\r\n"...)
	for rest := line[m:]; len(rest) > 0; {
		k := min(m-1, len(rest))
		out = append(append(append(out, ' '), rest[:k]...), "\r\n"...)
		rest = rest[k:]
	}
	return out
}

// refContent is the expected wire form of raw text: complete lines as N
// records, an unterminated rest as an L record followed by the CRLF stock
// adds, then ".". An L record that ends exactly where a fold is due gets
// its fold at once, so the added CRLF then ends a line holding one space.
func refContent(text []byte, m int) []byte {
	if m == 1 {
		m = 2
	}
	var out []byte
	lines := bytes.Split(text, []byte("\n"))
	for _, l := range lines[:len(lines)-1] {
		out = append(out, refLine(bytes.TrimSuffix(l, []byte("\r")), m)...)
	}
	if rest := lines[len(lines)-1]; len(rest) > 0 {
		out = append(out, refLine(rest, m)...)
		if n := len(rest); m > 0 && (n == m || (n > m && (n-m)%(m-1) == 0)) {
			out = append(out, " \r\n"...)
		}
	}
	return append(out, ".\r\n"...)
}

type rec struct {
	text string
	cont bool
}

func TestContentWriterRecords(t *testing.T) {
	N := func(s string) rec { return rec{s, false} }
	L := func(s string) rec { return rec{s, true} }
	for _, tc := range []struct {
		name  string
		limit int
		recs  []rec
		want  string
		fold  bool
	}{
		{"empty line", 10, []rec{N("")}, "\r\n", false},
		{"dot", 10, []rec{N(".")}, "..\r\n", false},
		{"two dots", 10, []rec{N("..")}, "...\r\n", false},
		{"dot inside", 10, []rec{N("a.b")}, "a.b\r\n", false},
		{"exactly the limit", 10, []rec{N("abcdefghij")}, "abcdefghij\r\n", false},
		{"one over", 10, []rec{N("abcdefghijk")}, "abcdefghij\r\n k\r\n", true},
		{"stuffed dot not counted", 10, []rec{N(".bcdefghijk")}, "..bcdefghij\r\n k\r\n", true},
		{"limit plus limit-1", 10, []rec{N("0123456789abcdefghi")}, "0123456789\r\n abcdefghi\r\n", true},
		{"limit plus limit", 10, []rec{N("0123456789abcdefghij")}, "0123456789\r\n abcdefghi\r\n j\r\n", true},
		{"no stuffing after a fold", 10, []rec{N("abcdefghij.x")}, "abcdefghij\r\n .x\r\n", true},
		{"no stuffing mid-line", 10, []rec{L("abc"), N(".de")}, "abc.de\r\n", false},
		{"stuffing in first L", 10, []rec{L(".a"), N("b")}, "..ab\r\n", false},
		{"L then empty N", 10, []rec{L("."), N("")}, "..\r\n", false},
		{"fold across records", 10, []rec{L("abcdef"), N("ghijkl")}, "abcdefghij\r\n kl\r\n", true},
		{"L at the limit folds at once", 10, []rec{L("abcdefghij"), N("")}, "abcdefghij\r\n \r\n", true},
		{"L at the limit, then more", 10, []rec{L("abcdefghij"), N("k")}, "abcdefghij\r\n k\r\n", true},
		{"L at the second boundary", 10, []rec{L("0123456789abcdefghi"), N("")}, "0123456789\r\n abcdefghi\r\n \r\n", true},
		{"unlimited", 0, []rec{N(strings.Repeat("x", 3000)), N(".")}, strings.Repeat("x", 3000) + "\r\n..\r\n", false},
		{"unlimited L", 0, []rec{L(".a"), L(""), N(".b")}, "..a.b\r\n", false},
		{"negative is unlimited", -5, []rec{N(strings.Repeat("y", 20))}, strings.Repeat("y", 20) + "\r\n", false},
		{"limit 2", 2, []rec{N("abcd")}, "ab\r\n c\r\n d\r\n", true},
		{"limit 1 behaves as 2", 1, []rec{N("abc")}, "ab\r\n c\r\n", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			cw := NewContentWriter(&buf, tc.limit)
			for _, r := range tc.recs {
				if err := cw.WriteRecord([]byte(r.text), r.cont); err != nil {
					t.Fatal(err)
				}
			}
			if err := cw.EndContent(); err != nil {
				t.Fatal(err)
			}
			if buf.String() != tc.want || cw.Folded() != tc.fold {
				t.Errorf("got %q folded %v, want %q %v", buf.String(), cw.Folded(), tc.want, tc.fold)
			}
		})
	}
}

func TestContentWriterEnd(t *testing.T) {
	for _, tc := range []struct {
		recs []rec
		want string
	}{
		{nil, ".\r\n"},
		{[]rec{{"abc", false}}, "abc\r\n.\r\n"},
		{[]rec{{"abc", true}}, "abc\r\n.\r\n"},                    // missing newline added
		{[]rec{{"abcdefghij", true}}, "abcdefghij\r\n \r\n.\r\n"}, // after an eager fold
		{[]rec{{".", true}}, "..\r\n.\r\n"},
	} {
		var buf bytes.Buffer
		cw := NewContentWriter(&buf, 10)
		for _, r := range tc.recs {
			if err := cw.WriteRecord([]byte(r.text), r.cont); err != nil {
				t.Fatal(err)
			}
		}
		if err := cw.Close(); err != nil {
			t.Fatal(err)
		}
		if buf.String() != tc.want {
			t.Errorf("%v: %q, want %q", tc.recs, buf.String(), tc.want)
		}
	}
}

func TestContentWriterRaw(t *testing.T) {
	for _, tc := range []struct {
		in, want string
	}{
		{"", ".\r\n"},
		{"a\r\nb\nc", "a\r\nb\r\nc\r\n.\r\n"},
		{"x\r\r\n", "x\r\r\n.\r\n"}, // only the CR of the CRLF goes
		{"a\rb\n", "a\rb\r\n.\r\n"},
		{"\n\n", "\r\n\r\n.\r\n"},
		{".\r\n..\r\n", "..\r\n...\r\n.\r\n"},
		{"end CR\r", "end CR\r\r\n.\r\n"},
		{"abcdefghij\n", "abcdefghij\r\n.\r\n"},
		{"abcdefghij", "abcdefghij\r\n \r\n.\r\n"},
	} {
		if got := refContent([]byte(tc.in), 10); string(got) != tc.want {
			t.Errorf("reference %q: %q, want %q", tc.in, got, tc.want)
		}
		// Every split into two writes, and byte by byte.
		for cut := 0; cut <= len(tc.in); cut++ {
			var buf bytes.Buffer
			cw := NewContentWriter(&buf, 10)
			for _, part := range []string{tc.in[:cut], tc.in[cut:]} {
				if n, err := cw.Write([]byte(part)); err != nil || n != len(part) {
					t.Fatal(n, err)
				}
			}
			if err := cw.Close(); err != nil {
				t.Fatal(err)
			}
			if buf.String() != tc.want {
				t.Errorf("%q cut at %d: %q, want %q", tc.in, cut, buf.String(), tc.want)
			}
		}
		var buf bytes.Buffer
		cw := NewContentWriter(&buf, 10)
		for i := range len(tc.in) {
			_, _ = cw.Write([]byte{tc.in[i]})
		}
		_ = cw.Close()
		if buf.String() != tc.want {
			t.Errorf("%q bytewise: %q, want %q", tc.in, buf.String(), tc.want)
		}
	}
}

// TestContentWriterRandom compares random texts, cut into random chunks,
// with the reference. Line lengths cluster around the fold boundaries.
func TestContentWriterRandom(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	for iter := 0; iter < 3000; iter++ {
		m := rng.Intn(14) - 1
		var text []byte
		for range rng.Intn(6) {
			n := rng.Intn(40)
			if m > 1 && rng.Intn(2) == 0 {
				n = m + (m-1)*rng.Intn(3) + rng.Intn(3) - 1
			}
			for range max(n, 0) {
				text = append(text, ".ab\r"[rng.Intn(4)])
			}
			if rng.Intn(8) != 0 {
				text = append(text, [...]string{"\n", "\r\n"}[rng.Intn(2)]...)
			}
		}
		want := refContent(text, m)
		var buf bytes.Buffer
		cw := NewContentWriter(&buf, m)
		for rest := text; len(rest) > 0; {
			k := min(len(rest), rng.Intn(12))
			if _, err := cw.Write(rest[:k]); err != nil {
				t.Fatal(err)
			}
			rest = rest[k:]
		}
		if err := cw.Close(); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(buf.Bytes(), want) {
			t.Fatalf("limit %d text %q:\n got %q\nwant %q", m, text, buf.Bytes(), want)
		}
	}
}

// TestContentWriterMixed: raw text and records continue the same line.
func TestContentWriterMixed(t *testing.T) {
	var buf bytes.Buffer
	cw := NewContentWriter(&buf, 10)
	_, _ = cw.Write([]byte("head\nabc"))
	_ = cw.WriteRecord([]byte("defghijk"), false)
	_, _ = cw.Write([]byte(".x\n"))
	_ = cw.Close()
	if want := "head\r\nabcdefghij\r\n k\r\n..x\r\n.\r\n"; buf.String() != want {
		t.Errorf("%q, want %q", buf.String(), want)
	}
}

type failWriter struct {
	n     int // bytes accepted before failing
	err   error
	calls int
}

func (f *failWriter) Write(p []byte) (int, error) {
	f.calls++
	if len(p) > f.n {
		n := f.n
		f.n = 0
		return n, f.err
	}
	f.n -= len(p)
	return len(p), nil
}

func TestWriterErrors(t *testing.T) {
	fw := &failWriter{n: 5, err: errors.New("broken pipe")}
	cw := NewContentWriter(fw, 998)
	err := cw.WriteRecord([]byte("hello world"), false)
	var ie *IOError
	if !errors.As(err, &ie) || ie.Op != "write" || ie.Timeout {
		t.Fatalf("err %v", err)
	}
	calls := fw.calls
	if err2 := cw.WriteRecord([]byte("more"), false); err2 != err {
		t.Errorf("not sticky: %v", err2)
	}
	if _, err2 := cw.Write([]byte("x\n")); err2 != err {
		t.Errorf("Write not sticky: %v", err2)
	}
	if err2 := cw.Close(); err2 != err {
		t.Errorf("Close not sticky: %v", err2)
	}
	if fw.calls != calls {
		t.Error("wrote after an error")
	}

	err = WriteCommand(&failWriter{err: os.ErrDeadlineExceeded}, "QUIT")
	if !errors.As(err, &ie) || !ie.Timeout || ie.Reason("h[a]", StageQuit) != "conversation with h[a] timed out while sending QUIT" {
		t.Errorf("timeout: %v", err)
	}
}

func TestWriteCommand(t *testing.T) {
	var buf bytes.Buffer
	bw := bufio.NewWriter(&buf)
	for _, c := range []string{"EHLO s3.test", "MAIL FROM:<>", ""} {
		if err := WriteCommand(bw, c); err != nil {
			t.Fatal(err)
		}
	}
	_ = bw.Flush()
	if buf.String() != "EHLO s3.test\r\nMAIL FROM:<>\r\n\r\n" {
		t.Errorf("%q", buf.String())
	}
	for _, bad := range []string{"RCPT TO:<a>\r\nQUIT", "a\nb", "a\rb", "a\x00b"} {
		if err := WriteCommand(&buf, bad); !errors.Is(err, ErrBadCommand) {
			t.Errorf("%q: %v", bad, err)
		}
	}
}
