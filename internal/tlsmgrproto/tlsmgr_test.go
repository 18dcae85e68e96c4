package tlsmgrproto

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/postfix-go/postfix-go/master-compat/attr"
)

// warnings collects what the decoders pass to Scanner.Warn.
type warnings []string

func (w *warnings) add(s string) { *w = append(*w, s) }

// newScanner scans in, naming the peer "test" in warnings.
func newScanner(in []byte) (*attr.Scanner, *warnings) {
	w := new(warnings)
	return attr.NewScanner(bytes.NewReader(in), "test", w.add), w
}

func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// list builds one attr0 list from name, value pairs.
func list(pairs ...string) []byte {
	var b []byte
	for i := 0; i+1 < len(pairs); i += 2 {
		b = attr.AppendStr(b, pairs[i], pairs[i+1])
	}
	return attr.AppendEnd(b)
}

// decodeAll decodes one captured list and returns it re-encoded.
type decodeAll func(t *testing.T, sc *attr.Scanner) []byte

func mgrRequest(want MgrRequest) decodeAll {
	return func(t *testing.T, sc *attr.Scanner) []byte {
		r, err := DecodeMgrRequest(sc)
		if err != nil {
			t.Fatal(err)
		}
		if r.Name != want.Name || r.CacheType != want.CacheType || r.Size != want.Size {
			t.Errorf("decoded %+v", r)
		}
		return r.Append(nil)
	}
}

func mgrReply(request string, status, dataLen int) decodeAll {
	return func(t *testing.T, sc *attr.Scanner) []byte {
		r, err := DecodeMgrReply(sc, request)
		if err != nil {
			t.Fatal(err)
		}
		if r.Status != status || len(r.Data) != dataLen {
			t.Errorf("status %d, %d data bytes", r.Status, len(r.Data))
		}
		return r.Append(nil, request)
	}
}

// TestFixtureRoundTrip decodes every captured tlsmgr list and checks that
// re-encoding reproduces the captured bytes exactly, with nothing left.
func TestFixtureRoundTrip(t *testing.T) {
	tests := []struct {
		file   string
		decode decodeAll
	}{
		{"tlsmgr-announce.bin", func(t *testing.T, sc *attr.Scanner) []byte {
			if err := DecodeAnnounce(sc, Protocol); err != nil {
				t.Fatal(err)
			}
			return AppendAnnounce(nil, Protocol)
		}},
		{"tlsmgr-seed.request.bin", mgrRequest(MgrRequest{Name: MgrSeed, Size: 32})},
		{"tlsmgr-policy.request.bin", mgrRequest(MgrRequest{Name: MgrPolicy, CacheType: "smtp"})},
		{"tlsmgr-policy-smtpd.request.bin", mgrRequest(MgrRequest{Name: MgrPolicy, CacheType: "smtpd"})},
		{"tlsmgr-lookup.request.bin", mgrRequest(MgrRequest{Name: MgrLookup, CacheType: "smtp"})},
		{"tlsmgr-update.request.bin", mgrRequest(MgrRequest{Name: MgrUpdate, CacheType: "smtp"})},
		{"tlsmgr-delete.request.bin", mgrRequest(MgrRequest{Name: MgrDelete, CacheType: "smtp"})},
		{"tlsmgr-tktkey.request.bin", mgrRequest(MgrRequest{Name: MgrTktKey})},
		{"tlsmgr-tktkey-named.request.bin", mgrRequest(MgrRequest{Name: MgrTktKey})},
		{"tlsmgr-seed.reply.bin", mgrReply(MgrSeed, MgrStatOK, 32)},
		{"tlsmgr-policy.reply.bin", mgrReply(MgrPolicy, MgrStatOK, 0)},
		{"tlsmgr-policy-smtpd.reply.bin", mgrReply(MgrPolicy, MgrStatOK, 0)},
		{"tlsmgr-lookup-miss.reply.bin", mgrReply(MgrLookup, MgrStatErr, 0)},
		{"tlsmgr-lookup-hit.reply.bin", mgrReply(MgrLookup, MgrStatOK, 1237)},
		{"tlsmgr-update.reply.bin", mgrReply(MgrUpdate, MgrStatOK, 0)},
		{"tlsmgr-delete.reply.bin", mgrReply(MgrDelete, MgrStatErr, 0)},
		{"tlsmgr-tktkey.reply.bin", mgrReply(MgrTktKey, MgrStatOK, TicketKeySize)},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			in := fixture(t, tt.file)
			sc, warns := newScanner(in)
			if out := tt.decode(t, sc); !bytes.Equal(out, in) {
				t.Errorf("re-encoded differs:\n got %q\nwant %q", out, in)
			}
			if left, _ := io.ReadAll(sc.Reader()); len(left) != 0 {
				t.Errorf("left unread %q", left)
			}
			if len(*warns) != 0 {
				t.Errorf("warnings: %q", *warns)
			}
		})
	}
}

