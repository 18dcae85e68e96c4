package agent

import (
	"encoding/base64"
	"net"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/postfix-go/postfix-go/master-compat/attr"
	"github.com/postfix-go/postfix-go/smtp/internal/deliver"
	"github.com/postfix-go/postfix-go/smtp/internal/smtpwire"
)

// Connection caching, as stock 3.7.11 smtp(8) does it (smtp_connect.c,
// smtp_reuse.c, smtp_session.c, smtp_key.c; spec scache.md §2).
//
// Descriptor modes. The cached descriptor is the plain TCP socket, and
// it is in BLOCKING mode whenever it is in scache's hands, because a
// stock smtp process may take it over and stock uses blocking I/O with
// its own timeouts. Go's net package wants non-blocking sockets, and
// O_NONBLOCK is a property of the shared open file description, not of
// one descriptor. So:
//
//   - taking a socket from scache: net.FileConn dups it and sets
//     O_NONBLOCK (on the shared description); the received descriptor is
//     closed at once, so this process is the sole owner while it uses it;
//   - saving: after the last I/O the socket is dup'd (F_DUPFD_CLOEXEC),
//     O_NONBLOCK is cleared on the description through the dup, the
//     net.Conn is closed without further I/O, and the dup is handed to
//     scache (the client closes our copy afterwards).

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

// labelField encodes one label field: "*" when empty, base64 when the
// value holds a newline or "*" (smtp_key_append_str).
func labelField(b *strings.Builder, v string) {
	switch {
	case v == "":
		b.WriteString("*")
	case strings.ContainsAny(v, "\n*"):
		b.WriteString(base64.StdEncoding.EncodeToString([]byte(v)))
	default:
		b.WriteString(v)
	}
	b.WriteByte('\n')
}

// destLabel is SERVICE, REQ_NEXTHOP.
func destLabel(service, reqNexthop string) string {
	var b strings.Builder
	labelField(&b, service)
	labelField(&b, reqNexthop)
	return b.String()
}

// endpLabel is SERVICE, ADDR, PORT, TLS_LEVEL.
func endpLabel(service, addr string, port, tlsLevel int) string {
	var b strings.Builder
	labelField(&b, service)
	labelField(&b, addr)
	labelField(&b, strconv.FormatUint(uint64(uint32(port)), 10))
	labelField(&b, strconv.FormatUint(uint64(uint32(tlsLevel)), 10))
	return b.String()
}

// destProps is smtp_session_passivate's destination property string.
func destProps(nexthop, host, addr string, features smtpwire.Features) string {
	return attr.EncodePlain([]attr.Attr{
		{Name: "destination", Value: nexthop},
		{Name: "host_name", Value: host},
		{Name: "host_addr", Value: addr},
		{Name: "destination_features", Value: strconv.FormatUint(uint64(features&smtpwire.FeatureBestMX), 10)},
	})
}

// endpProps is smtp_session_passivate's endpoint property string
// (without a TLS context: this agent caches plain sessions only).
func endpProps(tlsLevel, reuseCount int, features smtpwire.Features, expire int64) string {
	return attr.EncodePlain([]attr.Attr{
		{Name: "tls_level", Value: strconv.FormatUint(uint64(uint32(tlsLevel)), 10)},
		{Name: "reuse_count", Value: strconv.FormatUint(uint64(uint32(reuseCount)), 10)},
		{Name: "endpoint_features", Value: strconv.FormatUint(uint64(features&smtpwire.EndpointMask), 10)},
		{Name: "expire_time", Value: strconv.FormatInt(expire, 10)},
	})
}

// scanOrdered is a non-strict forward scan: the wanted names must
// appear in this order, other names are skipped.
func scanOrdered(s string, names ...string) ([]string, string, bool) {
	attrs, rest, err := attr.ParsePlain(s)
	if err != nil {
		return nil, "", false
	}
	vals := make([]string, 0, len(names))
	for _, a := range attrs {
		if len(vals) < len(names) && a.Name == names[len(vals)] {
			vals = append(vals, a.Value)
		}
	}
	return vals, rest, len(vals) == len(names)
}

