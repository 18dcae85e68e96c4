package attr

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
)

type warnings []string

func (w *warnings) add(s string) { *w = append(*w, s) }

func newTestScanner(in string) (*Scanner, *warnings) {
	w := new(warnings)
	return NewScanner(strings.NewReader(in), "test socket", w.add), w
}

func TestScanDeliveryRequestFixture(t *testing.T) {
	s := NewScanner(bytes.NewReader(fixture(t, "smtp-deliver-request.bin")), "qmgr", nil)
	var (
		flags, smtputf8, retFlags, rcptCount int
		offset, size                         int64
		queueName, queueID, nexthop, sender  string
		enc, envid, time                     string
	)
	n, err := s.Scan(Strict|More,
		Int("flags", &flags), Str("queue_name", &queueName), Str("queue_id", &queueID),
		Long("offset", &offset), Long("size", &size), Str("nexthop", &nexthop),
		Str("encoding", &enc), Int("smtputf8", &smtputf8), Str("sender", &sender),
		Str("envelope_id", &envid), Int("ret_flags", &retFlags), Str("time", &time))
	if err != nil || n != 12 {
		t.Fatalf("header: n=%d err=%v", n, err)
	}
	// Skip the log_* and sasl_* attributes without naming them: a
	// non-strict scan passes over what it is not asked for.
	if n, err = s.Scan(0, Int("recipient_count", &rcptCount)); err != nil || n != 1 {
		t.Fatalf("recipient_count: n=%d err=%v", n, err)
	}
	if flags != 3 || queueID != "D4C7B984531" || offset != 620 || size != 340 ||
		nexthop != "[127.0.0.1]:11026" || sender != "a@x.test" || rcptCount != 1 {
		t.Errorf("decoded %d %q %d %d %q %q %d", flags, queueID, offset, size, nexthop, sender, rcptCount)
	}
	var orig, rcpt, orcpt string
	var roff int64
	var notify int
	n, err = s.Scan(Strict, Str("original_recipient", &orig), Str("recipient", &rcpt),
		Long("offset", &roff), Str("dsn_orig_rcpt", &orcpt), Int("notify_flags", &notify))
	if err != nil || n != 5 || rcpt != "b@example.com" || roff != 603 || orcpt != "rfc822;b@example.com" {
		t.Fatalf("recipient: n=%d err=%v %q %d %q", n, err, rcpt, roff, orcpt)
	}
	if n, err = s.Scan(Strict); n != 0 || !errors.Is(err, io.EOF) {
		t.Errorf("after last list: n=%d err=%v, want clean EOF", n, err)
	}
}

func TestScanCases(t *testing.T) {
	tests := []struct {
		name   string
		in     string
		flags  Flags
		wantN  int
		wantOK bool // err == nil
		warn   string
		rest   int // bytes left unread
	}{
		{"exact", "label\x00x\x00\x00", Strict, 1, true, "", 0},
		{"missing", "\x00", Strict, 0, true, "missing attribute label in input from test socket", 0},
		{"missing quiet", "\x00", 0, 0, true, "", 0},
		{"extra after", "label\x00x\x00extra\x001\x00\x00", Strict, 1, true,
			"unexpected attribute extra from test socket (expecting: (list terminator))", 3},
		{"extra skipped", "label\x00x\x00extra\x001\x00\x00", 0, 1, true, "", 0},
		{"wrong order", "other\x00x\x00label\x00y\x00\x00", Strict, 0, true,
			"unexpected attribute other from test socket (expecting: label)", 11},
		{"skip unwanted", "other\x00x\x00label\x00y\x00\x00", 0, 1, true, "", 0},
		{"eof in name", "lab", Strict, -1, false, "unexpected end-of-input from test socket while reading input attribute name", 0},
		{"eof before value", "label\x00", Strict, -1, false, "premature end-of-input on test socket while reading input attribute value", 0},
		{"eof before terminator", "label\x00x\x00", Strict, -1, false, "premature end-of-input on test socket while reading input attribute name", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, w := newTestScanner(tt.in)
			var label string
			n, err := s.Scan(tt.flags, Str("label", &label))
			if n != tt.wantN || (err == nil) != tt.wantOK {
				t.Fatalf("n=%d err=%v, want n=%d ok=%v", n, err, tt.wantN, tt.wantOK)
			}
			last := ""
			if len(*w) > 0 {
				last = (*w)[len(*w)-1]
			}
			if last != tt.warn {
				t.Errorf("warning %q, want %q", last, tt.warn)
			}
			if rest, _ := io.ReadAll(s.Reader()); len(rest) != tt.rest {
				t.Errorf("left %q unread, want %d bytes", rest, tt.rest)
			}
		})
	}
}

// The stock scache rescans a wrongly ordered request token by token until
// it meets "request"; the token scanner must allow the same resync.
func TestScanResyncLikeStock(t *testing.T) {
	s, w := newTestScanner(string(fixture(t, "scache-wrong-order.request.bin")))
	var req string
	var got []int
	for {
		n, err := s.Scan(Strict|More, Str("request", &req))
		if err != nil {
			t.Fatalf("scan: %v", err)
		}
		got = append(got, n)
		if n == 1 {
			break
		}
	}
	if req != "find_endp" || len(got) != 3 || len(*w) != 2 {
		t.Fatalf("req=%q scans=%v warnings=%q", req, got, *w)
	}
	var label string
	if n, err := s.Scan(Strict, Str("label", &label)); n != 0 || err != nil {
		t.Errorf("label scan n=%d err=%v, want a miss", n, err)
	}
}

