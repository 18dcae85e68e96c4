package deliver

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"testing"
	"time"
)

const (
	commonErr = "deliver_request_get: error receiving common attributes"
	rcptErr   = "deliver_request_get: error receiving recipient attributes"
)

// A Postfix 3.10+ qmgr sends the same request with the eighth attribute
// renamed; one binary must read both.
func TestReadSendopts(t *testing.T) {
	for _, tt := range wantRequests() {
		t.Run(tt.file, func(t *testing.T) {
			in := replace(t, fixture(t, tt.file), "\x00smtputf8\x00", "\x00sendopts\x00")
			sc, warns := scanner(in)
			got, err := testDecoder().Read(sc)
			if err != nil || len(*warns) != 0 {
				t.Fatalf("Read: %v, warnings %q", err, *warns)
			}
			want := tt.want
			want.SendOptsAttr = AttrSendOpts
			if !reflect.DeepEqual(*got, want) {
				t.Errorf("decoded\n%+v\nwant\n%+v", *got, want)
			}
			got.Stats.AgentHandoff = time.Time{}
			if enc := got.Encode(); !bytes.Equal(enc, in) {
				t.Errorf("re-encoded with the wrong name:\n%q", enc)
			}
		})
	}
}

// qmgr may connect and then close without sending: no warning, no reply.
func TestReadNoRequest(t *testing.T) {
	sc, warns := scanner(nil)
	req, err := testDecoder().Read(sc)
	if req != nil || !errors.Is(err, ErrNoRequest) || errors.Is(err, ErrBadRequest) || !errors.Is(err, io.EOF) {
		t.Fatalf("Read on empty input: %v, %v", req, err)
	}
	if len(*warns) != 0 {
		t.Errorf("warnings %q", *warns)
	}
}

// A request that another agent passed on keeps its hand-off time; one
// from qmgr gets the current time.
func TestReadAgentHandoff(t *testing.T) {
	sc, _ := scanner(fixture(t, "smtp-deliver-request.bin"))
	req, err := Read(sc) // real clock
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Since(req.Stats.AgentHandoff); d < 0 || d > time.Minute {
		t.Errorf("hand-off stamped %v, %v ago", req.Stats.AgentHandoff, d)
	}
	earlier := time.Unix(1795930000, 5000)
	req.Stats.AgentHandoff = earlier
	sc, _ = scanner(req.Encode())
	again, err := testDecoder().Read(sc)
	if err != nil {
		t.Fatal(err)
	}
	if !again.Stats.AgentHandoff.Equal(earlier) {
		t.Errorf("hand-off time %v replaced, want %v kept", again.Stats.AgentHandoff, earlier)
	}
}

// The queue-file hook runs after the message attributes and before any
// recipient is read, as mail_open_ok() does in stock.
func TestReadQueueFileHook(t *testing.T) {
	in := fixture(t, "smtp-deliver-request-2rcpt.bin")
	var calls []string
	d := testDecoder()
	d.QueueFileOK = func(name, id string) error {
		calls = append(calls, name+"/"+id)
		return errors.New("no such file")
	}
	sc, warns := scanner(in)
	req, err := d.Read(sc)
	if req != nil || !errors.Is(err, ErrBadRequest) || !strings.Contains(err.Error(), "no such file") {
		t.Fatalf("Read: %v, %v", req, err)
	}
	if !reflect.DeepEqual(calls, []string{"active/D38D99840D3"}) || len(*warns) != 0 {
		t.Errorf("hook calls %q, warnings %q", calls, *warns)
	}
	rest, _ := io.ReadAll(sc.Reader())
	if !bytes.HasPrefix(rest, []byte("original_recipient\x00bob@example.com\x00")) {
		t.Errorf("recipients were read before the queue file check; left %q", rest)
	}

	d.QueueFileOK = func(string, string) error { return nil }
	sc, _ = scanner(in)
	if _, err := d.Read(sc); err != nil {
		t.Errorf("Read with a passing hook: %v", err)
	}
}

