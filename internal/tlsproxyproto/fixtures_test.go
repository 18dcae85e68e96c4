package tlsproxyproto

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"github.com/postfix-go/postfix-go/master-compat/attr"
)

// decodeAll decodes every list of a captured stream and returns the lists
// re-encoded; check inspects the decoded values.
type decodeAll func(t *testing.T, sc *attr.Scanner) []byte

func clientRequest(t *testing.T, sc *attr.Scanner) (Request, ClientSettings, []byte) {
	t.Helper()
	r, err := DecodeRequest(sc)
	if err != nil {
		t.Fatal(err)
	}
	if r.Role() != RoleClient {
		t.Fatalf("role %v", r.Role())
	}
	s, err := DecodeClientSettings(sc)
	if err != nil {
		t.Fatal(err)
	}
	return r, s, s.Append(r.Append(nil))
}

func ctxCheck(check func(t *testing.T, c Context)) decodeAll {
	return func(t *testing.T, sc *attr.Scanner) []byte {
		c, err := DecodeContext(sc)
		if err != nil {
			t.Fatal(err)
		}
		check(t, c)
		return c.Append(nil)
	}
}

func status(want int) decodeAll {
	return func(t *testing.T, sc *attr.Scanner) []byte {
		s, err := DecodeStatus(sc)
		if err != nil || s != want {
			t.Fatalf("status %d, %v", s, err)
		}
		return AppendStatus(nil, s)
	}
}

// TestFixtureRoundTrip decodes every captured stream and checks that
// re-encoding reproduces the captured bytes exactly, up to the trailer
// (the one byte that carried a descriptor, which is not attr0).
func TestFixtureRoundTrip(t *testing.T) {
	tests := []struct {
		file    string
		trailer []byte
		decode  decodeAll
	}{
		{"tlsproxy-announce.bin", nil, func(t *testing.T, sc *attr.Scanner) []byte {
			if err := DecodeAnnounce(sc, TLSProxyProtocol); err != nil {
				t.Fatal(err)
			}
			return AppendAnnounce(nil, TLSProxyProtocol)
		}},
		{"tlsproxy-client-request.bin", []byte{0}, func(t *testing.T, sc *attr.Scanner) []byte {
			r, s, out := clientRequest(t, sc)
			if r != ClientRequest("[127.0.4.2]:14025", 300, 600, "smtp") {
				t.Errorf("list 1: %+v", r)
			}
			if r.Flags != FlagRoleClient|FlagSendContext {
				t.Errorf("flags %#x", r.Flags)
			}
			if s.Params.ConfigFile != "default" || s.Params.DaemonRandomBytes != 32 || s.Params.WildcardMultiLabels != 1 ||
				s.Init.CAFile != "tls/ca.pem" || s.Init.VerifyDepth != 9 || s.Init.MDAlg != "sha256" {
				t.Errorf("params/init: %+v %+v", s.Params, s.Init)
			}
			st := s.Start
			if st.TLSLevel != LevelSecure || st.Helo != "mx.sink.test" || st.DANE != nil ||
				len(st.MatchArgv) != 3 || st.MatchArgv[2] != ".sink.test" ||
				st.ServerID != "smtp&[127.0.4.2]:14025&127.0.4.2&127.0.4.2&" {
				t.Errorf("start: %+v", st)
			}
			return out
		}},
		{"tlsproxy-client-request-fingerprint.bin", nil, func(t *testing.T, sc *attr.Scanner) []byte {
			_, s, out := clientRequest(t, sc)
			d := s.Start.DANE
			if s.Start.TLSLevel != LevelFingerprint || s.Start.MatchArgv != nil || d == nil ||
				d.BaseDomain != "" || len(d.TLSA) != 4 {
				t.Fatalf("start: %+v", s.Start)
			}
			if r := d.TLSA[1]; r.Usage != 3 || r.Selector != 0 || r.MType != 255 || len(r.Data) != 32 {
				t.Errorf("TLSA[1] %+v", r)
			}
			return out
		}},
		{"tlsproxy-server-request.bin", []byte{0}, func(t *testing.T, sc *attr.Scanner) []byte {
			r, err := DecodeRequest(sc)
			if err != nil {
				t.Fatal(err)
			}
			if r.Role() != RoleServer || r.Direction() != "from" || r.ServerID != "smtpd" ||
				r.HandshakeTimeout != 300 || r.SessionTimeout != 300 {
				t.Errorf("decoded %+v", r)
			}
			return r.Append(nil)
		}},
		{"tlsproxy-server-reply.bin", nil, status(1)},
		{"tlsproxy-client-reply-handshake-failure.bin", nil, func(t *testing.T, sc *attr.Scanner) []byte {
			out := status(1)(t, sc)
			// tlsproxy hung up instead of sending a context.
			if _, err := DecodeContext(sc); !errors.Is(err, io.EOF) {
				t.Errorf("context after failed handshake: %v, want io.EOF", err)
			}
			return out
		}},
		{"tlsproxy-client-reply.bin", nil, func(t *testing.T, sc *attr.Scanner) []byte {
			out := status(1)(t, sc)
			return append(out, ctxCheck(func(t *testing.T, c Context) {
				if c.Level != LevelSecure || c.PeerStatus != PeerPresent|PeerTrusted|PeerMatched|PeerSecured ||
					c.Protocol != "TLSv1.3" || c.SrvrSigDigest != "SHA256" || c.SrvrSigBits != 2048 ||
					c.Namaddr != "127.0.4.2[127.0.4.2]:14025" || c.PeerCN != "mx.sink.test" {
					t.Errorf("context %+v", c)
				}
			})(t, sc)...)
		}},
		{"tlsproxy-context-fingerprint.bin", nil, ctxCheck(func(t *testing.T, c Context) {
			if c.Level != LevelFingerprint || c.PeerStatus != 29 {
				t.Errorf("context %+v", c)
			}
		})},
		{"tlsproxy-context-resumed.bin", nil, ctxCheck(func(t *testing.T, c Context) {
			if c.SrvrSigDigest != "" || c.SrvrSigName != "RSA-PSS" || c.Level != LevelSecure {
				t.Errorf("context %+v", c)
			}
		})},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			in := fixture(t, tt.file)
			sc, warns := newScanner(in)
			out := tt.decode(t, sc)
			lists := in[:len(in)-len(tt.trailer)]
			if !bytes.Equal(out, lists) {
				t.Errorf("re-encoded differs:\n got %q\nwant %q", out, lists)
			}
			if left := rest(t, sc); !bytes.Equal(left, tt.trailer) {
				t.Errorf("left unread %q, want %q", left, tt.trailer)
			}
			if len(*warns) != 0 {
				t.Errorf("warnings: %q", *warns)
			}
		})
	}
}

// TestClientRequest builds list 1 of both captured client-role requests
// with ClientRequest: the bytes are stock smtp's, up to list 2.
func TestClientRequest(t *testing.T) {
	for _, file := range []string{"tlsproxy-client-request.bin", "tlsproxy-client-request-fingerprint.bin"} {
		in := fixture(t, file)
		got := ClientRequest("[127.0.4.2]:14025", 300, 600, "smtp")
		if b := got.Append(nil); !bytes.HasPrefix(in, b) {
			t.Errorf("%s: list 1 %q is not a prefix of the capture", file, b)
		}
	}
}
