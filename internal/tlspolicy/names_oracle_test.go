package tlspolicy

import (
	"bufio"
	"crypto/x509"
	"encoding/pem"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCheckHostAgainstOpenSSL replays X509_check_host results recorded
// from OpenSSL 3.0.19 (testdata/names/README) through CheckHost/CheckIP.
func TestCheckHostAgainstOpenSSL(t *testing.T) {
	f, err := os.Open(filepath.Join("testdata", "names", "openssl-3.0.19-check-host.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	certs := map[string]*x509.Certificate{}
	sc := bufio.NewScanner(f)
	n := 0
	for sc.Scan() {
		col := strings.Split(sc.Text(), "\t")
		if len(col) != 5 {
			t.Fatalf("bad line %q", sc.Text())
		}
		file, kind, ref, want, wantName := col[0], col[1], col[2], col[3] == "1", col[4]
		c, ok := certs[file]
		if !ok {
			c = loadPEMCert(t, filepath.Join("testdata", "names", file))
			certs[file] = c
		}
		n++
		if kind == "ip" {
			ip := netip.MustParseAddr(ref)
			if ip.Is4In6() {
				// OpenSSL parses "::ffff:a.b.c.d" as a 16-byte address.
				ip = netip.AddrFrom16(ip.As16())
			}
			if got := CheckIP(c, ip); got != want {
				t.Errorf("%s CheckIP(%s) = %v, OpenSSL %v", file, ref, got, want)
			}
			continue
		}
		name, got := CheckHost(c, ref)
		if got != want || name != wantName {
			t.Errorf("%s CheckHost(%q) = %q,%v; OpenSSL %q,%v", file, ref, name, got, wantName, want)
		}
	}
	if n < 400 {
		t.Fatalf("only %d oracle rows", n)
	}
}

func loadPEMCert(t *testing.T, path string) *x509.Certificate {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := pem.Decode(data)
	if b == nil {
		t.Fatalf("%s: no PEM", path)
	}
	c, err := x509.ParseCertificate(b.Bytes)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return c
}