// cachedEndp is a parsed endpoint property string.
type cachedEndp struct {
	tlsLevel, reuseCount int
	features             smtpwire.Features
	expire               int64
}

// parseEndpProps is smtp_session_activate's endpoint part. tls is
// whether a TLS context follows or is required; this agent cannot use
// such sessions.
func parseEndpProps(s string) (e cachedEndp, tls, ok bool) {
	v, rest, ok := scanOrdered(s, "tls_level", "reuse_count", "endpoint_features", "expire_time")
	if !ok {
		return e, false, false
	}
	lvl, err1 := strconv.ParseUint(v[0], 10, 32)
	rc, err2 := strconv.ParseUint(v[1], 10, 32)
	f, err3 := strconv.ParseUint(v[2], 10, 32)
	exp, err4 := strconv.ParseInt(v[3], 10, 64)
	if err1 != nil || err2 != nil || err3 != nil || err4 != nil {
		return e, false, false
	}
	e = cachedEndp{int(lvl), int(rc), smtpwire.Features(f), exp}
	return e, lvl > 1 || (lvl == 1 && rest != ""), true
}

// cachedDest is a parsed destination property string.
type cachedDest struct {
	nexthop, host, addr string
	features            smtpwire.Features
}

func parseDestProps(s string) (cachedDest, bool) {
	v, _, ok := scanOrdered(s, "destination", "host_name", "host_addr", "destination_features")
	if !ok {
		return cachedDest{}, false
	}
	f, err := strconv.ParseUint(v[3], 10, 32)
	if err != nil {
		return cachedDest{}, false
	}
	return cachedDest{v[0], v[1], v[2], smtpwire.Features(f)}, true
}

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
	label := endpLabel(cc.Service, dst.addr, dst.port, dst.tlsLevelLabel())
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
	if tls {
		// A TLS session through tlsproxy: this agent has no TLS.
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
	// The RSET probe (smtp_reuse_common): any failure is silent.
	r, err := s.chat("RSET", d.a.cfg.Timeouts.RSET)
	if err != nil || r.Class() != 2 {
		conn.Close()
		return nil
	}
	return s
}

// fdConn wraps a descriptor received from scache and takes ownership
// of it (see the comment at the top about O_NONBLOCK).
func fdConn(fd int) (net.Conn, error) {
	f := os.NewFile(uintptr(fd), "scache")
	conn, err := net.FileConn(f)
	f.Close()
	return conn, err
}

// detachFD returns a blocking duplicate of conn's socket for scache.
// conn must not be used for I/O afterwards.
func detachFD(conn net.Conn) (int, error) {
	sc, ok := conn.(syscall.Conn)
	if !ok {
		return -1, syscall.EINVAL
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return -1, err
	}
	nfd, derr := -1, error(nil)
	if err := raw.Control(func(fd uintptr) {
		nfd, derr = unix.FcntlInt(fd, unix.F_DUPFD_CLOEXEC, 0)
	}); err != nil {
		return -1, err
	}
	if derr != nil {
		return -1, derr
	}
	fl, err := unix.FcntlInt(uintptr(nfd), unix.F_GETFL, 0)
	if err == nil && fl&unix.O_NONBLOCK != 0 {
		_, err = unix.FcntlInt(uintptr(nfd), unix.F_SETFL, fl&^unix.O_NONBLOCK)
	}
	if err != nil {
		unix.Close(nfd)
		return -1, err
	}
	return nfd, nil
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
	el := endpLabel(cc.Service, s.addr, s.port, s.tlsLevel)
	if d.reqNexthop != "" {
		d.a.Cache.SaveDest(cc.TimeLimit, destLabel(cc.Service, d.reqNexthop),
			destProps(s.nexthop, s.host, s.addr, s.features), el)
	}
	d.a.Cache.SaveEndp(cc.TimeLimit, el, endpProps(s.tlsLevel, s.reuseCount, s.features, s.expire.Unix()), fd)
}
