package smtpwire

import (
	"bufio"
	"errors"
	"io"
	"os"
	"strings"
	"testing"
)

func read1(t *testing.T, in string, o *ReadOptions) (Reply, error) {
	t.Helper()
	return ReadReply(bufio.NewReader(strings.NewReader(in)), o)
}

func TestReadReplyTable(t *testing.T) {
	x := strings.Repeat
	for _, tc := range []struct {
		name   string
		in     string
		limit  int
		utf8   bool // false: default (UTF-8 kept); true: DisableUTF8
		code   int
		status string
		text   string
		perr   bool
		trunc  bool
		drop   int
		nlines int
	}{
		{name: "simple", in: "250 ok\r\n", code: 250, status: "2.0.0", text: "250 ok", nlines: 1},
		{name: "bare LF", in: "250-a\n250 b\n", code: 250, status: "2.0.0", text: "250-a\n250 b", nlines: 2},
		{name: "code only", in: "250\r\n", code: 250, status: "2.0.0", text: "250", nlines: 1},
		{name: "trailing CRs all go", in: "250 ok\r\r\r\n", code: 250, status: "2.0.0", text: "250 ok", nlines: 1},
		{name: "inner CR", in: "250 a\rb\r\n", code: 250, status: "2.0.0", text: "250 a?b", nlines: 1},
		{name: "NUL cuts the line", in: "250 o\x00k 5.1.1\r\n", code: 250, status: "2.0.0", text: "250 o", nlines: 1},
		{name: "NUL first: empty garbage, no separator", in: "\x00250 x\r\n250 ok\r\n", code: 250, status: "2.0.0", text: "250 ok", perr: true, nlines: 2},
		{name: "empty line is garbage", in: "\r\n250 ok\r\n", code: 250, status: "2.0.0", text: "250 ok", perr: true, nlines: 2},
		{name: "four digits", in: "2500 ok\r\n250 ok\r\n", code: 250, status: "2.0.0", text: "2500 ok\n250 ok", perr: true, nlines: 2},
		{name: "two digits", in: "25 ok\r\n250 ok\r\n", code: 250, status: "2.0.0", text: "25 ok\n250 ok", perr: true, nlines: 2},
		{name: "two digits end", in: "25\r\n221 bye\r\n", code: 221, status: "2.0.0", text: "25\n221 bye", perr: true, nlines: 2},
		{name: "non-digits", in: "hello\r\n220 x\r\n", code: 220, status: "2.0.0", text: "hello\n220 x", perr: true, nlines: 2},
		{name: "digit then junk", in: "250x\r\n250 ok\r\n", code: 250, status: "2.0.0", text: "250x\n250 ok", perr: true, nlines: 2},
		{name: "tab after code", in: "250\tok\r\n250 ok\r\n", code: 250, status: "2.0.0", text: "250?ok\n250 ok", perr: true, nlines: 2},
		{name: "empty continuation", in: "250-\r\n250 x\r\n", code: 250, status: "2.0.0", text: "250-\n250 x", nlines: 2},
		{name: "mixed codes: last wins", in: "250-first\r\n550 5.1.1 last\r\n", code: 550, status: "5.1.1", text: "250-first\n550 5.1.1 last", nlines: 2},
		{name: "status from last line only", in: "250-2.1.0 a\r\n250 b\r\n", code: 250, status: "2.0.0", text: "250-2.1.0 a\n250 b", nlines: 2},
		{name: "last line code only", in: "550-5.1.1 x\r\n550\r\n", code: 550, status: "5.0.0", text: "550-5.1.1 x\n550", nlines: 2},
		{name: "status class mismatch 2/5", in: "250 5.1.1 x\r\n", code: 250, status: "2.0.0", text: "250 5.1.1 x", nlines: 1},
		{name: "status class mismatch 5/2", in: "550 2.0.0 x\r\n", code: 550, status: "5.0.0", text: "550 2.0.0 x", nlines: 1},
		{name: "4xx status", in: "450 4.7.1 x\r\n", code: 450, status: "4.7.1", text: "450 4.7.1 x", nlines: 1},
		{name: "spaces before status", in: "550    5.7.1 x\r\n", code: 550, status: "5.7.1", text: "550    5.7.1 x", nlines: 1},
		{name: "dash separator status", in: "550-5.7.1 x\r\n550 5.7.2 y\r\n", code: 550, status: "5.7.2", text: "550-5.7.1 x\n550 5.7.2 y", nlines: 2},
		{name: "status at end", in: "550 5.1.1\r\n", code: 550, status: "5.1.1", text: "550 5.1.1", nlines: 1},
		{name: "status three-digit parts", in: "550 5.123.456 x\r\n", code: 550, status: "5.123.456", text: "550 5.123.456 x", nlines: 1},
		{name: "status too short", in: "550 5.1 x\r\n", code: 550, status: "5.0.0", text: "550 5.1 x", nlines: 1},
		{name: "status 4-digit detail", in: "550 5.1.1234 x\r\n", code: 550, status: "5.0.0", text: "550 5.1.1234 x", nlines: 1},
		{name: "status 4-digit subject", in: "550 5.1234.1 x\r\n", code: 550, status: "5.0.0", text: "550 5.1234.1 x", nlines: 1},
		{name: "status glued", in: "550 5.1.1x\r\n", code: 550, status: "5.0.0", text: "550 5.1.1x", nlines: 1},
		{name: "status trailing dot", in: "550 5.1.1.\r\n", code: 550, status: "5.0.0", text: "550 5.1.1.", nlines: 1},
		{name: "status no char after code", in: "5505.1.1 x\r\n550 ok\r\n", code: 550, status: "5.0.0", text: "5505.1.1 x\n550 ok", perr: true, nlines: 2},
		{name: "3xx", in: "354 go ahead\r\n", code: 354, status: "5.5.0", text: "354 go ahead", nlines: 1},
		{name: "1xx", in: "150 2.0.0 x\r\n", code: 150, status: "5.5.0", text: "150 2.0.0 x", nlines: 1},
		{name: "000", in: "000 x\r\n", code: 0, status: "5.5.0", text: "000 x", nlines: 1},
		{name: "999", in: "999 9.9.9\r\n", code: 999, status: "5.5.0", text: "999 9.9.9", nlines: 1},
		{name: "utf8 kept", in: "250 caf\xc3\xa9\r\n", code: 250, status: "2.0.0", text: "250 caf\xc3\xa9", nlines: 1},
		{name: "utf8 disabled", in: "250 caf\xc3\xa9\r\n", utf8: true, code: 250, status: "2.0.0", text: "250 caf??", nlines: 1},
		{name: "lead without continuation", in: "250 \xc3(\r\n", code: 250, status: "2.0.0", text: "250 ?(", nlines: 1},
		{name: "0xff", in: "250 \xff\xbf\r\n", code: 250, status: "2.0.0", text: "250 ??", nlines: 1},
		{name: "overlong lead c0", in: "250 \xc0\x80\r\n", code: 250, status: "2.0.0", text: "250 ??", nlines: 1},
		{name: "lead keeps all continuations", in: "250 \xe2\x80\x80\x80\x80\x80!\r\n", code: 250, status: "2.0.0", text: "250 \xe2\x80\x80\x80\x80\x80!", nlines: 1},
		{name: "controls and DEL", in: "250 a\x01b\x7fc\x1b\r\n", code: 250, status: "2.0.0", text: "250 a?b?c?", nlines: 1},

		// Line limit 16 (bytes, including the LF).
		{name: "15+LF fits", in: "250 " + x("a", 11) + "\n", limit: 16, code: 250, status: "2.0.0", text: "250 " + x("a", 11), nlines: 1},
		{name: "16+LF is cut", in: "250 " + x("a", 12) + "\n", limit: 16, code: 250, status: "2.0.0", text: "250 " + x("a", 12), trunc: true, nlines: 1},
		{name: "15+CRLF fits (CR repair)", in: "250 " + x("a", 11) + "\r\n", limit: 16, code: 250, status: "2.0.0", text: "250 " + x("a", 11), nlines: 1},
		{name: "16+CRLF is cut", in: "250 " + x("a", 12) + "\r\n", limit: 16, code: 250, status: "2.0.0", text: "250 " + x("a", 12), trunc: true, nlines: 1},
		{name: "14+CRCRLF fits", in: "250 " + x("a", 10) + "\r\r\n", limit: 16, code: 250, status: "2.0.0", text: "250 " + x("a", 10), nlines: 1},
		{name: "cut keeps CR as ?", in: "250 " + x("a", 11) + "\rb\r\n", limit: 16, code: 250, status: "2.0.0", text: "250 " + x("a", 11) + "?", trunc: true, nlines: 1},
		// A cut line fills the stored text, so the next line is dropped.
		{name: "long line then more", in: "250-" + x("a", 100) + "\r\n250 ok\r\n", limit: 16, code: 250, status: "2.0.0", text: "250-" + x("a", 12), trunc: true, drop: 1, nlines: 1},
		{name: "long last line keeps code", in: "550 5.7.1 " + x("z", 100) + "\r\n", limit: 16, code: 550, status: "5.7.1", text: "550 5.7.1 zzzzzz", trunc: true, nlines: 1},
		{name: "cut status", in: "550 5.7.100000000000\r\n", limit: 16, code: 550, status: "5.0.0", text: "550 5.7.10000000", trunc: true, nlines: 1},

		// Stored text: lines are kept while the text is shorter than the
		// limit, so it overshoots by at most one line.
		{name: "multi-line cap", in: x("250-aaaaaaaaaa\r\n", 5) + "250 end\r\n", limit: 16, code: 250, status: "2.0.0",
			text: "250-aaaaaaaaaa\n250-aaaaaaaaaa", drop: 4, nlines: 2},
		{name: "multi-line cap garbage", in: x("xxxxxxxxxxxxxx\r\n", 3) + "550 5.1.1 end\r\n", limit: 16, code: 550, status: "5.1.1",
			text: "xxxxxxxxxxxxxx\nxxxxxxxxxxxxxx", perr: true, drop: 2, nlines: 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := read1(t, tc.in, &ReadOptions{LineLimit: tc.limit, DisableUTF8: tc.utf8})
			if err != nil {
				t.Fatal(err)
			}
			if r.Code != tc.code || r.Status != tc.status || r.Text != tc.text {
				t.Errorf("got %d %q %q, want %d %q %q", r.Code, r.Status, r.Text, tc.code, tc.status, tc.text)
			}
			if r.ProtocolError != tc.perr || r.Truncated != tc.trunc || r.Dropped != tc.drop || len(r.Lines) != tc.nlines {
				t.Errorf("perr %v trunc %v dropped %d lines %d, want %v %v %d %d",
					r.ProtocolError, r.Truncated, r.Dropped, len(r.Lines), tc.perr, tc.trunc, tc.drop, tc.nlines)
			}
			if r.Class() != tc.code/100 {
				t.Errorf("class %d", r.Class())
			}
		})
	}
}

