package tlspolicy

import "testing"

func TestParseLevel(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Level
		ok   bool
	}{
		{"none", LevelNone, true}, {"may", LevelMay, true}, {"ENCRYPT", LevelEncrypt, true},
		{"Fingerprint", LevelFingerprint, true}, {"dane", LevelDANE, true}, {"DANE-ONLY", LevelDANEOnly, true},
		{"verify", LevelVerify, true}, {"secure", LevelSecure, true},
		{"halfdane", LevelInvalid, false}, {"", LevelInvalid, false}, {"must", LevelInvalid, false},
	} {
		got, ok := ParseLevel(tc.in)
		if got != tc.want || ok != tc.ok {
			t.Errorf("ParseLevel(%q) = %v,%v; want %v,%v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func TestLevelPredicates(t *testing.T) {
	// Columns: String, Required, MustMatch, MustPKIX, Opportunistic, DANEBased, NeverSecured.
	type row struct {
		name                                    string
		req, match, pkix, oppo, dane, neverSecd bool
	}
	for l, want := range map[Level]row{
		LevelInvalid:     {"unknown", false, false, false, false, false, false},
		LevelNotFound:    {"unknown", false, false, false, false, false, false},
		LevelNone:        {"none", false, false, false, false, false, false},
		LevelMay:         {"may", false, false, false, true, false, false},
		LevelEncrypt:     {"encrypt", true, false, false, false, false, false},
		LevelFingerprint: {"fingerprint", true, true, false, false, false, false},
		LevelHalfDANE:    {"halfdane", true, true, false, false, true, true},
		LevelDANE:        {"dane", true, true, false, true, true, false},
		LevelDANEOnly:    {"dane-only", true, true, false, false, true, false},
		LevelVerify:      {"verify", true, true, true, false, false, false},
		LevelSecure:      {"secure", true, true, true, false, false, false},
	} {
		got := row{l.String(), l.Required(), l.MustMatch(), l.MustPKIX(), l.Opportunistic(), l.DANEBased(), l.NeverSecured()}
		if got != want {
			t.Errorf("level %d: got %+v want %+v", l, got, want)
		}
	}
}

func TestGlobalLevel(t *testing.T) {
	for _, tc := range []struct {
		name    string
		cfg     Config
		want    Level
		wantErr string
	}{
		{"empty is none", Config{EnforcePeername: true}, LevelNone, ""},
		{"explicit", Config{SecurityLevel: "Secure", UseTLS: true}, LevelSecure, ""},
		{"legacy use", Config{UseTLS: true}, LevelMay, ""},
		{"legacy enforce+peername", Config{EnforceTLS: true, EnforcePeername: true}, LevelVerify, ""},
		{"legacy enforce", Config{EnforceTLS: true, UseTLS: true}, LevelEncrypt, ""},
		{"halfdane rejected", Config{SecurityLevel: "halfdane"}, LevelInvalid, `invalid tls security level: "halfdane"`},
	} {
		got, err := GlobalLevel(&tc.cfg)
		if got != tc.want || errText(err) != tc.wantErr {
			t.Errorf("%s: got %v,%q want %v,%q", tc.name, got, errText(err), tc.want, tc.wantErr)
		}
	}
}

func TestInsecureMXPolicy(t *testing.T) {
	for _, tc := range []struct {
		level, policy string
		lmtp          bool
		want          Level
		wantErr       string
	}{
		{"", "", false, LevelMay, ""},
		{"dane", "", false, LevelDANE, ""},
		{"DANE", "", false, LevelMay, ""}, // the default expression compares case-sensitively
		{"may", "encrypt", false, LevelEncrypt, ""},
		{"may", "Dane", false, LevelDANE, ""},
		{"may", "verify", false, LevelInvalid, `invalid smtp_tls_dane_insecure_mx_policy: "verify"`},
		{"may", "bogus", true, LevelInvalid, `invalid smtp_tls_dane_insecure_mx_policy: "bogus"`},
	} {
		c := Config{SecurityLevel: tc.level, DANEInsecureMXPolicy: tc.policy, LMTP: tc.lmtp}
		got, err := InsecureMXPolicy(&c)
		if got != tc.want || errText(err) != tc.wantErr {
			t.Errorf("%+v: got %v,%q", tc, got, errText(err))
		}
	}
}

func TestDefaults(t *testing.T) {
	for in, want := range map[string]string{"0": "md5", "2": "md5", "3.5": "md5", "3.6": "sha256", "3.10": "sha256", "3.6.1": "sha256", "4": "sha256", "x": "md5"} {
		if got := DefaultFingerprintDigest(in); got != want {
			t.Errorf("DefaultFingerprintDigest(%q) = %q, want %q", in, got, want)
		}
	}
	c := DefaultConfig()
	if c.SecureCertMatch != "nexthop, dot-nexthop" || c.VerifyCertMatch != "hostname" || c.FingerprintDigest != "sha256" ||
		c.Protocols != ">=TLSv1" || c.MandatoryCiphers != "medium" || !c.EnforcePeername {
		t.Errorf("DefaultConfig() = %+v", c)
	}
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
