package session

import (
	"bufio"
	"crypto"
	"crypto/tls"
	"io"
	"testing"

	"github.com/postfix-go/postfix-go/internal/tlspolicy"
	"github.com/postfix-go/postfix-go/internal/tlsproxyproto"
	"github.com/postfix-go/postfix-go/master-compat/attr"
)

// clientSession runs one client-role session against a Go TLS server
// and returns the context tlsproxy sent back.
func clientSession(t *testing.T, f *fixture, cert tls.Certificate, start tlsproxyproto.ClientStartProps) tlsproxyproto.Context {
	t.Helper()
	a, r := f.connect()
	defer a.Close()
	set := tlsproxyproto.ClientSettings{Start: start}
	set.Init.LogLevel = "1"
	if st := f.request(a, r, tlsproxyproto.FlagRoleClient|tlsproxyproto.FlagSendContext, set.Append(nil)); st != 1 {
		t.Fatalf("status %d", st)
	}
	remote, ours := tcpPair(t)
	defer remote.Close()
	srv := tls.Server(remote, &tls.Config{Certificates: []tls.Certificate{cert}})
	errc := make(chan error, 1)
	go func() { errc <- srv.Handshake() }()
	passFD(t, a, ours)
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	ctx, err := tlsproxyproto.DecodeContext(attr.NewScanner(r, "test", nil))
	if err != nil {
		t.Fatal(err)
	}
	// Relay both ways, then smtp hangs up: close_notify reaches the server.
	a.Write([]byte("EHLO client\r\n"))
	if line, _ := bufio.NewReader(srv).ReadString('\n'); line != "EHLO client\r\n" {
		t.Errorf("relayed to server: %q", line)
	}
	srv.Write([]byte("250 hi\r\n"))
	if line, _ := r.ReadString('\n'); line != "250 hi\r\n" {
		t.Errorf("relayed to smtp: %q", line)
	}
	a.Close()
	if _, err := srv.Read(make([]byte, 1)); err != io.EOF {
		t.Errorf("server read %v after smtp hung up, want io.EOF", err)
	}
	return ctx
}

func TestClientRoleLevels(t *testing.T) {
	f := newFixture(t, false, true)
	before := openFDs(t)
	cert := testCert(t)
	base := tlsproxyproto.ClientStartProps{Nexthop: "test.example", Host: "mx.test.example",
		Namaddr: "mx.test.example[127.0.0.1]:25", Protocols: ">=TLSv1", MDAlg: "sha256", ServerID: "smtp&x"}

	enc := base
	enc.TLSLevel = tlsproxyproto.LevelEncrypt
	if c := clientSession(t, f, cert, enc); c.PeerStatus != tlsproxyproto.PeerPresent || c.Level != tlsproxyproto.LevelEncrypt || c.PeerCN != "mx.test.example" {
		t.Errorf("encrypt context: %+v", c)
	}

	// Fingerprints arrive as "3 x 255" records, as smtp sends them.
	fp := base
	fp.TLSLevel = tlsproxyproto.LevelFingerprint
	d := tlspolicy.CertDigest(crypto.SHA256, cert.Leaf)
	fp.DANE = &tlsproxyproto.DANE{TLSA: []tlsproxyproto.TLSA{{Usage: 3, Selector: 0, MType: 255, Data: d}}}
	want := tlsproxyproto.PeerPresent | tlsproxyproto.PeerTrusted | tlsproxyproto.PeerMatched | tlsproxyproto.PeerSecured
	if c := clientSession(t, f, cert, fp); c.PeerStatus != want {
		t.Errorf("fingerprint context: status %d, want %d", c.PeerStatus, want)
	}

	// verify without a trust anchor: present only, and the reason logged.
	vf := base
	vf.TLSLevel = tlsproxyproto.LevelVerify
	vf.MatchArgv = []string{"hostname"}
	if c := clientSession(t, f, cert, vf); c.PeerStatus != tlsproxyproto.PeerPresent {
		t.Errorf("verify context: status %d", c.PeerStatus)
	}
	f.wait()
	f.log.want(t, "CONNECT to [127.0.0.1]:4711",
		"Untrusted TLS connection established to mx.test.example[127.0.0.1]:25: TLSv1.3",
		"Verified TLS connection established to mx.test.example[127.0.0.1]:25",
		"certificate verification failed for mx.test.example[127.0.0.1]:25")
	if after := openFDs(t); after != before {
		t.Errorf("descriptors: %d before, %d after", before, after)
	}
}