func TestReadReplySequence(t *testing.T) {
	br := bufio.NewReader(strings.NewReader("250 a\r\n251-b\r\n251 c\r\n"))
	for _, want := range []string{"250 a", "251-b\n251 c"} {
		r, err := ReadReply(br, nil)
		if err != nil || r.Text != want {
			t.Fatalf("got %q %v, want %q", r.Text, err, want)
		}
	}
	if _, err := ReadReply(br, nil); !errors.Is(err, io.EOF) {
		t.Fatalf("want EOF, got %v", err)
	}
}

// endless repeats a pattern forever, counting the bytes handed out.
type endless struct {
	pat []byte
	off int
	n   int64
}

func (e *endless) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = e.pat[e.off]
		e.off = (e.off + 1) % len(e.pat)
	}
	e.n += int64(len(p))
	return len(p), nil
}

// TestHostileEndless: replies that never end must fail with
// ErrReplyTooLong within the limits, not grow memory or hang.
func TestHostileEndless(t *testing.T) {
	for _, tc := range []struct {
		name string
		pat  string
		o    ReadOptions
	}{
		{"endless line", "a", ReadOptions{}},
		{"endless line with CRs", "250 \r", ReadOptions{}},
		{"endless continuation", "250-x\r\n", ReadOptions{}},
		{"endless garbage", "junk\r\n", ReadOptions{}},
		{"endless long continuation", "250-" + strings.Repeat("y", 5000) + "\r\n", ReadOptions{}},
		{"endless empty lines", "\n", ReadOptions{}},
		{"small limits", "250-x\r\n", ReadOptions{MaxBytes: 100, MaxLines: 5}},
		{"small byte limit long line", "a", ReadOptions{MaxBytes: 100}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := &endless{pat: []byte(tc.pat)}
			events := 0
			tc.o.Event = func(Event) { events++ }
			_, err := ReadReply(bufio.NewReader(src), &tc.o)
			var ie *IOError
			if !errors.Is(err, ErrReplyTooLong) || !errors.As(err, &ie) || ie.Timeout {
				t.Fatalf("err = %v", err)
			}
			max := tc.o.MaxBytes
			if max <= 0 {
				max = DefaultMaxReplyBytes
			}
			// bufio reads ahead at most one buffer beyond what was used.
			if src.n > max+4096+int64(len(tc.pat)) {
				t.Errorf("read %d bytes, limit %d", src.n, max)
			}
			if events > DefaultMaxReplyLines+1 {
				t.Errorf("%d events", events)
			}
		})
	}
}