// Malformed requests: each fails with ErrBadRequest and exactly the
// warnings stock logs, in stock's order.
func TestReadMalformed(t *testing.T) {
	one := func(t *testing.T) []byte { return fixture(t, "smtp-deliver-request.bin") }
	two := func(t *testing.T) []byte { return fixture(t, "smtp-deliver-request-2rcpt.bin") }
	cut := func(b []byte, at string) []byte {
		i := bytes.Index(b, []byte(at))
		if i < 0 {
			panic("cut: " + at)
		}
		return b[:i+len(at)]
	}
	tests := []struct {
		name  string
		in    func(t *testing.T) []byte
		max   int
		token int
		warns []string
	}{
		{"truncated in a name", func(t *testing.T) []byte { return cut(one(t), "flags\x003\x00queue_na") }, 0, 0,
			[]string{"unexpected end-of-input from smtp socket while reading input attribute name", commonErr}},
		{"truncated before a value", func(t *testing.T) []byte { return cut(one(t), "queue_name\x00") }, 0, 0,
			[]string{"premature end-of-input on smtp socket while reading input attribute value", commonErr}},
		// The message list is scanned in parts; the seams must not
		// change what is logged.
		{"truncated before smtputf8", func(t *testing.T) []byte { return cut(one(t), "encoding\x00\x00") }, 0, 0,
			[]string{"premature end-of-input on smtp socket while reading input attribute name", commonErr}},
		{"truncated after time", func(t *testing.T) []byte { return cut(one(t), "AAAAAA==\x00") }, 0, 0,
			[]string{"premature end-of-input on smtp socket while reading input attribute name", commonErr}},
		{"truncated before the message terminator", func(t *testing.T) []byte { return cut(one(t), "recipient_count\x001\x00") }, 0, 0,
			[]string{"premature end-of-input on smtp socket while reading input attribute name", commonErr}},
		{"truncated inside a recipient", func(t *testing.T) []byte { return cut(one(t), "offset\x00603\x00") }, 0, 0,
			[]string{"premature end-of-input on smtp socket while reading input attribute name", rcptErr}},
		{"recipient terminator missing", func(t *testing.T) []byte { b := one(t); return b[:len(b)-1] }, 0, 0,
			[]string{"premature end-of-input on smtp socket while reading input attribute name", rcptErr}},
		// Stock checks for EOF before it starts a list and is silent
		// about a recipient list that never comes.
		{"count larger than the lists", func(t *testing.T) []byte {
			return replace(t, two(t), "recipient_count\x002\x00", "recipient_count\x003\x00")
		}, 0, 0,
			[]string{rcptErr}},
		{"wrong order", func(t *testing.T) []byte {
			return replace(t, one(t), "queue_name\x00active\x00queue_id\x00D4C7B984531\x00", "queue_id\x00D4C7B984531\x00queue_name\x00active\x00")
		}, 0, 0, []string{"unexpected attribute queue_id from smtp socket (expecting: queue_name)", commonErr}},
		{"missing in the middle", func(t *testing.T) []byte { return replace(t, one(t), "log_ident\x00D4C7B984531\x00", "") }, 0, 0,
			[]string{"unexpected attribute rewrite_context from smtp socket (expecting: log_ident)", commonErr}},
		{"missing at the end", func(t *testing.T) []byte { return replace(t, one(t), "recipient_count\x001\x00", "") }, 0, 0,
			[]string{"missing attribute recipient_count in input from smtp socket", commonErr}},
		{"missing time", func(t *testing.T) []byte {
			b := one(t)
			i, j := bytes.Index(b, []byte("time\x00")), bytes.Index(b, []byte("log_client_name\x00"))
			return append(append([]byte(nil), b[:i]...), b[j:]...)
		}, 0, 0, []string{
			"unexpected attribute log_client_name from smtp socket (expecting: time)",
			"unexpected attribute unknown from smtp socket (expecting: log_client_name)", commonErr}},
		// The list ends where time belongs: stock's nested scan eats the
		// terminator and the outer scan goes on into the recipient list.
		{"message list ends before time", func(t *testing.T) []byte {
			b := one(t)
			i, j := bytes.Index(b, []byte("time\x00")), bytes.Index(b, []byte("original_recipient\x00"))
			return append(append(append([]byte(nil), b[:i]...), 0), b[j:]...)
		}, 0, 0, []string{
			"missing attribute time in input from smtp socket",
			"unexpected attribute original_recipient from smtp socket (expecting: log_client_name)", commonErr}},
		{"missing recipient attribute", func(t *testing.T) []byte { return replace(t, one(t), "dsn_orig_rcpt\x00rfc822;b@example.com\x00", "") }, 0, 0,
			[]string{"unexpected attribute notify_flags from smtp socket (expecting: dsn_orig_rcpt)", rcptErr}},
		{"unknown name for smtputf8", func(t *testing.T) []byte { return replace(t, one(t), "smtputf8\x00", "sendoptsX\x00") }, 0, 0,
			[]string{"unexpected attribute sendoptsX from smtp socket (expecting: smtputf8)", commonErr}},
		{"bad flags", func(t *testing.T) []byte { return replace(t, one(t), "flags\x003\x00", "flags\x003x\x00") }, 0, 0,
			[]string{"malformed numerical data from smtp socket while reading input attribute value: 3x", commonErr}},
		{"empty offset", func(t *testing.T) []byte { return replace(t, one(t), "offset\x00620\x00", "offset\x00\x00") }, 0, 0,
			[]string{"malformed numerical data from smtp socket while reading input attribute value: ", commonErr}},
		{"INT overflow", func(t *testing.T) []byte {
			return replace(t, one(t), "ret_flags\x000\x00", "ret_flags\x004294967296\x00")
		}, 0, 0,
			[]string{"malformed numerical data from smtp socket while reading input attribute value: 4294967296", commonErr}},
		{"bad notify_flags", func(t *testing.T) []byte {
			return replace(t, one(t), "notify_flags\x000\x00", "notify_flags\x00one\x00")
		}, 0, 0,
			[]string{"malformed numerical data from smtp socket while reading input attribute value: one", rcptErr}},
		{"bad recipient offset", func(t *testing.T) []byte { return replace(t, one(t), "offset\x00603\x00", "offset\x006 03\x00") }, 0, 0,
			[]string{"malformed numerical data from smtp socket while reading input attribute value: 6 03", rcptErr}},
		{"bad base64", func(t *testing.T) []byte { return replace(t, one(t), "time\x00gLkL", "time\x00gL*L") }, 0, 0,
			[]string{"malformed base64 data from smtp socket while reading input attribute value: gL*LawAAAAC63wsAAAAAAIC5C2sAAAAAbYQNAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", commonErr}},
		{"MSG_STATS too short", func(t *testing.T) []byte {
			return replace(t, one(t), "AAAAAA==\x00", "\x00") // 112 characters: 84 bytes
		}, 0, 0, []string{"msg_stats_scan: size mis-match: 84 != 88", commonErr}},
		{"no recipients", func(t *testing.T) []byte {
			return replace(t, one(t), "recipient_count\x001\x00", "recipient_count\x000\x00")
		}, 0, 0,
			[]string{"D4C7B984531: no recipients in delivery request for destination [127.0.0.1]:11026"}},
		// -1 travels as 4294967295 and is not a huge positive count.
		{"negative count", func(t *testing.T) []byte {
			return replace(t, one(t), "recipient_count\x001\x00", "recipient_count\x004294967295\x00")
		}, 0, 0, []string{"D4C7B984531: no recipients in delivery request for destination [127.0.0.1]:11026"}},
		{"huge count", func(t *testing.T) []byte {
			return replace(t, one(t), "recipient_count\x001\x00", "recipient_count\x002147483647\x00")
		}, 0, 0, []string{"deliver_request_get: recipient count 2147483647 exceeds limit 100000"}},
		{"count over a configured cap", two, 1, 0,
			[]string{"deliver_request_get: recipient count 2 exceeds limit 1"}},
		{"bad queue name", func(t *testing.T) []byte {
			return replace(t, one(t), "queue_name\x00active\x00", "queue_name\x00../active\x00")
		}, 0, 0,
			[]string{"bad mail queue name: ../active"}},
		{"queue name too long", func(t *testing.T) []byte {
			return replace(t, one(t), "queue_name\x00active\x00", "queue_name\x00"+strings.Repeat("a", 101)+"\x00")
		}, 0, 0, []string{"bad mail queue name: " + strings.Repeat("a", 101)}},
		{"empty queue name", func(t *testing.T) []byte { return replace(t, one(t), "queue_name\x00active\x00", "queue_name\x00\x00") }, 0, 0,
			[]string{"bad mail queue name: "}},
		// Stock rejects a bad queue ID without a word.
		{"bad queue ID", func(t *testing.T) []byte {
			return replace(t, one(t), "queue_id\x00D4C7B984531\x00", "queue_id\x00../../etc/passwd\x00")
		}, 0, 0, nil},
		{"queue ID too long", func(t *testing.T) []byte {
			return replace(t, one(t), "queue_id\x00D4C7B984531\x00", "queue_id\x00"+strings.Repeat("A", 256)+"\x00")
		}, 0, 0, nil},
		{"empty queue ID", func(t *testing.T) []byte {
			return replace(t, one(t), "queue_id\x00D4C7B984531\x00", "queue_id\x00\x00")
		}, 0, 0, nil},
		{"token over MaxToken", func(t *testing.T) []byte {
			return replace(t, one(t), "nexthop\x00[127.0.0.1]:11026\x00", "nexthop\x00"+strings.Repeat("x", 100)+"\x00")
		}, 0, 64, []string{"string length > 64 characters from smtp socket while reading input attribute value", commonErr}},
		// Stock accepts the message list when an extra attribute takes
		// the terminator's place (the scan converted all 23), and then
		// reads the extra attribute's value as the first recipient
		// attribute name.
		{"extra attribute after recipient_count", func(t *testing.T) []byte {
			return replace(t, one(t), "recipient_count\x001\x00", "recipient_count\x001\x00extra\x00v\x00")
		}, 0, 0, []string{
			"unexpected attribute extra from smtp socket (expecting: (list terminator))",
			"unexpected attribute v from smtp socket (expecting: original_recipient)", rcptErr}},
		{"recipient list runs into the next", func(t *testing.T) []byte {
			return replace(t, two(t), "notify_flags\x0012\x00\x00", "notify_flags\x0012\x00")
		}, 0, 0, []string{
			"unexpected attribute original_recipient from smtp socket (expecting: (list terminator))",
			"unexpected attribute carol@example.net from smtp socket (expecting: original_recipient)", rcptErr}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sc, warns := scanner(tt.in(t))
			sc.MaxToken = tt.token
			d := testDecoder()
			d.MaxRecipients = tt.max
			req, err := d.Read(sc)
			if req != nil || !errors.Is(err, ErrBadRequest) || errors.Is(err, ErrNoRequest) {
				t.Fatalf("Read = %v, %v; want ErrBadRequest", req, err)
			}
			if !reflect.DeepEqual(*warns, tt.warns) && !(len(*warns) == 0 && len(tt.warns) == 0) {
				t.Errorf("warnings\n%q\nwant\n%q", *warns, tt.warns)
			}
			if len(tt.warns) > 0 && !strings.Contains(err.Error(), tt.warns[len(tt.warns)-1]) {
				t.Errorf("error %q does not carry the last warning", err)
			}
		})
	}
}

