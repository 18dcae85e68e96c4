package agent

import (
	"strings"
	"syscall"
	"time"

	"github.com/postfix-go/postfix-go/smtp/internal/deliver"
	"github.com/postfix-go/postfix-go/smtp/internal/smtpwire"
)

// Connection caching, as stock 3.7.11 smtp(8) does it (smtp_connect.c,
// smtp_reuse.c, smtp_session.c, smtp_key.c; spec scache.md §2).
// Descriptor handling is in cachefd.go, labels and properties in
// cacheprops.go.

// Cache is the connection cache client; *scache/client.Client
// implements it. Its methods are fail-open: a problem is a miss.
type Cache interface {
	FindDest(label string) (destProp, endpProp string, fd int, ok bool)
	FindEndp(label string) (prop string, fd int, ok bool)
	SaveDest(ttl int, destLabel, destProp, endpLabel string)
	SaveEndp(ttl int, label, prop string, fd int)
}

// CacheConfig is the smtp_connection_cache_* / reuse parameters.
type CacheConfig struct {
	// Service is the master.cf service name, the first label field.
	Service string
	// Destinations is smtp_connection_cache_destinations as literal
	// names, possibly "!"-negated; matched case-insensitively against
	// the bare domain of the first next-hop.
	Destinations []string
	// OnDemand is smtp_connection_cache_on_demand: honour qmgr's
	// CONN_LOAD/CONN_STORE request flags.
	OnDemand bool
	// TimeLimit is smtp_connection_cache_time_limit in seconds, the
	// ttl of save requests (at least 1).
	TimeLimit int
	// ReuseTimeLimit is smtp_connection_reuse_time_limit.
	ReuseTimeLimit time.Duration
	// ReuseCountLimit is smtp_connection_reuse_count_limit; 0 = none.
	ReuseCountLimit int
	// TLSLevel is the numeric TLS security level that goes into
	// endpoint labels (none=0, may=1).
	TLSLevel int
}

// Enabled is stock's condition for creating the scache client.
func (c CacheConfig) Enabled() bool { return len(c.Destinations) > 0 || c.OnDemand }

// matchCacheDest is string_list_match on literal entries.
func matchCacheDest(list []string, name string) bool {
	for _, w := range list {
		neg := false
		for strings.HasPrefix(w, "!") {
			neg = !neg
			w = w[1:]
		}
		if strings.EqualFold(w, name) {
			return !neg
		}
	}
	return false
}

// cachePolicy is smtp_cache_policy for the first next-hop.
func (d *delivery) cachePolicy(hop string, dst destination) {
	if d.a.Cache == nil {
		return
	}
	cc := &d.a.cfg.Cache
	switch {
	case matchCacheDest(cc.Destinations, dst.domain):
		d.cacheLoad, d.cacheStore = true, true
	case cc.OnDemand:
		d.cacheLoad = d.req.Flags&deliver.FlagConnLoad != 0
		d.cacheStore = d.req.Flags&deliver.FlagConnStore != 0
	}
	if d.cacheLoad || d.cacheStore {
		d.reqNexthop = hop
	}
}

// reuse looks up a cached session for dst: by destination first, then
// by endpoint. Each hit is probed with RSET; a failed probe closes the
// connection silently and the search goes on. nil means: connect.
func (d *delivery) reuse(dst destination, hop string) *session {
	cc := &d.a.cfg.Cache
	if d.reqNexthop != "" {
		label := destLabel(cc.Service, d.reqNexthop)
		if dp, ep, fd, ok := d.a.Cache.FindDest(label); ok {
			if s := d.activate(dst, hop, label, dp, ep, fd, true); s != nil {
				return s
			}
		}
	}
	label := endpLabel(cc.Service, hop, dst.addr, dst.port, dst.tlsLevelLabel())
	if ep, fd, ok := d.a.Cache.FindEndp(label); ok {
		if s := d.activate(dst, hop, label, "", ep, fd, false); s != nil {
			return s
		}
	}
	return nil
}

// activate turns a cached descriptor into a probed session, or closes it.
func (d *delivery) activate(dst destination, hop, label, dp, ep string, fd int, byDest bool) *session {
	e, tls, ok := parseEndpProps(ep)
	if !ok {
		d.a.log.Warn("smtp_session_activate: bad cached endp properties")
	}
	var dest cachedDest
	if ok && byDest {
		if dest, ok = parseDestProps(dp); !ok {
			d.a.log.Warn("smtp_session_passivate: bad cached dest properties")
		}
	}
	if !ok {
		d.a.log.Warn("smtp_reuse_common: bad cached session attribute for " + label)
		syscall.Close(fd)
		return nil
	}
	if tls == nil && dst.policy.Level.Required() {
		// Only a by-destination hit can be a plaintext session where
		// TLS is now required; stock would use it, this agent never
		// sends mail in plaintext against the current policy.
		syscall.Close(fd)
		return nil
	}
	conn, err := fdConn(fd)
	if err != nil {
		return nil
	}
	nexthop := hop
	features := e.features | smtpwire.FeatureFromCache
	if byDest {
		dst.host, dst.addr, nexthop = dest.host, dest.addr, dest.nexthop
		features |= dest.features
	} else {
		features |= smtpwire.FeatureBestMX
	}
	s := newSession(d, conn, dst)
	s.features = features
	s.fromCache = true
	s.nexthop = nexthop
	s.tlsLevel = e.tlsLevel
	s.reuseCount = e.reuseCount + 1
	s.expire = time.Unix(e.expire, 0)
	if tls != nil {
		// The TLS session lives on in tlsproxy: no handshake, only the
		// summary, as smtp_session_activate logs it.
		s.proxy = tls
		d.a.log.Info(proxySummary(tls, true).String())
	}
	// The RSET probe (smtp_reuse_common): any failure is silent.
	r, err := s.chat("RSET", d.a.cfg.Timeouts.RSET)
	if err != nil || r.Class() != 2 {
		conn.Close()
		return nil
	}
	return s
}

// keepAlive decides at the end of a transaction whether the session
// stays open for the cache (no QUIT) or is closed: the expiry and reuse
// count checks of smtp_loop (states DOT/ABORT).
func (s *session) keepAlive() bool {
	if s.d.a.Cache == nil || s.expire.IsZero() || s.noCache {
		return false
	}
	if s.expire.Unix() < s.d.a.now().Unix() {
		return false
	}
	lim := s.d.a.cfg.Cache.ReuseCountLimit
	return lim <= 0 || s.reuseCount < lim
}

// save hands a kept session to scache (smtp_save_session) and closes
// our copy in any case.
func (d *delivery) save(s *session) {
	fd, err := detachFD(s.conn)
	s.conn.Close()
	if err != nil {
		return
	}
	cc := &d.a.cfg.Cache
	el := endpLabel(cc.Service, s.nexthop, s.addr, s.port, s.tlsLevel)
	if d.reqNexthop != "" {
		d.a.Cache.SaveDest(cc.TimeLimit, destLabel(cc.Service, d.reqNexthop),
			destProps(s.nexthop, s.host, s.addr, s.features), el)
	}
	d.a.Cache.SaveEndp(cc.TimeLimit, el, endpProps(s.tlsLevel, s.reuseCount, s.features, s.expire.Unix(), s.proxy), fd)
}
