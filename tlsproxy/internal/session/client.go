package session

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"strings"
	"sync"

	"github.com/postfix-go/postfix-go/internal/tlspolicy"
	"github.com/postfix-go/postfix-go/internal/tlsproxyproto"
	"github.com/postfix-go/postfix-go/master-compat/attr"
	"github.com/postfix-go/postfix-go/tlsproxy/internal/tlsconf"
)

// material is what a client TLS context is built from: our client
// certificates and the trust anchors for the peer's chain.
type material struct {
	certs   []tls.Certificate
	roots   *x509.CertPool
	anchors int
}

// ClientRole is the client role's per-process state. Stock keys its
// client SSL_CTX cache on the request's init props; here only the file
// names matter (the rest is per session), so they are the key.
type ClientRole struct {
	appendCA    bool
	daneDigests string
	prejailKey  string

	mu        sync.Mutex
	materials map[string]*material

	resume resumption // the tlsmgr(8) session caches
}

// Bounds on the per-process caches: a handful of keys exist in practice
// (one per smtp transport); a peer cannot make them grow without limit.
const (
	maxMaterials = 64
)

// NewClientRole loads tlsproxy_client_* material before the chroot, as
// stock's pre-jail initialisation does.
func NewClientRole(f tlsconf.Files, caFile, caPath string, appendCA bool, daneDigests string) (*ClientRole, []string, error) {
	r := &ClientRole{appendCA: appendCA, daneDigests: daneDigests,
		materials: map[string]*material{}}
	m, warns, err := loadMaterial(f, caFile, caPath, appendCA)
	if err != nil {
		return nil, warns, err
	}
	r.prejailKey = filesKey(f, caFile, caPath)
	r.materials[r.prejailKey] = m
	return r, warns, nil
}

func loadMaterial(f tlsconf.Files, caFile, caPath string, appendCA bool) (*material, []string, error) {
	certs, warns, err := tlsconf.KeyPairs(f)
	if err != nil {
		return nil, warns, err
	}
	pool, n, err := tlsconf.CAPool(caFile, caPath, appendCA)
	if err != nil {
		return nil, warns, err
	}
	return &material{certs: certs, roots: pool, anchors: n}, warns, nil
}

func filesKey(f tlsconf.Files, caFile, caPath string) string {
	return strings.Join([]string{f.ChainFiles, f.CertFile, f.KeyFile, f.DCertFile,
		f.ECCertFile, f.ECKeyFile, caFile, caPath}, "\n")
}

// material returns the material for a request's init props. Different
// file names than tlsproxy's own get stock's warning (the files are then
// read inside the chroot, which may fail).
func (r *ClientRole) material(p tlsproxyproto.ClientInitProps, log Logger) (*material, error) {
	f := tlsconf.Files{ChainFiles: p.ChainFiles, CertFile: p.CertFile, KeyFile: p.KeyFile,
		DCertFile: p.DCertFile, ECCertFile: p.ECCertFile, ECKeyFile: p.ECKeyFile}
	key := filesKey(f, p.CAFile, p.CAPath)
	r.mu.Lock()
	defer r.mu.Unlock()
	if m, ok := r.materials[key]; ok {
		return m, nil
	}
	log.Warnf("request from tlsproxy client with unexpected settings")
	log.Warnf("(server) certificate and CA files differ from (client) %q", strings.ReplaceAll(key, "\n", ","))
	log.Warnf("to avoid this warning, 1) identify the tlsproxy client that is making this request, 2) configure a custom tlsproxy service with settings that match that tlsproxy client, and 3) configure that tlsproxy client with a tlsproxy_service_name setting that resolves to that custom tlsproxy service")
	m, _, err := loadMaterial(f, p.CAFile, p.CAPath, r.appendCA)
	if err != nil {
		return nil, err
	}
	if len(r.materials) >= maxMaterials {
		r.materials = map[string]*material{}
	}
	r.materials[key] = m
	return m, nil
}

// clientRole connects TLS to the remote SMTP server on smtp's behalf.
func (st *state) clientRole(sc *attr.Scanner) {
	log := st.svc.cfg.Log
	set, err := tlsproxyproto.DecodeClientSettings(sc)
	if err != nil {
		log.Warnf("tlsp_get_request_event: %v", readErr(err))
		return
	}
	if !st.checkNoExtra(sc) {
		return
	}
	role := st.svc.cfg.Client
	if role == nil {
		// Stock 3.7.11 dereferences a null pointer here.
		log.Warnf("TLS client role is disabled with tlsproxy_client_security_level or tlsproxy_client_use_tls, or failed to initialize: refusing request from service=%s for %s", st.req.ServerID, st.endpoint)
		st.refuse()
		return
	}
	sp := set.Start
	cfg, err := role.tlsConfig(set, log)
	if err != nil {
		log.Warnf("TLS client initialization failed: %v", err)
		st.refuse()
		return
	}
	peer, ok := st.receivePeer()
	if !ok {
		return
	}
	defer peer.Close()
	tc := tls.Client(peer, cfg.tls)
	ctx, cancel := context.WithTimeout(context.Background(), timeout(st.req.HandshakeTimeout, 0))
	err = tc.HandshakeContext(ctx)
	cancel()
	if err != nil {
		st.handshakeError("SSL_connect error to "+sp.Namaddr, err)
		return
	}
	st.handshakeDone = true
	cs := tc.ConnectionState()
	v := role.verify(sp, cfg.mat, cs)
	c, sum := describe(cs, describeArgs{namaddr: sp.Namaddr, mdalg: sp.MDAlg, level: v.level, peerName: v.peerName})
	c.PeerStatus |= v.status
	sum.Trust = tlspolicy.PeerTrust(len(cs.PeerCertificates) > 0, v.verified, tlspolicy.Level(v.level))
	for _, l := range v.logs {
		log.Info(l)
	}
	if tlsconf.SummaryEnabled(set.Init.LogLevel) {
		log.Info(sum.String())
	}
	if st.req.Flags&tlsproxyproto.FlagSendContext != 0 && !st.sendContext(c) {
		tc.Close()
		return
	}
	st.relay(tc, peer)
}

type clientConfig struct {
	tls *tls.Config
	mat *material
}

// tlsConfig builds the per-session client configuration. Verification
// is done after the handshake (verify), because Postfix never fails a
// handshake over the peer certificate: smtp decides from the context.
func (r *ClientRole) tlsConfig(set tlsproxyproto.ClientSettings, log Logger) (clientConfig, error) {
	sp := set.Start
	lo, hi, err := tlsconf.Protocols(sp.Protocols)
	if err != nil {
		return clientConfig{}, err
	}
	if tlspolicy.Level(sp.TLSLevel) <= tlspolicy.LevelNone {
		return clientConfig{}, fmt.Errorf("request for TLS at level %d from %s", sp.TLSLevel, sp.Namaddr)
	}
	mat, err := r.material(set.Init, log)
	if err != nil {
		return clientConfig{}, err
	}
	sni := sp.SNI
	switch sni {
	case "hostname":
		sni = sp.Host
	case "nexthop":
		sni = sp.Nexthop
	}
	cfg := &tls.Config{
		InsecureSkipVerify: true, // see verify: the result goes into peer_status
		ServerName:         sni,
		MinVersion:         lo,
		MaxVersion:         hi,
		CurvePreferences:   tlsconf.Curves,
		Certificates:       mat.certs,
	}
	// Resumption only through the tlsmgr(8) cache the init props name,
	// as stock; never a private in-memory cache.
	cfg.ClientSessionCache = r.clientSessionCache(set, cfg, log)
	return clientConfig{mat: mat, tls: cfg}, nil
}
