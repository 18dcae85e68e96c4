package tests

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/postfix-go/postfix-go/tests/harness"
)

// Our smtp(8) talks TLS to a second private instance whose stock smtpd
// offers STARTTLS with a certificate from a CA made here. The sink
// instance discards what it receives.

// tlsSinkCerts writes ca.pem, cert.pem and key.pem into dir: a CA and a
// server certificate for mx.sink.test and 127.0.0.1.
func tlsSinkCerts(t *testing.T, dir string) (caFile, certFile, keyFile string) {
	t.Helper()
	now := time.Now()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{Organization: []string{"Sink CA"}, CommonName: "Sink Root"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "mx.sink.test"},
		DNSNames: []string{"mx.sink.test"}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	write := func(name, typ string, der []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	return write("ca.pem", "CERTIFICATE", caDER), write("cert.pem", "CERTIFICATE", der), write("key.pem", "PRIVATE KEY", keyDER)
}

// tlsSink starts the receiving instance and returns its smtpd port and
// the CA file that signed its certificate.
func tlsSink(t *testing.T) (*harness.Instance, string) {
	t.Helper()
	dir, err := os.MkdirTemp("", "postfix-go-tls-")
	if err != nil {
		t.Fatal(err)
	}
	os.Chmod(dir, 0o755)
	t.Cleanup(func() { os.RemoveAll(dir) })
	ca, cert, key := tlsSinkCerts(t, dir)
	sink := harness.New(t, harness.Options{MainCF: map[string]string{
		"smtpd_tls_security_level": "may",
		"smtpd_tls_cert_file":      cert,
		"smtpd_tls_key_file":       key,
		"default_transport":        "discard",
		"relay_transport":          "discard",
	}})
	return sink, ca
}

// tlsSender starts the sending instance with our smtp and relayhost at
// the sink's smtpd.
func tlsSender(t *testing.T, sink *harness.Instance, settings map[string]string) *harness.Instance {
	t.Helper()
	cf := map[string]string{
		"relayhost":         fmt.Sprintf("[127.0.0.1]:%d", sink.SMTPDPort),
		"smtp_tls_loglevel": "1",
	}
	for k, v := range settings {
		cf[k] = v
	}
	return harness.New(t, harness.Options{Replace: map[string]string{"smtp": harness.Daemon(t, "smtp")}, MainCF: cf})
}

func TestSMTPTLSDelivers(t *testing.T) {
	harness.Require(t)
	sink, ca := tlsSink(t)
	for _, c := range []struct {
		name     string
		settings map[string]string
		trust    string
	}{
		{"encrypt", map[string]string{"smtp_tls_security_level": "encrypt", "smtp_tls_CAfile": ca}, "Trusted"},
		{"may-no-CA", map[string]string{"smtp_tls_security_level": "may"}, "Untrusted"},
		{"verify", map[string]string{"smtp_tls_security_level": "verify", "smtp_tls_CAfile": ca}, "Verified"},
		{"secure", map[string]string{"smtp_tls_security_level": "secure", "smtp_tls_CAfile": ca,
			"smtp_tls_secure_cert_match": "mx.sink.test"}, "Verified"},
	} {
		t.Run(c.name, func(t *testing.T) {
			in := tlsSender(t, sink, c.settings)
			d := deliverOne(t, in, "sent")
			checkOurSMTP(t, in)
			if d.DSN != "2.0.0" || !strings.Contains(d.Line.Raw, fmt.Sprintf("relay=127.0.0.1[127.0.0.1]:%d", sink.SMTPDPort)) {
				t.Errorf("delivery line: %s", d.Line.Raw)
			}
			pat := fmt.Sprintf(`smtp\[\d+\]: %s TLS connection established to 127\.0\.0\.1\[127\.0\.0\.1\]:%d: TLSv1\.3 with cipher TLS_AES_\d+_GCM_SHA\d+ \(\d+/\d+ bits\) key-exchange X25519 server-signature ECDSA \(prime256v1\) server-digest SHA256$`,
				c.trust, sink.SMTPDPort)
			if _, err := in.WaitLog(pat, logTimeout); err != nil {
				t.Error(err)
			}
			checkNoSMTPProblems(t, in)
		})
	}
}

func TestSMTPTLSVerifyFailures(t *testing.T) {
	harness.Require(t)
	sink, ca := tlsSink(t)
	dest := fmt.Sprintf("[127.0.0.1]:%d", sink.SMTPDPort)
	namaddr := regexp.QuoteMeta(fmt.Sprintf("127.0.0.1[127.0.0.1]:%d", sink.SMTPDPort))
	for _, c := range []struct {
		name     string
		settings map[string]string
		warning  string
	}{
		// A wrong name, through an inline: policy table.
		{"wrong-name", map[string]string{"smtp_tls_CAfile": ca,
			"smtp_tls_policy_maps": "inline:{ { " + dest + " = verify match=wrong.sink.test } }"},
			`server certificate verification failed for ` + namaddr + `: num=62:hostname mismatch`},
		// No CA: the chain is not trusted.
		{"untrusted", map[string]string{"smtp_tls_security_level": "verify"},
			`certificate verification failed for ` + namaddr + `: untrusted issuer /O=Sink CA/CN=Sink Root`},
	} {
		t.Run(c.name, func(t *testing.T) {
			in := tlsSender(t, sink, c.settings)
			d := deliverOne(t, in, "deferred")
			checkOurSMTP(t, in)
			if d.DSN != "4.7.5" || d.Reason != "Server certificate not verified" {
				t.Errorf("deferral line: %s", d.Line.Raw)
			}
			if _, err := in.WaitLog(`smtp\[\d+\]: `+c.warning+`$`, logTimeout); err != nil {
				t.Error(err)
			}
			if _, err := in.WaitLog(`smtp\[\d+\]: Untrusted TLS connection established to `+namaddr, logTimeout); err != nil {
				t.Error(err)
			}
		})
	}
}
