package statusclient

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/postfix-go/postfix-go/master-compat/attr"
)

// appendFixture is one captured bounce/defer/trace request and, for
// trace, the relay its reason was prefixed with (from the transcript's
// log line).
type appendFixture struct {
	file, service, relay string
}

var appendFixtures = []appendFixture{
	{"bounce-append.request.bin", "bounce", ""},
	{"bounce-append-utf8.request.bin", "bounce", ""},
	{"defer-append.request.bin", "defer", ""},
	{"defer-append-noreply.request.bin", "defer", ""},
	{"trace-append.request.bin", "trace", "127.0.3.2[127.0.3.2]:13026"},
	{"trace-append-relayed.request.bin", "trace", "s3.test[private/lmtpsink]"},
}

// appendInputs is what a caller passed to produce a captured request.
type appendInputs struct {
	nrequest, flags int
	queueID         string
	rcpt            Recipient
	dsn             DSN
}

// decodeAppend scans a captured request strictly, in the stock order,
// and requires that nothing follows it.
func decodeAppend(t *testing.T, raw []byte) appendInputs {
	t.Helper()
	var in appendInputs
	r, d := &in.rcpt, &in.dsn
	sc := attr.NewScanner(bytes.NewReader(raw), "fixture", func(s string) { t.Error(s) })
	n, err := sc.Scan(attr.Strict,
		attr.Int("nrequest", &in.nrequest), attr.Int("flags", &in.flags), attr.Str("queue_id", &in.queueID),
		attr.Str("original_recipient", &r.Original), attr.Str("recipient", &r.Address),
		attr.Long("offset", &r.Offset), attr.Str("dsn_orig_rcpt", &r.DSNOrig), attr.Int("notify_flags", &r.NotifyFlags),
		attr.Str("status", &d.Status), attr.Str("diag_type", &d.DiagType), attr.Str("diag_text", &d.DiagText),
		attr.Str("mta_type", &d.MTAType), attr.Str("mta_mname", &d.MTAName), attr.Str("action", &d.Action),
		attr.Str("reason", &d.Reason))
	if err != nil || n != 15 || sc.MidList() {
		t.Fatalf("decode: %d conversions, %v", n, err)
	}
	if _, err := sc.Scan(attr.Strict); !errors.Is(err, io.EOF) {
		t.Fatalf("bytes after the request: %v", err)
	}
	return in
}

// TestEncodeAppendFixtures decodes each captured request into the
// caller's inputs and re-encodes them: the bytes must be identical.
func TestEncodeAppendFixtures(t *testing.T) {
	for _, f := range appendFixtures {
		t.Run(f.file, func(t *testing.T) {
			raw := fixture(t, f.file)
			in := decodeAppend(t, raw)
			if in.nrequest != cmdAppend {
				t.Fatalf("nrequest %d", in.nrequest)
			}
			dsn := in.dsn
			if f.relay != "" {
				prefix := "delivery via " + f.relay + ": "
				if !strings.HasPrefix(dsn.Reason, prefix) {
					t.Fatalf("trace reason %q lacks %q", dsn.Reason, prefix)
				}
				dsn.Reason = traceReason(f.relay, strings.TrimPrefix(dsn.Reason, prefix))
			}
			got := appendRequest(in.flags, in.queueID, in.rcpt, dsn).Bytes()
			if !bytes.Equal(got, raw) {
				t.Errorf("encoding differs:\n got %q\nwant %q", got, raw)
			}
		})
	}
}

func TestEncodeVerifyUpdateFixture(t *testing.T) {
	raw := fixture(t, "verify-update.request.bin")
	var addr, reason string
	var status int
	sc := attr.NewScanner(bytes.NewReader(raw), "fixture", func(s string) { t.Error(s) })
	n, err := sc.Scan(attr.Strict, attr.Expect("request", "update"), attr.Str("address", &addr),
		attr.Int("recipient_status", &status), attr.Str("reason", &reason))
	if err != nil || n != 3 {
		t.Fatalf("decode: %d %v", n, err)
	}
	if got := verifyUpdateRequest(addr, status, reason).Bytes(); !bytes.Equal(got, raw) {
		t.Errorf("encoding differs:\n got %q\nwant %q", got, raw)
	}
}

func TestEncodeFlushAddFixture(t *testing.T) {
	raw := fixture(t, "flush-add.request.bin")
	var site, id string
	sc := attr.NewScanner(bytes.NewReader(raw), "fixture", func(s string) { t.Error(s) })
	n, err := sc.Scan(attr.Strict, attr.Expect("request", "add"), attr.Str("site", &site), attr.Str("queue_id", &id))
	if err != nil || n != 2 {
		t.Fatalf("decode: %d %v", n, err)
	}
	if got := flushAddRequest(site, id).Bytes(); !bytes.Equal(got, raw) {
		t.Errorf("encoding differs:\n got %q\nwant %q", got, raw)
	}
}

// TestEncodeNegativeFlags: a C int travels as its unsigned image, and a
// LONG offset as unsigned 64-bit, as %u / %lu print them.
func TestEncodeNegativeFlags(t *testing.T) {
	got := string(appendRequest(-1, "ID", Recipient{Offset: -1, NotifyFlags: -1}, DSN{}).Bytes())
	for _, want := range []string{"flags\x004294967295\x00", "offset\x0018446744073709551615\x00", "notify_flags\x004294967295\x00"} {
		if !strings.Contains(got, want) {
			t.Errorf("%q lacks %q", got, want)
		}
	}
}

func TestTraceReason(t *testing.T) {
	if got := traceReason(NoRelay, "text"); got != "text" {
		t.Errorf("relay none: %q", got)
	}
	if got := traceReason("h[1.2.3.4]:25", "250 Ok"); got != "delivery via h[1.2.3.4]:25: 250 Ok" {
		t.Errorf("relay: %q", got)
	}
}

func TestValidStatus(t *testing.T) {
	for s, want := range map[string]bool{
		"2.0.0": true, "5.1.1": true, "4.4.1": true, "2.123.456": true, "2.0.0 extra": true, "2.0.0\t": true,
		"": false, "2": false, "2.": false, "3.0.0": false, "2.0": false, "2.0.": false, "2..0": false,
		"2.1234.0": false, "2.0.1234": false, "2.0.0x": false, "2-0-0": false, "x.0.0": false,
	} {
		if got := ValidStatus(s); got != want {
			t.Errorf("ValidStatus(%q) = %v", s, got)
		}
	}
}

func TestFlushSite(t *testing.T) {
	for addr, want := range map[string]string{
		"bob@example.com": "example.com", "a@b@c.test": "c.test", "bob@": "", "bob": "", "": "",
	} {
		site, ok := FlushSite(addr)
		if site != want || ok != (want != "") {
			t.Errorf("FlushSite(%q) = %q, %v", addr, site, ok)
		}
	}
}
