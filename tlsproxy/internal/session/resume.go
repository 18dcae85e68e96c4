package session

import (
	"crypto/sha256"
	"crypto/tls"
	"encoding/binary"
	"encoding/hex"
	"strconv"
	"strings"
	"sync"

	"github.com/postfix-go/postfix-go/internal/tlsproxyproto"
	"github.com/postfix-go/postfix-go/master-compat/tlsmgrclient"
)

// maxSessionCaches bounds the per-process tlsmgr clients and caches: the
// service name and cache type come from requests, and a handful exist in
// practice (one per smtp/lmtp transport setup).
const maxSessionCaches = 16

// resumption holds the client role's tlsmgr(8) session caches: one
// Client per tlsmgr service name and one SessionCache per cache type on
// it, each asking tlsmgr for its policy once, as tls_client_init does
// for each client SSL_CTX that stock tlsproxy builds.
type resumption struct {
	dir string // tests: where "private/<service>" lives; "" is the cwd

	mu      sync.Mutex
	clients map[string]*tlsmgrclient.Client
	caches  map[[2]string]*tlsmgrclient.SessionCache
}

// cache returns the session cache the init props ask for, or nil when
// they ask for none, tlsmgr does not allow caching, or the bound is hit.
func (r *resumption) cache(set tlsproxyproto.ClientSettings, log Logger) *tlsmgrclient.SessionCache {
	cacheType := strings.TrimSpace(set.Init.CacheType)
	if cacheType == "" {
		return nil
	}
	service := strings.TrimSpace(set.Params.MgrServiceName)
	if service == "" {
		service = tlsmgrclient.DefaultService
	}
	key := [2]string{service, cacheType}
	r.mu.Lock()
	sc, ok := r.caches[key]
	if !ok && len(r.caches) < maxSessionCaches {
		if r.clients == nil {
			r.clients = map[string]*tlsmgrclient.Client{}
			r.caches = map[[2]string]*tlsmgrclient.SessionCache{}
		}
		c := r.clients[service]
		if c == nil {
			c = tlsmgrclient.New(tlsmgrclient.Config{Dir: r.dir, Service: service,
				Warn: func(s string) { log.Warnf("%s", s) }})
			r.clients[service] = c
		}
		sc = tlsmgrclient.NewSessionCache(c, cacheType)
		r.caches[key] = sc
	}
	r.mu.Unlock()
	// Outside the lock: the first call asks tlsmgr for the policy.
	if sc == nil || !sc.Enabled() {
		return nil
	}
	return sc
}

// clientSessionCache is cfg's ClientSessionCache for a request: scoped
// by the serverid smtp sent plus a digest of the Go TLS policy, so that
// a session is never resumed under different settings.
func (r *ClientRole) clientSessionCache(set tlsproxyproto.ClientSettings, cfg *tls.Config, log Logger) tls.ClientSessionCache {
	sc := r.resume.cache(set, log)
	if sc == nil {
		return nil
	}
	return sc.For(set.Start.ServerID + policyDigest(set.Start, cfg))
}

// policyDigest hashes the start props that shape or judge the session
// and the resulting tls.Config settings, each length-prefixed.
func policyDigest(sp tlsproxyproto.ClientStartProps, cfg *tls.Config) string {
	h := sha256.New()
	put := func(b []byte) {
		h.Write(binary.AppendUvarint(nil, uint64(len(b))))
		h.Write(b)
	}
	str := func(v string) { put([]byte(v)) }
	num := func(v int) { str(strconv.Itoa(v)) }
	str("postfix-go tlsproxy session policy v1")
	num(sp.TLSLevel)
	str(sp.Nexthop)
	str(sp.Host)
	str(sp.SNI)
	str(sp.Protocols)
	str(sp.CipherGrade)
	str(sp.CipherExclusions)
	str(sp.MDAlg)
	num(len(sp.MatchArgv))
	for _, m := range sp.MatchArgv {
		str(m)
	}
	str(cfg.ServerName)
	num(int(cfg.MinVersion))
	num(int(cfg.MaxVersion))
	num(len(cfg.CipherSuites))
	for _, c := range cfg.CipherSuites {
		num(int(c))
	}
	if sp.DANE == nil {
		str("-")
	} else {
		str(sp.DANE.BaseDomain)
		num(len(sp.DANE.TLSA))
		for _, t := range sp.DANE.TLSA {
			num(t.Usage)
			num(t.Selector)
			num(t.MType)
			put(t.Data)
		}
	}
	return strings.ToUpper(hex.EncodeToString(h.Sum(nil)))
}
