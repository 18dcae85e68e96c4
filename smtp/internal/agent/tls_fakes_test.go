package agent

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/postfix-go/postfix-go/internal/tlspolicy"
)

// testPKI is a private CA and a server certificate it issued.
type testPKI struct {
	ca     *x509.Certificate
	caKey  *ecdsa.PrivateKey
	server tls.Certificate
	leaf   *x509.Certificate
}

func newTestPKI(t *testing.T, names ...string) *testPKI {
	t.Helper()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{Organization: []string{"Test CA"}, CommonName: "Test Root"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: names[0]}, DNSNames: names,
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, KeyUsage: x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	leaf, _ := x509.ParseCertificate(der)
	return &testPKI{ca: ca, caKey: caKey, leaf: leaf,
		server: tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}}
}

func (p *testPKI) pool() *x509.CertPool {
	pool := x509.NewCertPool()
	pool.AddCert(p.ca)
	return pool
}

// tlsServer is a small SMTP server with STARTTLS (or SMTPS). It records
// the commands and whether they came over TLS.
type tlsServer struct {
	ln       net.Listener
	cert     tls.Certificate
	noOffer  bool // EHLO without STARTTLS
	wrapper  bool // TLS from the start
	maxVer   uint16
	mu       sync.Mutex
	cmds     []string
	sessions int
	ended    int
}

func startTLSServer(t *testing.T, s *tlsServer) *tlsServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.ln = ln
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go s.serve(c)
		}
	}()
	return s
}

func (s *tlsServer) port() int { return s.ln.Addr().(*net.TCPAddr).Port }

// waitCommands returns the commands once every session has ended (the
// client does not wait for the QUIT reply, so the server may lag).
func (s *tlsServer) waitCommands() []string {
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		s.mu.Lock()
		idle := s.ended == s.sessions
		s.mu.Unlock()
		if idle {
			break
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.cmds...)
}

func (s *tlsServer) serve(c net.Conn) {
	defer func() {
		c.Close()
		s.mu.Lock()
		s.ended++
		s.mu.Unlock()
	}()
	s.mu.Lock()
	s.sessions++
	s.mu.Unlock()
	cfg := &tls.Config{Certificates: []tls.Certificate{s.cert}, MaxVersion: s.maxVer}
	secure := false
	if s.wrapper {
		c, secure = tls.Server(c, cfg), true
	}
	br, w := bufio.NewReader(c), c
	say := func(l string) { w.Write([]byte(l + "\r\n")) }
	say("220 mx.test ESMTP")
	inData := false
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			return
		}
		line = strings.TrimRight(line, "\r\n")
		if inData {
			if line == "." {
				inData = false
				say("250 2.0.0 Ok: queued")
			}
			continue
		}
		tag := line
		if secure {
			tag = "TLS " + line
		}
		s.mu.Lock()
		s.cmds = append(s.cmds, tag)
		s.mu.Unlock()
		switch verb := strings.ToUpper(strings.Fields(line + " x")[0]); verb {
		case "EHLO", "LHLO":
			if !secure && !s.noOffer {
				say("250-mx.test")
				say("250 STARTTLS")
			} else {
				say("250 mx.test")
			}
		case "STARTTLS":
			say("220 2.0.0 Ready to start TLS")
			tc := tls.Server(c, cfg)
			if err := tc.Handshake(); err != nil {
				return
			}
			c, secure = tc, true
			br, w = bufio.NewReader(tc), tc
		case "DATA":
			say("354 go ahead")
			inData = true
		case "QUIT":
			say("221 bye")
			return
		default:
			say("250 2.0.0 Ok")
		}
	}
}

// tlsTestConfig is testConfig with TLS at level for every destination.
func tlsTestConfig(t *testing.T, level string, roots *x509.CertPool, policy map[string]string) Config {
	t.Helper()
	pc := tlspolicy.DefaultConfig()
	pc.SecurityLevel = level
	var lookup tlspolicy.Lookup
	if policy != nil {
		pc.PolicyMaps = "inline:"
		lookup = func(k string) (string, bool, error) { v, ok := policy[strings.ToLower(k)]; return v, ok, nil }
	}
	res, _, err := tlspolicy.NewResolver(pc, lookup, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	h, _ := tlspolicy.LookupDigest("sha256")
	cfg := testConfig()
	cfg.TLS = &TLSClient{Policy: res, Roots: roots, Log: TLSLogSummary, Timeout: 5 * time.Second,
		Digest: h, Digests: tlspolicy.DefaultDigests(h), MinBackoff: 300 * time.Second}
	return cfg
}