func TestReadReplyByteBudgetExact(t *testing.T) {
	if _, err := read1(t, "250 ok\r\n", &ReadOptions{MaxBytes: 8}); err != nil {
		t.Errorf("8 bytes within 8: %v", err)
	}
	if _, err := read1(t, "250 ok\r\n", &ReadOptions{MaxBytes: 7}); !errors.Is(err, ErrReplyTooLong) {
		t.Errorf("8 bytes within 7: %v", err)
	}
	long := "250 " + strings.Repeat("a", 100) + "\r\n" // skipped tail counts too
	if _, err := read1(t, long, &ReadOptions{LineLimit: 16, MaxBytes: int64(len(long))}); err != nil {
		t.Errorf("exact budget with skip: %v", err)
	}
	if _, err := read1(t, long, &ReadOptions{LineLimit: 16, MaxBytes: int64(len(long) - 1)}); !errors.Is(err, ErrReplyTooLong) {
		t.Errorf("budget-1 with skip: %v", err)
	}
	if _, err := read1(t, "250-a\r\n250-b\r\n250 c\r\n", &ReadOptions{MaxLines: 3}); err != nil {
		t.Errorf("3 lines within 3: %v", err)
	}
	if _, err := read1(t, "250-a\r\n250-b\r\n250 c\r\n", &ReadOptions{MaxLines: 2}); !errors.Is(err, ErrReplyTooLong) {
		t.Errorf("3 lines within 2: %v", err)
	}
}

