package tlspolicy

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

const where = `smtp_tls_policy_maps, next-hop destination "[127.0.4.2]:14025"`

func TestParseEntry(t *testing.T) {
	fp32 := strings.Repeat("AB", 32)
	for _, tc := range []struct {
		name  string
		in    string
		want  Entry
		warns []string
		err   string // the stock warning for the fatal problem
	}{
		{"level only", "encrypt", Entry{Level: LevelEncrypt}, nil, ""},
		{"level case", "DANE-Only", Entry{Level: LevelDANEOnly}, nil, ""},
		{"empty", " , ", Entry{}, nil, "invalid empty policy"},
		{"bad level", "must", Entry{}, nil, `invalid security level "must"`},
		{"halfdane is input-invalid", "halfdane", Entry{}, nil, `invalid security level "halfdane"`},
		{"none ignores attrs", "none foo=bar,match=x", Entry{Level: LevelNone}, []string{
			where + `: ignoring attribute "foo=bar" with TLS disabled`,
			where + `: ignoring attribute "match=x" with TLS disabled`}, ""},
		{"captured bad name", "encrypt foo=bar", Entry{}, nil, `invalid attribute name: "foo"`},
		{"missing =", "encrypt ciphers", Entry{}, nil, `malformed attribute/value pair "ciphers": missing '=' after attribute name`},
		{"missing name", "encrypt =x", Entry{}, nil, `malformed attribute/value pair "=x": missing attribute name`},
		{"all attributes", "secure match=.example.com:example.com ciphers=high protocols=!SSLv2 exclude=3DES,connection_reuse=yes servername=mx.example.com",
			Entry{Level: LevelSecure, Match: []string{".example.com", "example.com"}, MatchSet: true, Ciphers: "high", CiphersSet: true,
				Protocols: "!SSLv2", ProtoSet: true, Exclude: "3DES", ExcludeSet: true, ConnReuse: true, ConnReuseSet: true,
				ServerName: "mx.example.com"}, nil, ""},
		{"attr names fold case, values kept", "verify MATCH=Hostname Connection_Reuse=NO",
			Entry{Level: LevelVerify, Match: []string{"Hostname"}, MatchSet: true, ConnReuseSet: true}, nil, ""},
		{"match accumulates", "verify match=a::b match=c", Entry{Level: LevelVerify, Match: []string{"a", "b", "c"}, MatchSet: true}, nil, ""},
		{"match of colons only", "verify match=:", Entry{Level: LevelVerify, MatchSet: true}, nil, ""},
		{"value with =", "verify match=a=b", Entry{Level: LevelVerify, Match: []string{"a=b"}, MatchSet: true}, nil, ""},
		{"empty protocols allowed", "may protocols=", Entry{Level: LevelMay, ProtoSet: true}, nil, ""},
		{"empty ciphers", "may ciphers=", Entry{}, nil, `attribute "ciphers" has empty value`},
		{"dup ciphers", "may ciphers=high ciphers=low", Entry{}, nil, `attribute "ciphers" is specified multiple times`},
		{"dup protocols", "may protocols=a protocols=b", Entry{}, nil, `attribute "protocols" is specified multiple times`},
		{"dup exclude", "may exclude=a exclude=b", Entry{}, nil, `attribute "exclude" is specified multiple times`},
		{"dup servername", "may servername=a.example servername=b.example", Entry{}, nil, `attribute "servername" is specified multiple times`},
		{"bad servername", "may ServerName=-bad", Entry{}, nil, `"ServerName=-bad" specifies an invalid hostname`},
		{"empty servername", "may servername=", Entry{}, nil, `"servername=" specifies an invalid hostname`},
		{"keyword servername", "may servername=hostname", Entry{Level: LevelMay, ServerName: "hostname"}, nil, ""},
		{"match empty first", "encrypt match=", Entry{}, nil, `attribute "match" has empty value`},
		{"match wrong level", "encrypt match=x", Entry{}, nil, `attribute "match" invalid at security level "encrypt"`},
		{"match at dane", "dane match=x", Entry{}, nil, `attribute "match" invalid at security level "dane"`},
		{"fingerprints", "fingerprint match=" + fp32 + "|zz|" + fp32[:4],
			Entry{Level: LevelFingerprint, Fingerprints: [][]byte{mustHex(fp32), {0xAB, 0xAB}}},
			[]string{"malformed fingerprint value: zz"}, ""},
		{"tafile level checked first", "encrypt tafile=", Entry{}, nil, `attribute "tafile" invalid at security level "encrypt"`},
		{"tafile empty", "verify tafile=", Entry{}, nil, `attribute "tafile" has empty value`},
		{"tafile names", "verify tafile=/a tafile=/b", Entry{Level: LevelVerify, TAFiles: []string{"/a", "/b"}}, nil, ""},
		{"reuse bad", "may connection_reuse=maybe", Entry{}, nil, `attribute "connection_reuse" has bad value: "maybe"`},
		{"reuse last wins", "may connection_reuse=yes connection_reuse=no", Entry{Level: LevelMay, ConnReuseSet: true}, nil, ""},
		{"error stops parsing", "may bogus=1 match=x", Entry{}, nil, `invalid attribute name: "bogus"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := EntryParser{Where: where}
			got, warns, err := p.Parse(tc.in)
			if tc.err != "" {
				var pe *PolicyError
				if !errors.As(err, &pe) || pe.Msg != where+": "+tc.err || !errors.Is(err, ErrInvalidPolicy) {
					t.Fatalf("err = %v, want warning %q", err, tc.err)
				}
				if got.Level != LevelInvalid {
					t.Errorf("level %v on error", got.Level)
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected error %v", err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("entry = %+v\nwant    %+v", got, tc.want)
			}
			if !reflect.DeepEqual(warns, tc.warns) {
				t.Errorf("warnings = %q, want %q", warns, tc.warns)
			}
		})
	}
}

// The "foo=bar" entry of the policy-levels capture.
func TestParseEntryCapturedWarning(t *testing.T) {
	p := EntryParser{Where: where}
	_, _, err := p.Parse("encrypt foo=bar")
	requireVector(t, "tls-log-client-policy-levels.txt", "smtp", "warning: "+err.(*PolicyError).Msg)
	if got := err.(*PolicyError).DSNReason(); got != DSNConfigProblem {
		t.Errorf("DSN reason %q", got)
	}
}

func TestParseEntryTrustFiles(t *testing.T) {
	anchor := TLSA{Usage: 2, Data: []byte{1}}
	load := func(path string) ([]TLSA, error) {
		if path == "/bad" {
			return nil, errors.New("error opening trust anchor file: /bad: No such file or directory")
		}
		return []TLSA{anchor}, nil
	}
	p := EntryParser{Where: where, LoadTrustFile: load}
	e, _, err := p.Parse("secure tafile=/good tafile=/good")
	if err != nil || len(e.TrustAnchors) != 2 {
		t.Fatalf("good: %+v %v", e, err)
	}
	_, warns, err := p.Parse("secure tafile=/bad match=x")
	var pe *PolicyError
	if !errors.As(err, &pe) || pe.Msg != "" || len(warns) != 1 || !strings.Contains(warns[0], "/bad") {
		t.Fatalf("bad: %q %v", warns, err)
	}
	if pe.Error() != DSNConfigProblem || pe.DSNStatus() != "4.7.5" {
		t.Errorf("PolicyError = %q %q", pe.Error(), pe.DSNStatus())
	}
}

func TestSplitNameVal(t *testing.T) {
	for _, tc := range []struct{ in, name, val, err string }{
		{"a=b", "a", "b", ""},
		{"a\v=\vb\f", "a", "b", ""},
		{"a=", "a", "", ""},
		{"=", "", "", "missing attribute name"},
		{"a\vb=c", "", "", "missing '=' after attribute name"},
		{"", "", "", "missing attribute name"},
	} {
		n, v, e := splitNameVal(tc.in)
		if n != tc.name || v != tc.val || e != tc.err {
			t.Errorf("splitNameVal(%q) = %q,%q,%q", tc.in, n, v, e)
		}
	}
}

func mustHex(s string) []byte {
	b, ok := DecodeFingerprint(s)
	if !ok {
		panic(s)
	}
	return b
}
