package tlspolicy

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net"
	"testing"
	"time"
)

// testNow is inside every generated certificate's validity period.
var testNow = time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)

// certSpec describes one generated certificate; keys never leave memory.
type certSpec struct {
	cn        string
	dns       []string
	ips       []string
	ca        bool
	notBefore time.Time
	notAfter  time.Time
	key       crypto.Signer // nil: a fresh P-256 key
}

type testCert struct {
	cert *x509.Certificate
	key  crypto.Signer
}

func newKey(t testing.TB, kind string) crypto.Signer {
	t.Helper()
	var k crypto.Signer
	var err error
	switch kind {
	case "rsa":
		k, err = rsa.GenerateKey(rand.Reader, 2048)
	case "ed25519":
		_, k, err = ed25519.GenerateKey(rand.Reader)
	case "p384":
		k, err = ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	default:
		k, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	}
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// mkCert issues s, signed by parent (self-signed when parent is nil).
func mkCert(t testing.TB, s certSpec, parent *testCert) *testCert {
	t.Helper()
	key := s.key
	if key == nil {
		key = newKey(t, "p256")
	}
	nb, na := s.notBefore, s.notAfter
	if nb.IsZero() {
		nb = testNow.Add(-24 * time.Hour)
	}
	if na.IsZero() {
		na = testNow.Add(24 * time.Hour)
	}
	sn, err := rand.Int(rand.Reader, big.NewInt(1<<62))
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          sn,
		Subject:               pkix.Name{CommonName: s.cn},
		NotBefore:             nb,
		NotAfter:              na,
		DNSNames:              s.dns,
		BasicConstraintsValid: true,
		IsCA:                  s.ca,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	if s.ca {
		tmpl.KeyUsage = x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature
	}
	for _, ip := range s.ips {
		tmpl.IPAddresses = append(tmpl.IPAddresses, net.ParseIP(ip))
	}
	signerCert, signerKey := tmpl, key
	if parent != nil {
		signerCert, signerKey = parent.cert, parent.key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, signerCert, key.Public(), signerKey)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return &testCert{cert: c, key: key}
}

// pki is a root, an intermediate and a leaf for mx.example.com.
type pki struct {
	root, inter, leaf *testCert
}

func newPKI(t testing.TB) pki {
	t.Helper()
	root := mkCert(t, certSpec{cn: "Root", ca: true}, nil)
	inter := mkCert(t, certSpec{cn: "Intermediate", ca: true}, root)
	leaf := mkCert(t, certSpec{cn: "mx.example.com", dns: []string{"mx.example.com"}}, inter)
	return pki{root, inter, leaf}
}
