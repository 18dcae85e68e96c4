package tlspolicy

import (
	"errors"
	"reflect"
	"testing"
)

func TestResolveDANE(t *testing.T) {
	rec := TLSA{Usage: 3, Selector: 1, MatchingType: 1, Data: make([]byte, 32)}
	found := func() (TLSASet, error) {
		return TLSASet{BaseDomain: "mx.example.com", Found: true, Records: []TLSA{rec}}, nil
	}
	secureMX := &MXInfo{QName: "mx.example.com", RName: "mx.example.com", DNSSECValid: true}
	cnameMX := &MXInfo{QName: "mx.example.com", RName: "real.example.net", DNSSECValid: true}
	insecureMX := &MXInfo{QName: "mx.example.com", RName: "mx.example.com"}
	dest := Destination{NextHop: "example.com", Host: "mx.example.com", Port: 25, MX: secureMX}
	ok := DANEEnv{DNSSECLookups: true, LookupTLSA: found}
	for _, tc := range []struct {
		name      string
		level     string
		mxPolicy  string
		lmtp      bool
		dest      Destination
		env       DANEEnv
		want      Level
		match     []string
		warns     []string
		dsnReason string
	}{
		{name: "dane ok", level: "dane", dest: dest, env: ok, want: LevelDANE, match: []string{"mx.example.com", "mx.example.com"}},
		{name: "cname names", level: "dane-only", dest: Destination{NextHop: "example.com", Host: "mx.example.com", Port: 25, MX: cnameMX},
			env: ok, want: LevelDANEOnly, match: []string{"mx.example.com", "real.example.net", "mx.example.com"}},
		{name: "no MX lookup", level: "dane", dest: Destination{NextHop: "[mx.example.com]", Host: "mx.example.com", Port: 25},
			env: ok, want: LevelDANE, match: []string{"mx.example.com"}},
		{name: "captured dane without dnssec", level: "dane", dest: capturedDest, env: DANEEnv{}, want: LevelMay,
			warns: []string{"[127.0.4.2]:14025: dane configured with dnssec lookups disabled"}},
		{name: "captured dane-only without dnssec", level: "dane-only", dest: capturedDest, env: DANEEnv{}, want: LevelInvalid,
			warns: []string{"[127.0.4.2]:14025: dane-only configured with dnssec lookups disabled"}, dsnReason: DSNConfigProblem},
		{name: "unix socket", level: "dane", dest: Destination{NextHop: "/run/lmtp", Port: 0}, env: ok, want: LevelInvalid,
			warns: []string{`/run/lmtp: the "dane" security level is invalid for delivery via unix-domain sockets`}, dsnReason: DSNConfigProblem},
		{name: "mx errors ignored", level: "dane", dest: dest, env: DANEEnv{DNSSECLookups: true, IgnoreMXLookupError: true, LookupTLSA: found},
			want: LevelMay, warns: []string{"example.com: dane configured with MX lookup errors ignored"}},
		{name: "mx errors ignored lmtp", level: "dane", lmtp: true, dest: dest,
			env: DANEEnv{DNSSECLookups: true, IgnoreMXLookupError: true, LookupTLSA: found}, want: LevelDANE, match: []string{"mx.example.com", "mx.example.com"}},
		{name: "resolver search", level: "dane-only", dest: dest, env: DANEEnv{DNSSECLookups: true, ResolverSearch: true},
			want: LevelInvalid, warns: []string{"example.com: dns resolver options incompatible with dane-only TLS"}, dsnReason: DSNConfigProblem},
		{name: "insecure MX, policy may", level: "may", mxPolicy: "may", dest: Destination{NextHop: "example.com", Host: "mx.example.com", Port: 25, MX: insecureMX},
			env: ok, want: LevelMay},
		{name: "insecure MX dane-only", level: "dane-only", dest: Destination{NextHop: "example.com", Host: "mx.example.com", Port: 25, MX: insecureMX},
			env: ok, want: LevelInvalid, dsnReason: "non DNSSEC destination"},
		{name: "insecure MX policy encrypt", level: "dane", mxPolicy: "encrypt",
			dest: Destination{NextHop: "example.com", Host: "mx.example.com", Port: 25, MX: insecureMX}, env: ok, want: LevelEncrypt},
		{name: "insecure MX policy dane: halfdane", level: "dane",
			dest: Destination{NextHop: "example.com", Host: "mx.example.com", Port: 25, MX: insecureMX}, env: ok, want: LevelHalfDANE,
			match: []string{"mx.example.com", "mx.example.com"}},
		{name: "lookup error", level: "dane", dest: dest, env: DANEEnv{DNSSECLookups: true, LookupTLSA: func() (TLSASet, error) { return TLSASet{}, errors.New("SERVFAIL") }},
			want: LevelInvalid, dsnReason: "TLSA lookup error for mx.example.com:25"},
		{name: "no lookup function", level: "dane", dest: dest, env: DANEEnv{DNSSECLookups: true},
			want: LevelInvalid, dsnReason: "TLSA lookup error for mx.example.com:25"},
		{name: "not found dane", level: "dane", dest: dest, env: DANEEnv{DNSSECLookups: true, LookupTLSA: func() (TLSASet, error) { return TLSASet{}, nil }}, want: LevelMay},
		{name: "not found dane-only", level: "dane-only", dest: dest, env: DANEEnv{DNSSECLookups: true, LookupTLSA: func() (TLSASet, error) { return TLSASet{}, nil }},
			want: LevelInvalid, dsnReason: "no TLSA records found"},
		{name: "unusable dane", level: "dane", dest: dest, env: DANEEnv{DNSSECLookups: true, LookupTLSA: func() (TLSASet, error) { return TLSASet{Found: true}, nil }}, want: LevelEncrypt},
		{name: "unusable dane-only", level: "dane-only", dest: dest, env: DANEEnv{DNSSECLookups: true, LookupTLSA: func() (TLSASet, error) { return TLSASet{Found: true}, nil }},
			want: LevelInvalid, dsnReason: "TLSA records unusable"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := DefaultConfig()
			cfg.SecurityLevel, cfg.DANEInsecureMXPolicy, cfg.LMTP = tc.level, tc.mxPolicy, tc.lmtp
			r, _, err := NewResolver(cfg, nil, nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			p, warns, err := r.Resolve(tc.dest, tc.env)
			if !reflect.DeepEqual(warns, tc.warns) {
				t.Errorf("warns = %q, want %q", warns, tc.warns)
			}
			if p.Level != tc.want {
				t.Errorf("level = %v, want %v", p.Level, tc.want)
			}
			var pe *PolicyError
			if tc.dsnReason != "" {
				if !errors.As(err, &pe) || pe.DSNReason() != tc.dsnReason || pe.DSNStatus() != "4.7.5" {
					t.Errorf("err = %v, want %q", err, tc.dsnReason)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tc.match != nil && !reflect.DeepEqual(p.Match, tc.match) {
				t.Errorf("match = %q, want %q", p.Match, tc.match)
			}
			if p.Level.DANEBased() && (p.DANE == nil || p.Exclusions != "aNULL") {
				t.Errorf("DANE policy %+v", p)
			}
			if p.Level == LevelMay && p.Protocols != ">=TLSv1" {
				t.Errorf("may protocols %q", p.Protocols)
			}
		})
	}
}

// The capture logs the dane warning; dane-only additionally the lookup
// failure line with the configuration-problem reason.
func TestResolveDANECaptured(t *testing.T) {
	requireVector(t, "tls-log-client-policy-levels.txt", "smtp", "warning: [127.0.4.2]:14025: dane configured with dnssec lookups disabled")
	cfg := DefaultConfig()
	cfg.SecurityLevel = "dane-only"
	r, _, _ := NewResolver(cfg, nil, nil, nil)
	_, warns, err := r.Resolve(capturedDest, DANEEnv{})
	requireVector(t, "tls-log-client-policy-levels.txt", "smtp", "warning: "+warns[0])
	requireVector(t, "tls-log-client-policy-levels.txt", "smtp", "warning: "+LookupFailureLog(capturedDest.NextHop, capturedDest.Host, err))
	requireVector(t, "tls-log-client-policy-levels.txt", "smtp",
		"625DF984213: to=<b@example.com>, relay=none, delay=0.02, delays=0.01/0.01/0/0, dsn="+err.(*PolicyError).DSNStatus()+", status=deferred ("+err.(*PolicyError).DSNReason()+")")
}
