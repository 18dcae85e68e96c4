package agent

import (
	"bufio"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/postfix-go/postfix-go/internal/tlspolicy"
	"github.com/postfix-go/postfix-go/internal/tlsproxyproto"
	"github.com/postfix-go/postfix-go/master-compat/attr"
	"github.com/postfix-go/postfix-go/master-compat/fdpass"
	"github.com/postfix-go/postfix-go/smtp/internal/smtpwire"
)

// TLSProxy is the tlsproxy(8) client (smtp_tls_connection_reuse, or
// connection_reuse=yes in a policy entry). With it the TLS session
// lives in tlsproxy, so the smtp side of it is a plain UNIX socket that
// can be handed to scache and taken over by any smtp process. The
// lists exchanged with tlsproxy are internal/tlsproxyproto's.
type TLSProxy struct {
	// Path is "private/" + tlsproxy_service_name, relative to the queue
	// directory; it also names the service in warnings, as in stock.
	Path string
	// Params are the 20 global TLS parameters stock sends first in
	// list 2 (TLS_CLIENT_PARAMS, 3.7.6+). tlsproxy does not apply them;
	// stock tlsproxy compares them with its own main.cf and warns on
	// any difference, so they must be this process's main.cf values.
	Params tlsproxyproto.ClientParams
	// Init are the TLS_CLIENT_INIT_PROPS: what stock would give
	// tls_client_init(). tlsproxy keys its client contexts on them and
	// reads the certificate and CA files they name.
	Init tlsproxyproto.ClientInitProps
	// Dial replaces the UNIX-domain connect (tests).
	Dial func(ctx context.Context) (net.Conn, error)
}

// proxyInitTimeout is TLSPROXY_INIT_TIMEOUT, stock's connect limit.
const proxyInitTimeout = 10 * time.Second

func (p *TLSProxy) dial(ctx context.Context) (net.Conn, error) {
	ctx, cancel := context.WithTimeout(ctx, proxyInitTimeout)
	defer cancel()
	if p.Dial != nil {
		return p.Dial(ctx)
	}
	var d net.Dialer
	return d.DialContext(ctx, "unix", p.Path)
}

// useProxy tells whether this session's TLS goes through tlsproxy.
// There is no fallback to in-process TLS (stock: the administrator
// asked for reuse to respect the receiver's policy).
func (s *session) useProxy() bool {
	tc := s.d.a.cfg.TLS
	return tc != nil && tc.Proxy != nil && s.policy.ConnectionReuse
}

// tlsActive reports whether the session runs over TLS, in-process or
// through tlsproxy.
func (s *session) tlsActive() bool { return s.tls != nil || s.proxy != nil }

// startTLSProxy is smtp_start_tls with conn_reuse: tlsproxy does the
// handshake on our TCP socket, and the SMTP dialogue goes on in
// plaintext over the tlsproxy socket, which stays cacheable.
func (s *session) startTLSProxy() *trouble {
	// Server bytes after its 220 would be injected plaintext; stock
	// purges the stream buffers before reading the context.
	if n := s.br.Buffered(); n > 0 {
		s.br.Discard(n)
	}
	pc, conn, br := s.proxyHandshake()
	if pc == nil {
		// DONT_USE_FORBIDDEN_SESSION: nothing more is said to anyone.
		s.noCache = true
		s.maybeRetryPlain()
		status, text := tlspolicy.HandshakeFailureDSN()
		return &trouble{dsn: localDSN(status, text), throttle: s.policy.Level != tlspolicy.LevelMay, broken: true}
	}
	s.proxy = pc
	s.conn, s.br = conn, br
	s.bw = bufio.NewWriter(&deadlineWriter{conn: conn, timeout: &s.writeTimeout})
	s.d.a.log.Info(proxySummary(pc, false).String())
	// The context's level, not the policy's: dane falls back to encrypt
	// in tlsproxy when no TLSA record was usable.
	if tlspolicy.Level(pc.Level).MustMatch() && pc.PeerStatus&tlsproxyproto.PeerMatched == 0 {
		status, text := tlspolicy.NotVerifiedDSN()
		return &trouble{dsn: localDSN(status, text), throttle: true}
	}
	// FROM_PROXY survives the new EHLO (learn keeps it) and goes into
	// the endpoint features of the cached session.
	s.features = smtpwire.FeatureFromProxy
	if s.d.a.cfg.TLS.Wrapper {
		return nil
	}
	return s.hello()
}