// TestReadReplyEOF: end of file is a lost connection wherever it
// happens, even after a complete-looking partial line (smtp_get).
func TestReadReplyEOF(t *testing.T) {
	for _, in := range []string{
		"",
		"250 ok",
		"250-a\r\n",
		"250-a\r\n250 b\r",
		"250 " + strings.Repeat("a", 11) + "\r", // EOF where the CR repair looks ahead
		"250 " + strings.Repeat("a", 40),        // EOF while skipping a long line
		"250 " + strings.Repeat("a", 40) + "\r",
	} {
		r, err := read1(t, in, &ReadOptions{LineLimit: 16})
		var ie *IOError
		if !errors.As(err, &ie) || ie.Timeout || ie.Op != "read" || !errors.Is(err, io.EOF) {
			t.Errorf("%q: got %+v, %v", in, r, err)
			continue
		}
		if got := ie.Reason("mx.example[192.0.2.1]", StageGreeting); got !=
			"lost connection with mx.example[192.0.2.1] while receiving the initial server greeting" {
			t.Errorf("reason %q", got)
		}
	}
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

type netTimeout struct{}

func (netTimeout) Error() string   { return "i/o timeout" }
func (netTimeout) Timeout() bool   { return true }
func (netTimeout) Temporary() bool { return true }

func TestReadReplyTimeout(t *testing.T) {
	for _, e := range []error{os.ErrDeadlineExceeded, netTimeout{}} {
		_, err := ReadReply(bufio.NewReader(io.MultiReader(strings.NewReader("250-a\r\n"), errReader{e})), nil)
		var ie *IOError
		if !errors.As(err, &ie) || !ie.Timeout || !errors.Is(err, e) {
			t.Fatalf("%v: got %v", e, err)
		}
		if got := ie.Reason("mx.example[192.0.2.1]", StageDot); got !=
			"conversation with mx.example[192.0.2.1] timed out while sending end of data -- message may be sent more than once" {
			t.Errorf("reason %q", got)
		}
	}
	_, err := ReadReply(bufio.NewReader(errReader{errors.New("connection reset by peer")}), nil)
	var ie *IOError
	if !errors.As(err, &ie) || ie.Timeout {
		t.Fatalf("reset: %v", err)
	}
}

func TestReadReplyFilter(t *testing.T) {
	var events []Event
	o := &ReadOptions{
		Filter: func(line string) (string, bool, error) {
			switch line {
			case "250 a":
				// Replacements are not sanitised: the TAB stays and
				// ends the status as white space.
				return "550 5.7.1\tno", true, nil
			case "250 fail":
				return "", false, errors.New("pcre: broken")
			}
			return "", false, nil
		},
		Event: func(e Event) { events = append(events, e) },
	}
	r, err := read1(t, "250-x\r\n250 a\r\n", o)
	if err != nil {
		t.Fatal(err)
	}
	if r.Code != 550 || r.Status != "5.7.1" || r.Text != "250-x\n550 5.7.1\tno" ||
		len(r.Received) != 2 || r.Received[1] != "250 a" || r.Lines[1] != "550 5.7.1\tno" {
		t.Errorf("got %+v", r)
	}
	if len(events) != 1 || events[0].Kind != EventReplaced || events[0].Line != "250 a" || events[0].Replacement != "550 5.7.1\tno" {
		t.Fatalf("events %+v", events)
	}
	if got := events[0].LogText("QID", "h[192.0.2.1]:25", false); got != `h[192.0.2.1]:25: replacing server reply "250 a" with "550 5.7.1	no"` {
		t.Errorf("log %q", got)
	}

	_, err = read1(t, "250 fail\r\n", o)
	var fe *FilterError
	if !errors.As(err, &fe) || fe.Line != "250 fail" {
		t.Fatalf("filter error: %v", err)
	}

	// The filter sees the sanitised line and can turn garbage into a
	// reply line.
	o.Filter = func(line string) (string, bool, error) {
		if line == "hello?" {
			return "220 hi", true, nil
		}
		return "", false, nil
	}
	r, err = read1(t, "hello\x01\r\n", o)
	if err != nil || r.Code != 220 || r.ProtocolError || r.Text != "220 hi" {
		t.Errorf("got %+v %v", r, err)
	}
}

// TestReadReplyEvents checks what is reported, in which order, and the
// stock log texts.
func TestReadReplyEvents(t *testing.T) {
	var events []Event
	o := &ReadOptions{LineLimit: 16, Event: func(e Event) { events = append(events, e) }}
	in := "250-" + strings.Repeat("a", 40) + "\r\n" + // long line
		"junk\r\n" + // garbage, still stored (text 16 < 16 is false: dropped)
		"250 end\r\n"
	r, err := read1(t, in, o)
	if err != nil {
		t.Fatal(err)
	}
	if r.Text != "250-"+strings.Repeat("a", 12) || r.Dropped != 2 || !r.Truncated || !r.ProtocolError {
		t.Errorf("reply %+v", r)
	}
	want := []struct {
		kind EventKind
		log  string
	}{
		{EventLongLine, "h[192.0.2.1]:25: response longer than 16: 250-aaaaaaaaaaaa..."},
		{EventLongReply, "h[192.0.2.1]:25: multi-line response longer than 16 250-aaaaaaaaaaaa..."},
		{EventNonProtocol, "QID: non-ESMTP response from h[192.0.2.1]:25: junk"},
	}
	if len(events) != len(want) {
		t.Fatalf("events %+v", events)
	}
	for i, w := range want {
		if events[i].Kind != w.kind || events[i].Limit != 16 {
			t.Errorf("event %d: %+v", i, events[i])
		}
		if got := events[i].LogText("QID", "h[192.0.2.1]:25", false); got != w.log {
			t.Errorf("event %d: %q, want %q", i, got, w.log)
		}
	}
	if got := events[2].LogText("QID", "h", true); got != "QID: non-LMTP response from h: junk" {
		t.Errorf("lmtp: %q", got)
	}

	// %.30s and %.100s cut at bytes.
	e := Event{Kind: EventLongLine, Line: strings.Repeat("é", 20), Limit: 2048}
	if got := e.LogText("", "h", false); got != "h: response longer than 2048: "+strings.Repeat("é", 15)+"..." {
		t.Errorf("cut: %q", got)
	}
	e = Event{Kind: EventNonProtocol, Line: strings.Repeat("x", 150)}
	if got := e.LogText("Q", "h", false); got != "Q: non-ESMTP response from h: "+strings.Repeat("x", 100) {
		t.Errorf("cut 100: %q", got)
	}
}

func TestReplyHelpers(t *testing.T) {
	r := Reply{Code: 550, Status: "5.3.0", Text: "550-a\n550 b"}
	if r.Logged() != "550-a 550 b" || r.String() != r.Logged() {
		t.Errorf("logged %q", r.Logged())
	}
	if got := r.Said("h[192.0.2.1]", "RCPT TO command"); got != "host h[192.0.2.1] said: 550-a 550 b (in reply to RCPT TO command)" {
		t.Errorf("said %q", got)
	}
	if s := r.WithStatusClass('4').Status; s != "4.3.0" || r.Status != "5.3.0" {
		t.Errorf("status class %q (orig %q)", s, r.Status)
	}
}
