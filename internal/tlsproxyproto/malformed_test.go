package tlsproxyproto

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/postfix-go/postfix-go/master-compat/attr"
)

// malformedCase is one broken input for one decoder: the error it must
// wrap and the warning (as stock words it) that must reach Scanner.Warn.
type malformedCase struct {
	name   string
	in     []byte
	decode func(sc *attr.Scanner) error
	want   error
	warn   string // substring of the last warning; "" means none expected
}

func decRequest(sc *attr.Scanner) error { _, err := DecodeRequest(sc); return err }
func decSettings(sc *attr.Scanner) error {
	_, err := DecodeClientSettings(sc)
	return err
}
func decContext(sc *attr.Scanner) error { _, err := DecodeContext(sc); return err }

// settings returns list 2 of the captured client request, edited.
func settings(t *testing.T, old, new string) []byte {
	b := fixture(t, "tlsproxy-client-request.bin")
	b = b[81 : len(b)-1] // list 2 starts after list 1's terminator at 80
	if old == "" {
		return b
	}
	if !bytes.Contains(b, []byte(old)) {
		t.Fatalf("fixture lacks %q", old)
	}
	return bytes.Replace(b, []byte(old), []byte(new), 1)
}

func TestMalformed(t *testing.T) {
	ctx := fixture(t, "tlsproxy-context-resumed.bin")
	tests := []malformedCase{
		{"request empty", nil, decRequest, io.EOF, ""},
		{"request missing serverid",
			list("remote_endpoint", "[::1]:25", "flags", "6", "timeout", "300", "timeout", "600"),
			decRequest, ErrShort, "missing attribute serverid in input from test"},
		{"request one timeout",
			list("remote_endpoint", "[::1]:25", "flags", "6", "timeout", "300", "serverid", "smtp"),
			decRequest, ErrShort, "unexpected attribute serverid from test (expecting: timeout)"},
		{"request wrong order",
			list("flags", "6", "remote_endpoint", "[::1]:25", "timeout", "1", "timeout", "1", "serverid", "x"),
			decRequest, ErrShort, "unexpected attribute flags from test (expecting: remote_endpoint)"},
		{"request extra",
			list("remote_endpoint", "e", "flags", "6", "timeout", "1", "timeout", "1", "serverid", "x", "x", "y"),
			decRequest, ErrShort, "unexpected attribute x from test (expecting: (list terminator))"},
		{"request bad flags",
			list("remote_endpoint", "e", "flags", "6x"),
			decRequest, attr.ErrMalformed, "malformed numerical data from test while reading input attribute value: 6x"},
		{"request truncated", []byte("remote_endpoint\x00[::1]:25\x00fla"),
			decRequest, io.ErrUnexpectedEOF, "unexpected end-of-input from test while reading input attribute name"},
		{"settings 3.7.5 shape (no config_file)",
			settings(t, "config_file\x00default\x00config_name\x00\x00", ""),
			decSettings, ErrShort, "unexpected attribute tls_high_cipherlist from test (expecting: config_file)"},
		{"settings argv too long", settings(t, "argv_size\x003\x00", "argv_size\x001025\x00"),
			decSettings, ErrRange, "invalid size 1025 from test while reading ARGV"},
		{"settings argv negative", settings(t, "argv_size\x003\x00", "argv_size\x004294967295\x00"),
			decSettings, ErrRange, "invalid size -1 from test while reading ARGV"},
		{"settings argv short", settings(t, "argv_size\x003\x00", "argv_size\x004\x00"),
			decSettings, ErrShort, "unexpected attribute mdalg from test (expecting: argv_value)"},
		{"settings extra after dane", settings(t, "dane\x000\x00\x00", "dane\x000\x00extra\x001\x00\x00"),
			decSettings, ErrShort, "unexpected attribute extra from test (expecting: (list terminator))"},
		{"settings early terminator", settings(t, "\x00CAfile\x00", "\x00\x00CAfile\x00"),
			decSettings, ErrShort, "missing attribute CAfile in input from test"},
		{"settings truncated after params", settings(t, "", "")[:733], decSettings, io.ErrUnexpectedEOF, ""},
		{"settings bad TLSA data", settings(t, "dane\x000\x00", "dane\x001\x00domain\x00\x00count\x001\x00"+
			"usage\x003\x00selector\x001\x00mtype\x001\x00data\x00abc\x00"),
			decSettings, attr.ErrMalformed, "malformed base64 data from test while reading input attribute value: abc"},
		{"settings TLSA count exceeds records", settings(t, "dane\x000\x00", "dane\x001\x00domain\x00\x00count\x002\x00"+
			"usage\x003\x00selector\x001\x00mtype\x001\x00data\x00AA==\x00"),
			decSettings, ErrShort, "missing attribute usage in input from test"},
		{"context missing namaddr", bytes.Replace(ctx, []byte("namaddr\x00127.0.4.2[127.0.4.2]:14025\x00"), nil, 1),
			decContext, ErrShort, "missing attribute namaddr in input from test"},
		{"context bad level", bytes.Replace(ctx, []byte("level\x008"), []byte("level\x00-x"), 1),
			decContext, attr.ErrMalformed, "malformed numerical data"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sc, warns := newScanner(tt.in)
			err := tt.decode(sc)
			if !errors.Is(err, tt.want) {
				t.Fatalf("error %v, want %v", err, tt.want)
			}
			if tt.want != io.EOF && errors.Is(err, io.EOF) {
				t.Errorf("error %v passes for a clean end of input", err)
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

// TestOversized checks the token cap: a value over MaxToken is refused
// without reading it all.
func TestOversized(t *testing.T) {
	in := list("remote_endpoint", strings.Repeat("x", 5000), "flags", "6")
	sc, warns := newScanner(in)
	sc.MaxToken = 4096
	_, err := DecodeRequest(sc)
	if !errors.Is(err, attr.ErrTooLong) || len(*warns) != 1 ||
		!strings.Contains((*warns)[0], "string length > 4096 characters from test") {
		t.Errorf("err %v, warnings %q", err, *warns)
	}
}

func TestAnnounceMismatch(t *testing.T) {
	sc, warns := newScanner(list("protocol", "tlsmgr_protocol"))
	err := DecodeAnnounce(sc, TLSProxyProtocol)
	if !errors.Is(err, ErrMismatch) || len(*warns) != 1 ||
		(*warns)[0] != "unexpected protocol tlsmgr_protocol from test (expected: tlsproxy_protocol)" {
		t.Errorf("%v %q", err, *warns)
	}
	sc, _ = newScanner([]byte{0})
	if err := DecodeAnnounce(sc, TLSProxyProtocol); !errors.Is(err, ErrShort) {
		t.Errorf("empty announcement: %v", err)
	}
}

func TestRoleAndDirection(t *testing.T) {
	tests := []struct {
		flags int
		role  Role
		dir   string
	}{
		{FlagRoleClient | FlagSendContext, RoleClient, "to"},
		{FlagRoleServer, RoleServer, "from"},
		{FlagRoleServer | FlagRoleClient, RoleBogus, "from"},
		{FlagSendContext, RoleBogus, "(bogus_direction)"},
	}
	for _, tt := range tests {
		r := Request{Flags: tt.flags}
		if r.Role() != tt.role || r.Direction() != tt.dir {
			t.Errorf("flags %#x: %v %q", tt.flags, r.Role(), r.Direction())
		}
	}
}
