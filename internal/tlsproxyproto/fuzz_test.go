package tlsproxyproto

import (
	"bytes"
	"errors"
	"testing"

	"github.com/postfix-go/postfix-go/master-compat/attr"
)

// The fuzz targets share one property: a decoder never panics or hangs,
// fails only with an error, and whatever it accepts re-encodes to bytes
// that decode again and re-encode identically (the encoding is a fixed
// point after one round; the first round may normalise, e.g. "+6" to "6").
// Seeds live in testdata/fuzz/<target>, generated from the fixtures.

// fuzzScanner caps tokens low so that the fuzzer explores structure rather
// than buffer sizes.
func fuzzScanner(in []byte) *attr.Scanner {
	sc := attr.NewScanner(bytes.NewReader(in), "fuzz", nil)
	sc.MaxToken = 4096
	return sc
}

// fixpoint checks the round-trip property for one decoder/encoder pair.
func fixpoint(t *testing.T, first []byte, decodeEncode func(sc *attr.Scanner) ([]byte, error)) {
	t.Helper()
	second, err := decodeEncode(fuzzScanner(first))
	if err != nil {
		t.Fatalf("re-encoded input %q does not decode: %v", first, err)
	}
	if !bytes.Equal(first, second) {
		t.Fatalf("encoding not stable:\n%q\n%q", first, second)
	}
}

func requestRoundTrip(sc *attr.Scanner) ([]byte, error) {
	r, err := DecodeRequest(sc)
	if err != nil {
		return nil, err
	}
	out := r.Append(nil)
	if r.Role() == RoleClient {
		s, err := DecodeClientSettings(sc)
		if err != nil {
			return nil, err
		}
		out = s.Append(out)
	}
	return out, nil
}

// FuzzDecodeRequest covers list 1 and, for the client role, list 2.
func FuzzDecodeRequest(f *testing.F) {
	f.Fuzz(func(t *testing.T, in []byte) {
		if out, err := requestRoundTrip(fuzzScanner(in)); err == nil {
			fixpoint(t, out, requestRoundTrip)
		}
	})
}

func settingsRoundTrip(sc *attr.Scanner) ([]byte, error) {
	s, err := DecodeClientSettings(sc)
	if err != nil {
		return nil, err
	}
	return s.Append(nil), nil
}

// FuzzDecodeClientSettings covers list 2 alone, so that the fuzzer need
// not rediscover list 1 first.
func FuzzDecodeClientSettings(f *testing.F) {
	f.Fuzz(func(t *testing.T, in []byte) {
		if out, err := settingsRoundTrip(fuzzScanner(in)); err == nil {
			fixpoint(t, out, settingsRoundTrip)
		}
	})
}

func serverRoundTrip(sc *attr.Scanner) ([]byte, error) {
	i, err := DecodeServerInitProps(sc, false)
	if err != nil {
		return nil, err
	}
	s, err := DecodeServerStartProps(sc, true)
	if err != nil {
		return nil, err
	}
	if err := scanEnd(sc); err != nil {
		return nil, err
	}
	return attr.AppendEnd(s.AppendAttrs(i.AppendAttrs(nil))), nil
}

// FuzzDecodeServerProps covers the server-role structures in one list.
func FuzzDecodeServerProps(f *testing.F) {
	f.Fuzz(func(t *testing.T, in []byte) {
		if out, err := serverRoundTrip(fuzzScanner(in)); err == nil {
			fixpoint(t, out, serverRoundTrip)
		}
	})
}

func replyRoundTrip(sc *attr.Scanner) ([]byte, error) {
	s, err := DecodeStatus(sc)
	if err != nil {
		return nil, err
	}
	out := AppendStatus(nil, s)
	c, err := DecodeContext(sc)
	if err != nil {
		return nil, err
	}
	return c.Append(out), nil
}

// FuzzDecodeReply covers what a tlsproxy client reads: the status list,
// then the context.
func FuzzDecodeReply(f *testing.F) {
	f.Fuzz(func(t *testing.T, in []byte) {
		if out, err := replyRoundTrip(fuzzScanner(in)); err == nil {
			fixpoint(t, out, replyRoundTrip)
		}
	})
}

// FuzzContextFromPlain covers the plain form smtp keeps in scache.
func FuzzContextFromPlain(f *testing.F) {
	f.Fuzz(func(t *testing.T, in string) {
		attrs, _, err := attr.ParsePlain(in)
		if err != nil {
			return
		}
		c, err := ContextFromPlain(attrs)
		if err != nil {
			if !errors.Is(err, attr.ErrMalformed) {
				t.Fatalf("error kind: %v", err)
			}
			return
		}
		first := string(c.AppendPlain(nil))
		attrs, rest, err := attr.ParsePlain(first)
		if err != nil || rest != "" {
			t.Fatalf("re-parse: %v, %q left", err, rest)
		}
		c2, err := ContextFromPlain(attrs)
		if err != nil || string(c2.AppendPlain(nil)) != first {
			t.Fatalf("not stable: %v", err)
		}
	})
}
