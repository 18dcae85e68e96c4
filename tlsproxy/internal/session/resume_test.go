package session

import (
	"crypto/tls"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/postfix-go/postfix-go/internal/tlsmgrproto"
	"github.com/postfix-go/postfix-go/internal/tlspolicy"
	"github.com/postfix-go/postfix-go/internal/tlsproxyproto"
	"github.com/postfix-go/postfix-go/master-compat/attr"
	"github.com/postfix-go/postfix-go/tlsproxy/internal/tlsconf"
)

// fakeMgr is a minimal tlsmgr on <dir>/private/<service>: an in-memory
// cache whose policy says cachable, and a log of the requests.
type fakeMgr struct {
	mu       sync.Mutex
	cachable int
	m        map[string][]byte
	reqs     []tlsmgrproto.MgrRequest
}

func startFakeMgr(t *testing.T, service string, cachable int) (string, *fakeMgr) {
	t.Helper()
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "private"), 0o755)
	ln, err := net.Listen("unix", filepath.Join(dir, "private", service))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	f := &fakeMgr{cachable: cachable, m: map[string][]byte{}}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go f.serve(c)
		}
	}()
	return dir, f
}

func (f *fakeMgr) serve(c net.Conn) {
	defer c.Close()
	c.Write(tlsmgrproto.AppendAnnounce(nil, tlsmgrproto.Protocol))
	sc := attr.NewScanner(c, "fake", nil)
	for {
		req, err := tlsmgrproto.DecodeMgrRequest(sc)
		if err != nil {
			return
		}
		f.mu.Lock()
		f.reqs = append(f.reqs, req)
		r := tlsmgrproto.MgrReply{Status: tlsmgrproto.MgrStatOK}
		k := req.CacheType + "\x00" + req.CacheID
		switch req.Name {
		case tlsmgrproto.MgrPolicy:
			r.Cachable, r.Timeout = f.cachable, 3600
		case tlsmgrproto.MgrUpdate:
			f.m[k] = req.Session
		case tlsmgrproto.MgrLookup:
			if v, ok := f.m[k]; ok {
				r.Data = v
			} else {
				r.Status = tlsmgrproto.MgrStatErr
			}
		case tlsmgrproto.MgrDelete:
			delete(f.m, k)
		}
		f.mu.Unlock()
		c.Write(r.Append(nil, req.Name))
	}
}

// count counts the requests named name; "" counts all.
func (f *fakeMgr) count(name string) (n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, r := range f.reqs {
		if name == "" || r.Name == name {
			n++
		}
	}
	return n
}

func resumeSettings(cacheType, serverID, sni string) tlsproxyproto.ClientSettings {
	var s tlsproxyproto.ClientSettings
	s.Params.MgrServiceName = "tlsmgr"
	s.Init.CacheType = cacheType
	s.Start = tlsproxyproto.ClientStartProps{TLSLevel: int(tlspolicy.LevelEncrypt), Namaddr: "mx[127.0.0.1]:25", Host: "mx.test.example",
		ServerID: serverID, SNI: sni, Protocols: ">=TLSv1.2"}
	return s
}

// resumeHandshake runs one handshake with the role's config for set and
// reads a byte, so that the client has stored the server's ticket.
func resumeHandshake(t *testing.T, role *ClientRole, srv *tls.Config, set tlsproxyproto.ClientSettings) bool {
	t.Helper()
	cc, err := role.tlsConfig(set, &testLog{})
	if err != nil {
		t.Fatal(err)
	}
	a, b := tcpPair(t)
	defer a.Close()
	defer b.Close()
	go func() {
		s := tls.Server(a, srv)
		if s.Handshake() == nil {
			s.Write([]byte{1})
		}
	}()
	c := tls.Client(b, cc.tls)
	if err := c.Handshake(); err != nil {
		t.Fatal(err)
	}
	c.Read(make([]byte, 1))
	return c.ConnectionState().DidResume
}

func TestClientResumesThroughTLSMgr(t *testing.T) {
	dir, mgr := startFakeMgr(t, "tlsmgr", 1)
	role := &ClientRole{materials: map[string]*material{filesKey(tlsconf.Files{}, "", ""): {}},
		resume: resumption{dir: dir}}
	srv := &tls.Config{Certificates: []tls.Certificate{testCert(t)}}
	// With an SNI: without one, crypto/tls keys sessions by the peer
	// address, whose port differs per test connection.
	set := resumeSettings("smtp", "smtp&[mx]:25&mx&127.0.0.1&", "mx.test.example")
	if resumeHandshake(t, role, srv, set) {
		t.Fatal("first handshake resumed")
	}
	if !resumeHandshake(t, role, srv, set) {
		t.Error("second handshake did not resume")
	}
	// Another policy (the same server name, but from "hostname") or
	// another serverid: a full handshake.
	if resumeHandshake(t, role, srv, resumeSettings("smtp", "smtp&[mx]:25&mx&127.0.0.1&", "hostname")) {
		t.Error("resumed under another SNI")
	}
	if resumeHandshake(t, role, srv, resumeSettings("smtp", "smtp&[other]:25&mx&127.0.0.1&", "mx.test.example")) {
		t.Error("resumed under another serverid")
	}
	// No cache type: no cache at all, no tlsmgr traffic.
	before := mgr.count("")
	if resumeHandshake(t, role, srv, resumeSettings("", "smtp&[mx]:25&mx&127.0.0.1&", "mx.test.example")) {
		t.Error("resumed without a cache type")
	}
	if mgr.count(tlsmgrproto.MgrPolicy) != 1 || mgr.count("") != before {
		t.Errorf("policy asked %d times; %d requests without a cache type", mgr.count(tlsmgrproto.MgrPolicy), mgr.count("")-before)
	}
}

func TestClientNoResumptionWhenTLSMgrSaysNo(t *testing.T) {
	dir, mgr := startFakeMgr(t, "tlsmgr", 0)
	role := &ClientRole{materials: map[string]*material{filesKey(tlsconf.Files{}, "", ""): {}},
		resume: resumption{dir: dir}}
	srv := &tls.Config{Certificates: []tls.Certificate{testCert(t)}}
	set := resumeSettings("smtp", "smtp&[mx]:25&mx&127.0.0.1&", "mx.test.example")
	for i := 0; i < 2; i++ {
		if resumeHandshake(t, role, srv, set) {
			t.Errorf("handshake %d resumed", i)
		}
	}
	if mgr.count(tlsmgrproto.MgrPolicy) != 1 || mgr.count(tlsmgrproto.MgrLookup) != 0 {
		t.Errorf("%d policy and %d lookup requests", mgr.count(tlsmgrproto.MgrPolicy), mgr.count(tlsmgrproto.MgrLookup))
	}
}