func TestScanNumbers(t *testing.T) {
	tests := []struct {
		in   string
		want int
		ok   bool
	}{
		{"0", 0, true}, {"2", 2, true}, {"4294967295", -1, true}, {"-5", -5, true},
		{" 7", 7, true}, {"+3", 3, true}, {"7x", 0, false}, {"", 0, false}, {"x", 0, false},
		{"4294967296", 0, false}, {"-", 0, false},
	}
	for _, tt := range tests {
		s, _ := newTestScanner("ttl\x00" + tt.in + "\x00\x00")
		var v int
		n, err := s.Scan(Strict, Int("ttl", &v))
		if ok := err == nil && n == 1; ok != tt.ok || (ok && v != tt.want) {
			t.Errorf("Int(%q) = %d (n=%d, err=%v), want %d ok=%v", tt.in, v, n, err, tt.want, tt.ok)
		}
	}
	s, _ := newTestScanner("size\x0018446744073709551615\x00\x00")
	var l int64
	if n, err := s.Scan(Strict, Long("size", &l)); n != 1 || err != nil || l != -1 {
		t.Errorf("Long max = %d %d %v", l, n, err)
	}
}

func TestScanExpectAndData(t *testing.T) {
	s, w := newTestScanner("protocol\x00wrong\x00\x00")
	if n, err := s.Scan(Strict, Expect("protocol", "connection_cache_protocol")); n != -1 || err == nil {
		t.Errorf("mismatch: n=%d err=%v", n, err)
	}
	if want := "unexpected protocol wrong from test socket (expected: connection_cache_protocol)"; len(*w) != 1 || (*w)[0] != want {
		t.Errorf("warnings %q", *w)
	}
	s, _ = newTestScanner("protocol\x00connection_cache_protocol\x00\x00")
	if n, err := s.Scan(Strict, Expect("protocol", "connection_cache_protocol")); n != 0 || err != nil {
		t.Errorf("match: n=%d err=%v (Expect does not count)", n, err)
	}
	var d []byte
	s, _ = newTestScanner("d\x00AAEC\x00\x00")
	if n, err := s.Scan(Strict, Data("d", &d)); n != 1 || err != nil || !bytes.Equal(d, []byte{0, 1, 2}) {
		t.Errorf("data: %v %d %v", d, n, err)
	}
	for _, bad := range []string{"AAE", "A!==", "****"} {
		s, _ = newTestScanner("d\x00" + bad + "\x00\x00")
		if n, err := s.Scan(Strict, Data("d", &d)); n != -1 || err == nil {
			t.Errorf("data %q accepted", bad)
		}
	}
}

func TestScanHash(t *testing.T) {
	var h []Attr
	s, _ := newTestScanner("{\x00a\x001\x00b\x002\x00}\x00\x00")
	if n, err := s.Scan(Strict, Hash(&h)); n != 2 || err != nil || len(h) != 2 || h[1].Value != "2" {
		t.Fatalf("group: n=%d err=%v %v", n, err, h)
	}
	h = nil
	s, w := newTestScanner("a\x001\x00a\x002\x00\x00")
	if n, _ := s.Scan(Strict, Hash(&h)); n != 1 || len(*w) != 1 {
		t.Errorf("duplicate: n=%d warnings=%q", n, *w)
	}
}

func TestScanTokenLimit(t *testing.T) {
	s, w := newTestScanner("label\x00" + strings.Repeat("x", 100) + "\x00\x00")
	s.MaxToken = 50
	var label string
	if n, err := s.Scan(Strict, Str("label", &label)); n != -1 || err == nil || len(*w) != 1 {
		t.Errorf("n=%d err=%v warnings=%q", n, err, *w)
	}
	// A token longer than bufio's buffer but inside the limit still works.
	long := strings.Repeat("y", 10000)
	s, _ = newTestScanner("label\x00" + long + "\x00\x00")
	if n, err := s.Scan(Strict, Str("label", &label)); n != 1 || err != nil || label != long {
		t.Errorf("long token: n=%d err=%v len=%d", n, err, len(label))
	}
}

func TestMidList(t *testing.T) {
	tests := []struct {
		in    string
		flags Flags
		want  bool
	}{
		{"label\x00x\x00\x00", Strict, false},
		{"label\x00x\x00\x00", Strict | More, true},
		{"label\x00x\x00extra\x001\x00\x00", Strict, true},
		{"\x00", Strict, false},
		{"ttl\x00abc\x00\x00", Strict, true},
	}
	for _, tt := range tests {
		s, _ := newTestScanner(tt.in)
		var label string
		var ttl int
		want := Str("label", &label)
		if strings.HasPrefix(tt.in, "ttl") {
			want = Int("ttl", &ttl)
		}
		s.Scan(tt.flags, want)
		if s.MidList() != tt.want {
			t.Errorf("%q: MidList %v, want %v", tt.in, s.MidList(), tt.want)
		}
	}
}