// proxyHandshake is tls_proxy_open plus tls_proxy_context_receive. It
// returns the context and the tlsproxy socket with its reader, which
// may already hold the server's first plaintext bytes; nil means
// failure, with stock's warning logged and the TCP socket closed.
func (s *session) proxyHandshake() (*tlsproxyproto.Context, net.Conn, *bufio.Reader) {
	tc := s.d.a.cfg.TLS
	px, log := tc.Proxy, s.d.a.log
	conn, err := px.dial(s.d.ctx)
	if err != nil {
		log.Warn(fmt.Sprintf("connect to %s service: %s", px.Path, connectError(err)))
		return nil, nil, nil
	}
	ok := false
	defer func() {
		if !ok {
			conn.Close()
		}
	}()
	// Each exchange below is bounded by the STARTTLS timeout, as the
	// stock stream's timeout is the one of the last SMTP command.
	limit := func() { conn.SetDeadline(time.Now().Add(max(tc.Timeout, time.Second))) }
	limit()
	br := bufio.NewReader(conn)
	sc := attr.NewScanner(br, px.Path, nil)
	if err := tlsproxyproto.DecodeAnnounce(sc, tlsproxyproto.TLSProxyProtocol); err != nil {
		log.Warn(fmt.Sprintf("error receiving %s service initial response", px.Path))
		return nil, nil, nil
	}
	req := s.proxyRequest()
	if _, err := conn.Write(req); err != nil {
		log.Warn(fmt.Sprintf("error sending request to %s service: %s", px.Path, connectError(err)))
		return nil, nil, nil
	}
	if status, err := tlsproxyproto.DecodeStatus(sc); err != nil || status == 0 {
		log.Warn(fmt.Sprintf("%s service role \"client\" is not available", px.Path))
		return nil, nil, nil
	}
	if err := passConn(conn, s.conn); err != nil {
		log.Warn(fmt.Sprintf("sending file handle to %s service: %s", px.Path, connectError(err)))
		return nil, nil, nil
	}
	// tlsproxy owns the TCP connection now; ours is only a duplicate.
	s.conn.Close()
	limit()
	pc, err := tlsproxyproto.DecodeContext(sc)
	if err != nil {
		// EOF: tlsproxy logged why the handshake failed; stock smtp
		// says nothing more than the deferral reason.
		return nil, nil, nil
	}
	conn.SetDeadline(time.Time{})
	ok = true
	return &pc, conn, br
}

// passConn sends peer's descriptor over the tlsproxy socket.
func passConn(conn, peer net.Conn) error {
	pc, ok1 := peer.(syscall.Conn)
	uc, ok2 := conn.(syscall.Conn)
	if !ok1 || !ok2 {
		return errors.New("connection has no descriptor")
	}
	praw, err := pc.SyscallConn()
	if err != nil {
		return err
	}
	uraw, err := uc.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	if err := praw.Control(func(fd uintptr) { serr = fdpass.Send(uraw, int(fd)) }); err != nil {
		return err
	}
	return serr
}

// proxyRequest builds lists 1 and 2 for this session, which stock
// sends in one write.
func (s *session) proxyRequest() []byte {
	cfg := &s.d.a.cfg
	tc := cfg.TLS
	px := tc.Proxy
	secs := func(d time.Duration) int { return int(d / time.Second) }
	req := tlsproxyproto.ClientRequest(fmt.Sprintf("[%s]:%d", s.addr, s.port),
		secs(tc.Timeout), secs(cfg.Timeouts.DataDone), cfg.ServiceName)
	set := tlsproxyproto.ClientSettings{Params: px.Params, Init: px.Init,
		Start: s.proxyStart(secs(tc.Timeout), px.Init.MDAlg)}
	return set.Append(req.Append(nil))
}