func decMgrRequest(sc *attr.Scanner) error {
	_, err := DecodeMgrRequest(sc)
	return err
}
func decMgrReply(request string) func(sc *attr.Scanner) error {
	return func(sc *attr.Scanner) error { _, err := DecodeMgrReply(sc, request); return err }
}

func TestMalformed(t *testing.T) {
	tests := []struct {
		name   string
		in     []byte
		decode func(sc *attr.Scanner) error
		want   error
		warn   string // substring of the last warning; "" means none expected
	}{
		{"mgr no request name", list("cache_type", "smtp"), decMgrRequest, ErrShort,
			"unexpected attribute cache_type from test (expecting: request)"},
		{"mgr unknown request", list("request", "bogus"), decMgrRequest, ErrUnknownRequest, ""},
		{"mgr lookup missing id", list("request", "lookup", "cache_type", "smtp"), decMgrRequest, ErrShort,
			"missing attribute cache_id in input from test"},
		{"mgr seed bad size", list("request", "seed", "size", "99999999999"), decMgrRequest, attr.ErrMalformed,
			"malformed numerical data"},
		{"mgr reply missing data", list("status", "0"), decMgrReply(MgrSeed), ErrShort,
			"missing attribute seed in input from test"},
		{"mgr policy reply missing timeout", list("status", "0", "cachable", "1"), decMgrReply(MgrPolicy), ErrShort,
			"missing attribute timeout in input from test"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sc, warns := newScanner(tt.in)
			err := tt.decode(sc)
			if !errors.Is(err, tt.want) || !errors.Is(err, attr.ErrMalformed) || errors.Is(err, io.EOF) {
				t.Fatalf("error %v, want %v", err, tt.want)
			}
			last := ""
			if n := len(*warns); n > 0 {
				last = (*warns)[n-1]
			}
			if tt.warn == "" && last != "" || !strings.Contains(last, tt.warn) {
				t.Errorf("last warning %q, want %q", last, tt.warn)
			}
		})
	}
}

func TestAnnounceMismatch(t *testing.T) {
	sc, warns := newScanner(fixture(t, "tlsmgr-announce.bin"))
	err := DecodeAnnounce(sc, "tlsproxy_protocol")
	if !errors.Is(err, ErrMismatch) || len(*warns) != 1 ||
		(*warns)[0] != "unexpected protocol tlsmgr_protocol from test (expected: tlsproxy_protocol)" {
		t.Errorf("%v %q", err, *warns)
	}
}

// TestMgrReplyExtra: the stock tlsmgr client scans replies without
// ATTR_FLAG_EXTRA, so unknown attributes are skipped, not refused.
func TestMgrReplyExtra(t *testing.T) {
	sc, warns := newScanner(list("status", "0", "new", "x", "cachable", "1", "timeout", "3600", "more", "y"))
	r, err := DecodeMgrReply(sc, MgrPolicy)
	if err != nil || r.Cachable != 1 || r.Timeout != 3600 || len(*warns) != 0 {
		t.Errorf("%+v %v %q", r, err, *warns)
	}
}

// TestMgrRequestKeepsName: the server needs the name of a malformed known
// request to answer with that request's reply shape.
func TestMgrRequestKeepsName(t *testing.T) {
	sc, _ := newScanner(list("request", "update", "cache_type", "smtp", "cache_id", "x"))
	r, err := DecodeMgrRequest(sc)
	if err == nil || r.Name != MgrUpdate {
		t.Errorf("%+v %v", r, err)
	}
	if got := (&MgrReply{Status: MgrStatFail}).Append(nil, ""); string(got) != "status\x004294967294\x00\x00" {
		t.Errorf("bare FAIL reply %q", got)
	}
}

// TestTicketKeyFixture decodes the captured keybuf: 88 bytes whose name is
// the keyname of the captured named tktkey request.
func TestTicketKeyFixture(t *testing.T) {
	sc, _ := newScanner(fixture(t, "tlsmgr-tktkey.reply.bin"))
	r, err := DecodeMgrReply(sc, MgrTktKey)
	if err != nil {
		t.Fatal(err)
	}
	k, err := ParseTicketKey(r.Data)
	if err != nil {
		t.Fatal(err)
	}
	sc, _ = newScanner(fixture(t, "tlsmgr-tktkey-named.request.bin"))
	req, err := DecodeMgrRequest(sc)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(k.Name[:], req.KeyName) {
		t.Errorf("key name %x, request asked for %x", k.Name, req.KeyName)
	}
	// The capture was taken in 2026 with a key lifetime of 1799 s.
	if tout := time.Unix(k.Timeout, 0); tout.Year() < 2025 || tout.Year() > 2030 {
		t.Errorf("tout %v (%d)", tout, k.Timeout)
	}
	back, _ := k.AppendBinary(nil)
	if !bytes.Equal(back, r.Data) {
		t.Errorf("re-encoded key differs")
	}
	if _, err := ParseTicketKey(r.Data[:87]); !errors.Is(err, ErrRange) {
		t.Errorf("short key: %v", err)
	}
}
