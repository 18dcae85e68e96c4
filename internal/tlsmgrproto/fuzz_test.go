package tlsmgrproto

import (
	"bytes"
	"testing"

	"github.com/postfix-go/postfix-go/master-compat/attr"
)

// A decoder never panics or hangs, fails only with an error, and whatever
// it accepts re-encodes to bytes that decode and re-encode identically.
// Seeds live in testdata/fuzz/<target>, generated from the fixtures.

func fuzzScanner(in []byte) *attr.Scanner {
	sc := attr.NewScanner(bytes.NewReader(in), "fuzz", nil)
	sc.MaxToken = 4096 // explore structure rather than buffer sizes
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
		t.Fatalf("not a fixed point:\n%q\n%q", first, second)
	}
}

func mgrRequestRoundTrip(sc *attr.Scanner) ([]byte, error) {
	r, err := DecodeMgrRequest(sc)
	if err != nil {
		return nil, err
	}
	return r.Append(nil), nil
}

// FuzzDecodeMgrRequest covers the tlsmgr server's request reader.
func FuzzDecodeMgrRequest(f *testing.F) {
	f.Fuzz(func(t *testing.T, in []byte) {
		if out, err := mgrRequestRoundTrip(fuzzScanner(in)); err == nil {
			fixpoint(t, out, mgrRequestRoundTrip)
		}
	})
}

// FuzzDecodeMgrReply covers the tlsmgr client's reply reader. The first
// input byte picks the request the reply answers.
func FuzzDecodeMgrReply(f *testing.F) {
	// The reply shapes; "" is the bare status reply.
	mgrNames := [...]string{MgrSeed, MgrPolicy, MgrLookup, MgrUpdate, MgrDelete, MgrTktKey, ""}
	f.Fuzz(func(t *testing.T, in []byte) {
		if len(in) == 0 {
			return
		}
		name := mgrNames[int(in[0])%len(mgrNames)]
		roundTrip := func(sc *attr.Scanner) ([]byte, error) {
			r, err := DecodeMgrReply(sc, name)
			if err != nil {
				return nil, err
			}
			if name == MgrTktKey && r.Status == MgrStatOK {
				// What a server-role client does next with the key.
				if k, err := ParseTicketKey(r.Data); err == nil {
					if b, _ := k.AppendBinary(nil); !bytes.Equal(b, r.Data) {
						t.Fatalf("ticket key not stable")
					}
				}
			}
			return r.Append(nil, name), nil
		}
		if out, err := roundTrip(fuzzScanner(in[1:])); err == nil {
			fixpoint(t, out, roundTrip)
		}
	})
}