// proxyStart is TLS_PROXY_CLIENT_START_PROPS as smtp_start_tls fills it
// from the session and its policy.
func (s *session) proxyStart(timeout int, mdalg string) tlsproxyproto.ClientStartProps {
	p := &s.policy
	nexthop := s.tlsNexthop
	if nexthop == "" {
		// LMTP over a UNIX-domain socket: the name "secure" matches.
		nexthop = s.d.a.cfg.MyHostname
	}
	st := tlsproxyproto.ClientStartProps{
		Timeout: timeout, TLSLevel: int(p.Level), Nexthop: nexthop, Host: s.host,
		Namaddr: s.namaddrport, SNI: p.SNI, Helo: s.helo,
		// The session-cache key: SERVICE, CUR_NEXTHOP, HOSTNAME, ADDR.
		ServerID:  keyPrefix("&", s.d.a.cfg.ServiceName, s.nexthop, s.host, s.addr),
		Protocols: p.Protocols, CipherGrade: p.CipherGrade, CipherExclusions: p.Exclusions,
		MatchArgv: p.Match, MDAlg: mdalg,
	}
	var recs []tlspolicy.TLSA
	dane := new(tlsproxyproto.DANE)
	switch {
	case p.Level == tlspolicy.LevelFingerprint:
		recs = tlspolicy.FingerprintRecords(p.Fingerprints)
	case p.Level.DANEBased() && p.DANE != nil:
		dane.BaseDomain, recs = p.DANE.BaseDomain, p.DANE.Records
	case p.Level.MustPKIX() && len(p.TrustAnchors) > 0:
		recs = p.TrustAnchors
	default:
		return st
	}
	// Stock prepends each record it adds to its list, so the wire
	// carries them last-added first (captured for fingerprints).
	recs = slices.Clone(recs)
	if !p.Level.DANEBased() {
		slices.Reverse(recs)
	}
	for _, r := range recs {
		dane.TLSA = append(dane.TLSA, tlsproxyproto.TLSA{Usage: int(r.Usage), Selector: int(r.Selector),
			MType: int(r.MatchingType), Data: r.Data})
	}
	st.DANE = dane
	return st
}

// keyPrefix is smtp_key_prefix for the given fields and delimiter: an
// empty field is the bare delimiter, a field holding the delimiter is
// base64 (then the delimiter).
func keyPrefix(delim string, fields ...string) string {
	var b strings.Builder
	for _, f := range fields {
		switch {
		case f == "":
		case strings.Contains(f, delim):
			b.WriteString(base64.StdEncoding.EncodeToString([]byte(f)))
		default:
			b.WriteString(f)
		}
		b.WriteString(delim)
	}
	return b.String()
}

// proxySummary is tls_log_summary for a context: the trust word comes
// from the peer status bits tlsproxy computed.
func proxySummary(c *tlsproxyproto.Context, reused bool) tlspolicy.Summary {
	trust := tlspolicy.Anonymous
	switch {
	case c.PeerStatus&tlsproxyproto.PeerPresent == 0:
	case c.PeerStatus&tlsproxyproto.PeerSecured != 0:
		trust = tlspolicy.Verified
	case c.PeerStatus&tlsproxyproto.PeerTrusted != 0:
		trust = tlspolicy.Trusted
	default:
		trust = tlspolicy.Untrusted
	}
	return tlspolicy.Summary{
		Trust: trust, Reused: reused, NamAddr: c.Namaddr, Protocol: c.Protocol,
		Cipher:  tlspolicy.CipherInfo{Name: c.CipherName, UseBits: c.CipherUseBits, AlgBits: c.CipherAlgBits},
		KexName: c.KexName, KexCurve: c.KexCurve, KexBits: c.KexBits,
		ServerSigName: c.SrvrSigName, ServerSigCurve: c.SrvrSigCurve, ServerSigBits: c.SrvrSigBits, ServerSigDigest: c.SrvrSigDigest,
		ClientSigName: c.ClntSigName, ClientSigCurve: c.ClntSigCurve, ClientSigBits: c.ClntSigBits, ClientSigDigest: c.ClntSigDigest,
	}
}
