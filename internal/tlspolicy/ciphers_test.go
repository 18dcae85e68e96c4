package tlspolicy

import (
	"bufio"
	"crypto/tls"
	"os"
	"strconv"
	"strings"
	"testing"
)

// TestCipherTableAgainstOpenSSL compares the table with the names and bits
// OpenSSL 3.0.19 reported (testdata/openssl-3.0.19-ciphers-and-errors.tsv,
// "C" rows), and requires an entry for every suite Go implements.
func TestCipherTableAgainstOpenSSL(t *testing.T) {
	f, err := os.Open("testdata/openssl-3.0.19-ciphers-and-errors.tsv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	seen := map[uint16]CipherInfo{}
	errTexts := map[int]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		col := strings.Split(sc.Text(), "\t")
		if col[0] == "C" {
			id, _ := strconv.ParseUint(col[1], 0, 16)
			use, _ := strconv.Atoi(col[3])
			alg, _ := strconv.Atoi(col[4])
			seen[uint16(id)] = CipherInfo{col[2], use, alg}
			continue
		}
		code, _ := strconv.Atoi(col[0])
		errTexts[code] = col[1]
	}
	all := append(tls.CipherSuites(), tls.InsecureCipherSuites()...)
	checked := 0
	for _, s := range all {
		got, ok := OpenSSLCipher(s.ID)
		if !ok {
			t.Errorf("no OpenSSL name for %s", s.Name)
			continue
		}
		if want, ok := seen[s.ID]; ok {
			checked++
			if got != want {
				t.Errorf("%s: %+v, OpenSSL %+v", s.Name, got, want)
			}
		}
	}
	if checked < 20 {
		t.Errorf("only %d suites cross-checked", checked)
	}
	for code, text := range errTexts {
		if got := VerifyErrorText(code); got != text && xerrText[code] != "" {
			t.Errorf("code %d: %q, OpenSSL %q", code, got, text)
		}
	}
	if c, ok := OpenSSLCipher(0xffff); ok || c.Name == "" {
		t.Errorf("unknown suite: %+v", c)
	}
}

func TestVersionsAndKex(t *testing.T) {
	for v, want := range map[uint16]string{tls.VersionSSL30: "SSLv3", tls.VersionTLS10: "TLSv1", tls.VersionTLS11: "TLSv1.1",
		tls.VersionTLS12: "TLSv1.2", tls.VersionTLS13: "TLSv1.3", 0x7f00: "unknown"} {
		if got := OpenSSLVersion(v); got != want {
			t.Errorf("OpenSSLVersion(%x) = %q", v, got)
		}
	}
	for id, want := range map[tls.CurveID][2]string{
		0: {"", ""}, tls.X25519: {"X25519", ""}, tls.CurveP256: {"ECDHE", "prime256v1"},
		tls.CurveP384: {"ECDHE", "secp384r1"}, tls.CurveP521: {"ECDHE", "secp521r1"},
		tls.X25519MLKEM768: {"X25519MLKEM768", ""},
	} {
		n, c := KeyExchange(id)
		if n != want[0] || c != want[1] {
			t.Errorf("KeyExchange(%v) = %q,%q", id, n, c)
		}
	}
}

func TestPeerSignature(t *testing.T) {
	for _, tc := range []struct {
		kind, name, curve, digest string
		bits                      int
	}{
		{"rsa", "RSA-PSS", "", "SHA256", 2048},
		{"p256", "ECDSA", "prime256v1", "SHA256", 0},
		{"p384", "ECDSA", "secp384r1", "SHA384", 0},
		{"ed25519", "ED25519", "", "", 0},
	} {
		pub := newKey(t, tc.kind).Public()
		n, c, b := PeerSignature(pub)
		if n != tc.name || c != tc.curve || b != tc.bits || InferDigest(pub) != tc.digest {
			t.Errorf("%s: %q %q %d %q", tc.kind, n, c, b, InferDigest(pub))
		}
	}
	if n, _, _ := PeerSignature("nokey"); n != "" {
		t.Error("unknown key type named")
	}
}
