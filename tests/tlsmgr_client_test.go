package tests

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/postfix-go/postfix-go/master-compat/tlsmgrclient"
	"github.com/postfix-go/postfix-go/tests/harness"
)

// TestTLSMgrClientStock drives the STOCK tlsmgr(8) of a private instance
// (started by the stock master on first connect to private/tlsmgr) with
// our client, as root from the test process.
func TestTLSMgrClientStock(t *testing.T) {
	in := harness.New(t, harness.Options{MainCF: map[string]string{
		"smtp_tls_session_cache_database": "btree:${data_directory}/smtp_scache",
	}})
	var mu sync.Mutex
	var warns []string
	c := tlsmgrclient.New(tlsmgrclient.Config{Dir: in.Spool, Warn: func(s string) {
		mu.Lock()
		defer mu.Unlock()
		warns = append(warns, s)
	}})
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	if seed, err := c.Seed(ctx, 32); err != nil || len(seed) != 32 {
		t.Fatalf("seed: %d bytes, %v", len(seed), err)
	}
	if ok, tout, err := c.Policy(ctx, tlsmgrclient.CacheSMTP); !ok || tout != time.Hour || err != nil {
		t.Errorf("smtp policy: %v %v %v", ok, tout, err)
	}
	// Stock's smtpd default: no database, but a timeout (tickets work).
	if ok, tout, err := c.Policy(ctx, tlsmgrclient.CacheSMTPD); ok || tout != time.Hour || err != nil {
		t.Errorf("smtpd policy: %v %v %v", ok, tout, err)
	}

	// update, lookup (hit), delete, lookup (miss) on raw ids.
	id := tlsmgrclient.CacheID("smtp&[127.0.0.1]:25&127.0.0.1&127.0.0.1&", "mx.test")
	blob := []byte(tlsmgrclient.BlobTag + "\x00\x00")
	if err := c.Update(ctx, tlsmgrclient.CacheSMTP, id, blob); err != nil {
		t.Fatalf("update: %v", err)
	}
	if got, err := c.Lookup(ctx, tlsmgrclient.CacheSMTP, id); err != nil || !bytes.Equal(got, blob) {
		t.Errorf("lookup hit: %q %v", got, err)
	}
	if err := c.Delete(ctx, tlsmgrclient.CacheSMTP, id); err != nil {
		t.Errorf("delete: %v", err)
	}
	if _, err := c.Lookup(ctx, tlsmgrclient.CacheSMTP, id); !errors.Is(err, tlsmgrclient.ErrNotFound) {
		t.Errorf("lookup after delete: %v", err)
	}
	if err := c.Delete(ctx, tlsmgrclient.CacheSMTP, id); !errors.Is(err, tlsmgrclient.ErrNotFound) {
		t.Errorf("second delete: %v", err)
	}

	// Ticket keys: the current key, then the same key by name.
	k, err := c.TicketKey(ctx, nil)
	if err != nil || k.Timeout <= time.Now().Unix() {
		t.Fatalf("tktkey: %v, tout %d", err, k.Timeout)
	}
	if k2, err := c.TicketKey(ctx, k.Name[:]); err != nil || k2 != k {
		t.Errorf("named tktkey: %v, same key %v", err, k2 == k)
	}
	keys, err := tlsmgrclient.NewTickets(c).Keys(ctx)
	if err != nil || len(keys) != 1 || keys[0] != tlsmgrclient.GoTicketKey(&k) {
		t.Errorf("ticket keys: %d, %v", len(keys), err)
	}

	// A Go TLS session stored through stock tlsmgr by one client is
	// resumed by another.
	scope := "smtp&[mx.test]:25&mx.test&127.0.0.1&&POLICYDIGEST"
	srv := &tls.Config{Certificates: []tls.Certificate{tlsmgrCert(t)}}
	newClient := func() *tls.Config {
		sc := tlsmgrclient.NewSessionCache(tlsmgrclient.New(tlsmgrclient.Config{Dir: in.Spool}), tlsmgrclient.CacheSMTP)
		return &tls.Config{ServerName: "mx.test", InsecureSkipVerify: true, ClientSessionCache: sc.For(scope)}
	}
	if tlsmgrHandshake(t, srv, newClient()) {
		t.Error("first handshake resumed")
	}
	if !tlsmgrHandshake(t, srv, newClient()) {
		t.Error("session not resumed through stock tlsmgr")
	}
	stored, err := c.Lookup(ctx, tlsmgrclient.CacheSMTP, tlsmgrclient.CacheID(scope, "mx.test"))
	if err != nil {
		t.Fatalf("stored session: %v", err)
	}
	openSSLRefuses(t, stored)

	mu.Lock()
	if len(warns) != 0 {
		t.Errorf("client warnings: %q", warns)
	}
	mu.Unlock()
	lines, err := in.LogLines()
	if err != nil {
		t.Fatal(err)
	}
	if p := lines.Program("tlsmgr").Problems(); len(p) != 0 {
		t.Errorf("tlsmgr complained: %q", p.Texts())
	}
}

