package session

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"math/big"
	"net"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/postfix-go/postfix-go/master-compat/fdpass"
)

// testLog collects log lines for assertions.
type testLog struct {
	mu    sync.Mutex
	lines []string
}

func (l *testLog) add(s string)             { l.mu.Lock(); l.lines = append(l.lines, s); l.mu.Unlock() }
func (l *testLog) Info(msg string)          { l.add(msg) }
func (l *testLog) Infof(f string, a ...any) { l.add(fmt.Sprintf(f, a...)) }
func (l *testLog) Warnf(f string, a ...any) { l.add("warning: " + fmt.Sprintf(f, a...)) }

func (l *testLog) text() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n")
}

// want fails unless every fragment appears in the log.
func (l *testLog) want(t *testing.T, frags ...string) {
	t.Helper()
	txt := l.text()
	for _, f := range frags {
		if !strings.Contains(txt, f) {
			t.Errorf("log lacks %q; log:\n%s", f, txt)
		}
	}
}

// unixPair returns two connected unix stream sockets.
func unixPair(t *testing.T) (*net.UnixConn, *net.UnixConn) {
	t.Helper()
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	conv := func(fd int) *net.UnixConn {
		f := os.NewFile(uintptr(fd), "pair")
		defer f.Close()
		c, err := net.FileConn(f)
		if err != nil {
			t.Fatal(err)
		}
		return c.(*net.UnixConn)
	}
	return conv(fds[0]), conv(fds[1])
}

// tcpPair returns both ends of a loopback TCP connection.
func tcpPair(t *testing.T) (*net.TCPConn, *net.TCPConn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	a, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	b, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	return a.(*net.TCPConn), b.(*net.TCPConn)
}

// passFD sends c's descriptor over u, as postscreen and smtp do, and
// closes the caller's copy.
func passFD(t *testing.T, u *net.UnixConn, c *net.TCPConn) {
	t.Helper()
	f, err := c.File()
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	defer f.Close()
	raw, err := u.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	if err := fdpass.Send(raw, int(f.Fd())); err != nil {
		t.Fatal(err)
	}
}

// testCert is a self-signed ECDSA certificate for mx.test.example.
func testCert(t *testing.T) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "mx.test.example"},
		DNSNames: []string{"mx.test.example"}, NotBefore: time.Now().Add(-time.Hour),
		NotAfter: time.Now().Add(time.Hour), KeyUsage: x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, _ := x509.ParseCertificate(der)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}
}

// openFDs counts this process's descriptors.
func openFDs(t *testing.T) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(ents)
}