// Stock quirk kept: an extra attribute where a recipient list's
// terminator belongs is warned about, yet the recipient counts (the scan
// converted all it wanted). Only the last list can get away with it.
func TestReadExtraAfterLastRecipient(t *testing.T) {
	in := fixture(t, "smtp-deliver-request.bin")
	in = append(in[:len(in)-1], "extra\x00v\x00\x00"...)
	sc, warns := scanner(in)
	req, err := testDecoder().Read(sc)
	if err != nil || len(req.Recipients) != 1 {
		t.Fatalf("Read = %+v, %v", req, err)
	}
	want := []string{"unexpected attribute extra from smtp socket (expecting: (list terminator))"}
	if !reflect.DeepEqual(*warns, want) {
		t.Errorf("warnings %q, want %q", *warns, want)
	}
	if !sc.MidList() {
		t.Error("scanner should report the unread remainder")
	}
}

// Every proper prefix of every fixture is a truncated request: never a
// panic, never a request, and ErrNoRequest only for the empty prefix.
func TestReadEveryTruncation(t *testing.T) {
	for _, name := range requestFixtures(t) {
		in := fixture(t, name)
		for n := 1; n < len(in); n++ {
			sc, warns := scanner(in[:n])
			req, err := testDecoder().Read(sc)
			if req != nil || !errors.Is(err, ErrBadRequest) {
				t.Fatalf("%s cut at %d: Read = %v, %v", name, n, req, err)
			}
			last := ""
			if len(*warns) > 0 {
				last = (*warns)[len(*warns)-1]
			}
			if last != commonErr && last != rcptErr {
				t.Fatalf("%s cut at %d: warnings %q", name, n, *warns)
			}
		}
	}
}

// Numbers the way C's %u reads them: the scanner's rules apply unchanged.
func TestReadNumberForms(t *testing.T) {
	in := replace(t, fixture(t, "smtp-deliver-request.bin"), "flags\x003\x00", "flags\x00+3\x00")
	in = replace(t, in, "notify_flags\x000\x00", fmt.Sprintf("notify_flags\x00%d\x00", uint32(NotifyFailure|NotifyDelay)))
	sc, _ := scanner(in)
	req, err := testDecoder().Read(sc)
	if err != nil || req.Flags != FlagDefault || req.Recipients[0].Notify != NotifyFailure|NotifyDelay {
		t.Fatalf("Read = %+v, %v", req, err)
	}
}
