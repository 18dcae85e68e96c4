package tlspolicy

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

// table is an in-memory policy table with optional failing keys.
type table struct {
	rows map[string]string
	fail string
	seen *[]string
}

func (tb table) lookup(key string) (string, bool, error) {
	if tb.seen != nil {
		*tb.seen = append(*tb.seen, key)
	}
	if key == tb.fail {
		return "", false, errors.New("table down")
	}
	v, ok := tb.rows[key]
	return v, ok, nil
}

var capturedDest = Destination{NextHop: "[127.0.4.2]:14025", Host: "127.0.4.2", Port: 14025}

func TestPolicyLookupKeys(t *testing.T) {
	for in, want := range map[string][]string{
		"a.b.example.com":   {"a.b.example.com", ".b.example.com", ".example.com", ".com"},
		"example":           {"example"},
		"[127.0.4.2]:14025": {"[127.0.4.2]:14025"},
		"host.example:2525": {"host.example:2525"},
		"/var/run/lmtp":     {"/var/run/lmtp"},
		"bücher.example":    {"bücher.example", ".example"},
		"127.0.0.1":         {"127.0.0.1"},
	} {
		if got := PolicyLookupKeys(in); !reflect.DeepEqual(got, want) {
			t.Errorf("PolicyLookupKeys(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestResolvePolicyMaps(t *testing.T) {
	base := DefaultConfig()
	base.SecurityLevel = "may"
	base.MandatoryExcludeCiphers = "RC4"
	base.ExcludeCiphers = "3DES"
	for _, tc := range []struct {
		name  string
		cfg   func(*Config)
		rows  map[string]string
		dest  Destination
		want  Policy
		warns []string
		err   string // DSN reason
	}{
		{name: "no entry: global may", dest: Destination{NextHop: "example.com", Host: "mx.example.com", Port: 25},
			want: Policy{Level: LevelMay, Protocols: ">=TLSv1", CipherGrade: "medium", Exclusions: "3DES"}},
		{name: "parent domain entry", rows: map[string]string{".example.com": "encrypt"},
			dest: Destination{NextHop: "a.example.com", Host: "mx.example.com", Port: 25},
			want: Policy{Level: LevelEncrypt, Protocols: ">=TLSv1", CipherGrade: "medium", Exclusions: "3DES RC4 eNULL"}},
		{name: "entry overrides downwards", rows: map[string]string{"example.com": "none ciphers=high"},
			dest:  Destination{NextHop: "example.com", Host: "mx", Port: 25},
			want:  Policy{Level: LevelNone},
			warns: []string{`smtp_tls_policy_maps, next-hop destination "example.com": ignoring attribute "ciphers=high" with TLS disabled`}},
		{name: "captured verify cipher list", rows: map[string]string{"[127.0.4.2]:14025": "verify match=mx.sink.test connection_reuse=yes"},
			cfg:  func(c *Config) { c.ExcludeCiphers, c.MandatoryExcludeCiphers = "", "" },
			dest: capturedDest,
			want: Policy{Level: LevelVerify, Protocols: ">=TLSv1", CipherGrade: "medium", Exclusions: "aNULL",
				Match: []string{"mx.sink.test"}, MatchSet: true, ConnectionReuse: true}},
		{name: "exclude replaces both lists", rows: map[string]string{"[127.0.4.2]:14025": "secure exclude=CAMELLIA protocols=TLSv1.3 ciphers=high servername=mx.sink.test"},
			dest: capturedDest,
			want: Policy{Level: LevelSecure, Protocols: "TLSv1.3", CipherGrade: "high", Exclusions: "CAMELLIA aNULL", SNI: "mx.sink.test",
				Match: []string{"nexthop", "dot-nexthop"}, MatchSet: true}},
		{name: "verify default match list", cfg: func(c *Config) { c.VerifyCertMatch = "hostname:nexthop, .example.com" },
			rows: map[string]string{"example.com": "verify"}, dest: Destination{NextHop: "example.com", Host: "mx", Port: 25},
			want: Policy{Level: LevelVerify, Protocols: ">=TLSv1", CipherGrade: "medium", Exclusions: "3DES RC4 aNULL",
				Match: []string{"hostname", "nexthop", ".example.com"}, MatchSet: true}},
		{name: "fingerprint from main.cf", cfg: func(c *Config) { c.FingerprintCertMatch = "AB:CD, zz\nEF01" },
			rows: map[string]string{"example.com": "fingerprint"}, dest: Destination{NextHop: "example.com", Port: 25},
			want: Policy{Level: LevelFingerprint, Protocols: ">=TLSv1", CipherGrade: "medium", Exclusions: "3DES RC4 aNULL",
				Fingerprints: [][]byte{{0xAB, 0xCD}, {0xEF, 0x01}}},
			warns: []string{"malformed fingerprint value: zz"}},
		{name: "fingerprint none configured", rows: map[string]string{"example.com": "fingerprint match=zz"},
			dest: Destination{NextHop: "example.com", Port: 25},
			warns: []string{"malformed fingerprint value: zz",
				"nexthop domain example.com: configured at fingerprint security level, but with no fingerprints to match."},
			err: DSNConfigProblem},
		{name: "invalid entry", rows: map[string]string{"[127.0.4.2]:14025": "encrypt foo=bar"}, dest: capturedDest,
			warns: []string{`smtp_tls_policy_maps, next-hop destination "[127.0.4.2]:14025": invalid attribute name: "foo"`},
			err:   DSNConfigProblem},
		{name: "table error", rows: map[string]string{}, dest: Destination{NextHop: "down.example", Port: 25},
			warns: []string{`smtp_tls_policy_maps, next-hop destination "down.example": policy table lookup error`},
			err:   DSNConfigProblem},
		{name: "invalid smtp_tls_servername", cfg: func(c *Config) { c.ServerName = "bad..name" },
			dest: Destination{NextHop: "example.com", Port: 25}, warns: []string{`"smtp_tls_servername = bad..name" specifies an invalid hostname`},
			err: DSNConfigProblem},
		{name: "servername none level unchecked", cfg: func(c *Config) { c.ServerName, c.SecurityLevel = "bad..name", "none" },
			dest: Destination{NextHop: "example.com", Port: 25}, want: Policy{Level: LevelNone}},
		{name: "global servername", cfg: func(c *Config) { c.ServerName = "hostname" },
			dest: Destination{NextHop: "example.com", Port: 25},
			want: Policy{Level: LevelMay, Protocols: ">=TLSv1", CipherGrade: "medium", Exclusions: "3DES", SNI: "hostname"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := base
			if tc.cfg != nil {
				tc.cfg(&cfg)
			}
			var pol Lookup
			if tc.rows != nil {
				pol = table{rows: tc.rows, fail: "down.example"}.lookup
			}
			r, _, err := NewResolver(cfg, pol, nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			got, warns, err := r.Resolve(tc.dest, DANEEnv{})
			if !reflect.DeepEqual(warns, tc.warns) {
				t.Errorf("warnings = %q\nwant       %q", warns, tc.warns)
			}
			if tc.err != "" {
				var pe *PolicyError
				if !errors.As(err, &pe) || pe.DSNReason() != tc.err || got.Level != LevelInvalid {
					t.Fatalf("err = %v, level %v; want %q", err, got.Level, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("policy = %+v\nwant     %+v", got, tc.want)
			}
		})
	}
}

func TestResolveStopsAtFirstFound(t *testing.T) {
	var seen []string
	tb := table{rows: map[string]string{".example.com": "secure", ".com": "none"}, seen: &seen}
	r, _, _ := NewResolver(DefaultConfig(), tb.lookup, nil, nil)
	p, _, err := r.Resolve(Destination{NextHop: "a.b.example.com", Port: 25}, DANEEnv{})
	if err != nil || p.Level != LevelSecure || !reflect.DeepEqual(seen, []string{"a.b.example.com", ".b.example.com", ".example.com"}) {
		t.Errorf("level %v, err %v, keys %q", p.Level, err, seen)
	}
}

func TestResolvePerSite(t *testing.T) {
	for _, tc := range []struct {
		global      string
		dest, host  string
		warn, error string
		want        Level
	}{
		{global: "may", dest: "NONE", host: "MAY", want: LevelNone},
		{global: "may", dest: "MAY", host: "NONE", want: LevelNone},
		{global: "verify", dest: "MAY", host: "-", want: LevelVerify}, // global beats a MAY wildcard
		{global: "verify", dest: "-", host: "-", want: LevelVerify},
		{global: "secure", dest: "MUST_NOPEERMATCH", host: "-", want: LevelEncrypt},
		{global: "none", dest: "must_nopeermatch", host: "Must", want: LevelVerify},
		{global: "none", dest: "bogus", host: "MUST", want: LevelInvalid,
			warn: "smtp_tls_per_site: unknown TLS policy 'bogus' for next-hop destination d.example", error: DSNConfigProblem},
		{global: "none", dest: "-", host: "ERR", want: LevelInvalid,
			warn: `smtp_tls_per_site: server hostname "h.example": per-site table lookup error`, error: "Temporary lookup error"},
	} {
		cfg := DefaultConfig()
		cfg.SecurityLevel = tc.global
		rows := map[string]string{}
		fail := ""
		if tc.dest != "-" {
			rows["d.example"] = tc.dest
		}
		switch tc.host {
		case "ERR":
			fail = "h.example"
		case "-":
		default:
			rows["h.example"] = tc.host
		}
		r, _, _ := NewResolver(cfg, nil, table{rows: rows, fail: fail}.lookup, nil)
		p, warns, err := r.Resolve(Destination{NextHop: "d.example", Host: "h.example", Port: 25}, DANEEnv{})
		if p.Level != tc.want || strings.Join(warns, "|") != tc.warn {
			t.Errorf("%+v: level %v warns %q", tc, p.Level, warns)
		}
		var pe *PolicyError
		if tc.error != "" && (!errors.As(err, &pe) || pe.DSNReason() != tc.error) {
			t.Errorf("%+v: err %v", tc, err)
		}
	}
}

func TestNewResolver(t *testing.T) {
	nop := func(string) (string, bool, error) { return "", false, nil }
	_, warns, err := NewResolver(DefaultConfig(), nop, nop, nil)
	if err != nil || len(warns) != 1 || warns[0] != "smtp_tls_per_site ignored when smtp_tls_policy_maps is not empty." {
		t.Errorf("warns %q err %v", warns, err)
	}
	bad := DefaultConfig()
	bad.SecurityLevel = "sometimes"
	if _, _, err := NewResolver(bad, nil, nil, nil); err == nil || !strings.Contains(err.Error(), `invalid tls security level: "sometimes"`) {
		t.Errorf("err %v", err)
	}
	bad = DefaultConfig()
	bad.DANEInsecureMXPolicy = "none"
	if _, _, err := NewResolver(bad, nil, nil, nil); err == nil {
		t.Error("bad insecure MX policy accepted")
	}
	bad.LMTP = true // lmtp never parses the insecure-MX policy
	if _, _, err := NewResolver(bad, nil, nil, nil); err != nil {
		t.Errorf("lmtp: %v", err)
	}
	r, _, _ := NewResolver(DefaultConfig(), nil, nil, nil)
	if r.GlobalLevel() != LevelNone {
		t.Error("default global level is not none")
	}
}

func TestResolveTrustAnchorFiles(t *testing.T) {
	calls := 0
	load := func(p string) ([]TLSA, error) {
		calls++
		if p == "/bad" {
			return nil, errors.New("error opening trust anchor file: /bad: Permission denied")
		}
		return []TLSA{{Usage: 2, Data: []byte(p)}}, nil
	}
	cfg := DefaultConfig()
	cfg.TrustAnchorFile = "/main1, /main2"
	rows := map[string]string{"a.example": "secure tafile=/policy", "b.example": "secure", "c.example": "verify"}
	r, _, _ := NewResolver(cfg, table{rows: rows}.lookup, nil, load)
	p, _, err := r.Resolve(Destination{NextHop: "a.example", Port: 25}, DANEEnv{})
	if err != nil || !reflect.DeepEqual(p.TAFiles, []string{"/policy"}) || len(p.TrustAnchors) != 1 {
		t.Errorf("policy tafile wins: %+v %v", p, err)
	}
	p, _, err = r.Resolve(Destination{NextHop: "b.example", Port: 25}, DANEEnv{})
	if err != nil || !reflect.DeepEqual(p.TAFiles, []string{"/main1", "/main2"}) {
		t.Errorf("main.cf files: %+v %v", p, err)
	}
	cfg.TrustAnchorFile = "/bad /main1"
	r, _, _ = NewResolver(cfg, table{rows: rows}.lookup, nil, load)
	calls = 0
	_, warns, err := r.Resolve(Destination{NextHop: "c.example", Port: 25}, DANEEnv{})
	if err == nil || calls != 1 || len(warns) != 1 {
		t.Errorf("bad main.cf file: %q %v calls=%d", warns, err, calls)
	}
	// Without a loader the names are still reported.
	r, _, _ = NewResolver(cfg, table{rows: rows}.lookup, nil, nil)
	p, _, _ = r.Resolve(Destination{NextHop: "b.example", Port: 25}, DANEEnv{})
	if !reflect.DeepEqual(p.TAFiles, []string{"/bad", "/main1"}) {
		t.Errorf("names only: %q", p.TAFiles)
	}
}

func TestLookupFailureLog(t *testing.T) {
	got := LookupFailureLog("[127.0.4.2]:14025", "127.0.4.2", &PolicyError{Msg: "x"})
	requireVector(t, "tls-log-client-policy-levels.txt", "smtp", "warning: "+got)
	if got := LookupFailureLog("a", "b", errors.New("plain")); got != "TLS policy lookup for a/b: plain" {
		t.Errorf("%q", got)
	}
}
