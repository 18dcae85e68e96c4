package tlsmgrclient

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"io"
	"math/big"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/postfix-go/postfix-go/internal/tlsmgrproto"
)

func testCert(t *testing.T) tls.Certificate {
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

// handshake runs one TLS connection over loopback, reading one byte from
// the server so that a TLS 1.3 client processes the NewSessionTicket
// (and calls Put) before it returns.
func handshake(t *testing.T, srv, cli *tls.Config) tls.ConnectionState {
	t.Helper()
	// A socket, not net.Pipe: TLS 1.3 peers write at the same time
	// (middlebox compatibility), which needs buffering.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	b, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	a, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	defer b.Close()
	srvErr := make(chan error, 1)
	go func() {
		s := tls.Server(a, srv)
		err := s.Handshake()
		if err == nil {
			_, err = s.Write([]byte{1})
		}
		if err != nil {
			a.Close() // unblock the client
		}
		srvErr <- err
	}()
	c := tls.Client(b, cli)
	if err := c.Handshake(); err != nil {
		t.Fatalf("client: %v; server: %v", err, <-srvErr)
	}
	if _, err := io.ReadFull(c, make([]byte, 1)); err != nil {
		t.Fatal(err)
	}
	return c.ConnectionState()
}

// TestSessionCacheResumes: a session stored by one client process is
// resumed by another through tlsmgr, under a tagged id and blob.
func TestSessionCacheResumes(t *testing.T) {
	for _, v := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
		f := newFake(t, store(tlsmgrproto.TicketKey{}))
		srv := &tls.Config{Certificates: []tls.Certificate{testCert(t)}, MaxVersion: v}
		scope := "smtp&[mx.test]:25&mx.test&192.0.2.1&&POLICY"
		client := func() *tls.Config {
			sc := NewSessionCache(New(Config{Dir: f.dir}), CacheSMTP)
			return &tls.Config{ServerName: "mx.test", InsecureSkipVerify: true, MaxVersion: v,
				ClientSessionCache: sc.For(scope)}
		}
		if handshake(t, srv, client()).DidResume {
			t.Fatal("first handshake resumed")
		}
		if !handshake(t, srv, client()).DidResume {
			t.Errorf("version %x: second process did not resume", v)
		}
		id := CacheID(scope, "mx.test")
		if id != scope+"&go1:mx.test" {
			t.Errorf("id %q", id)
		}
		blob, err := New(Config{Dir: f.dir}).Lookup(context.Background(), CacheSMTP, id)
		if err != nil || !strings.HasPrefix(string(blob), BlobTag) || blob[0] == 0x30 {
			t.Errorf("stored blob %.20q, %v", blob, err)
		}
	}
}

// TestSessionCacheRefusesStock: a stock OpenSSL entry (DER) and broken
// blobs are misses, never errors or panics.
func TestSessionCacheRefusesStock(t *testing.T) {
	hit := fixture(t, "tlsmgr-lookup-hit.reply.bin")
	f := newFake(t, func(req tlsmgrproto.MgrRequest) []byte {
		if req.Name == tlsmgrproto.MgrPolicy {
			return fixture(t, "tlsmgr-policy.reply.bin")
		}
		return hit
	})
	cache := NewSessionCache(New(Config{Dir: f.dir}), CacheSMTP).For("scope")
	if cs, ok := cache.Get("mx.test"); ok || cs != nil {
		t.Error("stock DER entry accepted")
	}
	for _, b := range []string{"", BlobTag, BlobTag + "\x05ab", BlobTag + "\x00\x00x", BlobTag + "\x00\x01x"} {
		if _, err := decodeSession([]byte(b)); err == nil {
			t.Errorf("blob %q accepted", b)
		}
	}
}

// TestSessionCacheDisabled: a policy without a database (the stock smtpd
// default) or an unreachable tlsmgr turns the cache off after one
// request; Get and Put then do no I/O.
func TestSessionCacheDisabled(t *testing.T) {
	f := newFake(t, func(req tlsmgrproto.MgrRequest) []byte { return fixture(t, "tlsmgr-policy-smtpd.reply.bin") })
	sc := NewSessionCache(New(Config{Dir: f.dir}), CacheSMTPD)
	v := sc.For("s")
	v.Get("a")
	v.Put("a", nil)
	if sc.Enabled() || len(f.requests()) != 1 {
		t.Errorf("enabled %v after %d requests", sc.Enabled(), len(f.requests()))
	}
	rec := &recorder{}
	down := NewSessionCache(New(Config{Dir: t.TempDir(), Warn: rec.warn, Sleep: rec.sleep}), CacheSMTP)
	if _, ok := down.For("s").Get("a"); ok || down.Enabled() {
		t.Error("cache on without tlsmgr")
	}
	if w, _ := rec.take(); len(w) != 3 {
		t.Errorf("warnings %q", w)
	}
}

func TestCacheID(t *testing.T) {
	for _, tt := range []struct{ scope, key, want string }{
		{"smtp&[h]:25&h&1.2.3.4&", "h", "smtp&[h]:25&h&1.2.3.4&go1:h"},
		{"p", "a&b", "p&go1:b64:YSZi"},
		{"", "[::1]:25", "go1:[::1]:25"},
	} {
		if got := CacheID(tt.scope, tt.key); got != tt.want {
			t.Errorf("CacheID(%q, %q) = %q, want %q", tt.scope, tt.key, got, tt.want)
		}
	}
}