// TestTLSMgrClientAbsent: with no tlsmgr socket the client fails the way
// stock attr_clnt does, warns once, and then stays quiet and fast.
func TestTLSMgrClientAbsent(t *testing.T) {
	harness.Require(t)
	dir := t.TempDir()
	os.Mkdir(filepath.Join(dir, "private"), 0o755)
	var warns []string
	c := tlsmgrclient.New(tlsmgrclient.Config{Dir: dir, Warn: func(s string) { warns = append(warns, s) }})
	sc := tlsmgrclient.NewSessionCache(c, tlsmgrclient.CacheSMTP)
	start := time.Now()
	if _, ok := sc.For("x").Get("mx.test"); ok || sc.Enabled() {
		t.Error("cache on without tlsmgr")
	}
	noent := "connect to private/tlsmgr: No such file or directory"
	if !slices.Equal(warns, []string{noent, noent, "problem talking to server private/tlsmgr: No such file or directory"}) {
		t.Errorf("warnings %q", warns)
	}
	if d := time.Since(start); d < time.Second || d > 10*time.Second {
		t.Errorf("took %v, want the 1 s retry pause", d)
	}
	start = time.Now()
	if _, err := tlsmgrclient.NewTickets(c).Keys(context.Background()); !errors.Is(err, tlsmgrclient.ErrNoTicketKey) {
		t.Errorf("ticket keys: %v", err)
	}
	if d := time.Since(start); d > 100*time.Millisecond || len(warns) != 3 {
		t.Errorf("outage not quiet: %v, %q", d, warns)
	}
}

// openSSLRefuses feeds a stored Go entry to OpenSSL's d2i_SSL_SESSION
// (openssl sess_id -inform DER), as stock tls_session_activate would if
// it ever looked one up: it must be refused cleanly.
func openSSLRefuses(t *testing.T, blob []byte) {
	bin, err := exec.LookPath("openssl")
	if err != nil {
		t.Log("no openssl binary; skipping the DER check")
		return
	}
	cmd := exec.Command(bin, "sess_id", "-inform", "DER", "-noout")
	cmd.Stdin = bytes.NewReader(blob)
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 {
		t.Errorf("openssl sess_id: %v\n%s", err, out)
	}
	t.Logf("openssl on our entry: %s", bytes.TrimSpace(out))
}

func tlsmgrCert(t *testing.T) tls.Certificate {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), DNSNames: []string{"mx.test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// tlsmgrHandshake runs one TLS 1.3 connection on loopback and reads one
// byte, so that the client has processed the session ticket (and called
// Put) before it returns whether the session was resumed.
func tlsmgrHandshake(t *testing.T, srv, cli *tls.Config) bool {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		a, err := ln.Accept()
		if err != nil {
			return
		}
		defer a.Close()
		s := tls.Server(a, srv)
		if s.Handshake() == nil {
			s.Write([]byte{1})
			io.Copy(io.Discard, s)
		}
	}()
	conn, err := tls.Dial("tcp", ln.Addr().String(), cli)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := io.ReadFull(conn, make([]byte, 1)); err != nil {
		t.Fatal(err)
	}
	return conn.ConnectionState().DidResume
}
