package agent

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"syscall"

	"github.com/postfix-go/postfix-go/internal/tlspolicy"
)

// tlsSession is a completed handshake and what verification found.
type tlsSession struct {
	conn *tls.Conn
	peerResult
	certPresent bool
}

// clientHandshake runs the TLS handshake on s.conn for the session's
// policy (tls_client_start). A nil result means the handshake did not
// complete; the reason was logged in stock's words and the connection
// is in an unknown state.
func (s *session) clientHandshake() *tlsSession {
	tc := s.d.a.cfg.TLS
	log := s.d.a.log
	pol := s.policy
	mask := tc.Log
	if pol.Level.MustMatch() {
		mask |= TLSLogUntrusted
	}
	if mask.has(TLSLogVerbose) {
		log.Info("setting up TLS connection to " + s.namaddrport)
	}
	minV, maxV, err := protocolRange(pol.Protocols)
	if errors.Is(err, errInvalidProtocols) {
		log.Warn(fmt.Sprintf("%s: Invalid TLS protocol list \"%s\": aborting TLS session", s.namaddrport, pol.Protocols))
		return nil
	}
	if err != nil {
		s.logHandshakeError(err)
		return nil
	}
	suites, err := cipherSuites(pol.CipherGrade, pol.Exclusions)
	if err != nil {
		log.Warn(fmt.Sprintf("%s: %v", s.namaddrport, err))
		return nil
	}
	if mask.has(TLSLogVerbose) {
		log.Info(fmt.Sprintf("%s: TLS cipher list \"%s\"", s.namaddrport, openSSLNames(suites)))
	}
	sentCert := false
	cfg := &tls.Config{
		// Verification is ours, after the handshake, as stock decides
		// on the result only once the session is up.
		InsecureSkipVerify: true,
		ServerName:         s.sniName(),
		MinVersion:         minV,
		MaxVersion:         maxV,
		CipherSuites:       suites,
		// Classic groups only: Postfix 3.7 with OpenSSL 3.0 offers no
		// post-quantum hybrids, and the log names exist only for these.
		CurvePreferences: []tls.CurveID{tls.X25519, tls.CurveP256, tls.CurveP384, tls.CurveP521},
	}
	cfg.ClientSessionCache = s.sessionCache(cfg)
	if len(tc.Certs) > 0 {
		cfg.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
			sentCert = true
			return &tc.Certs[0], nil
		}
	}
	conn := tls.Client(s.conn, cfg)
	ctx := s.d.ctx
	if tc.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, tc.Timeout)
		defer cancel()
	}
	if err := conn.HandshakeContext(ctx); err != nil {
		s.logHandshakeError(err)
		return nil
	}
	st := conn.ConnectionState()
	ts := &tlsSession{conn: conn, certPresent: len(st.PeerCertificates) > 0}
	ts.peerResult = verifyPeer(peerCheck{
		policy: &pol, chain: st.PeerCertificates, roots: tc.Roots, digests: tc.Digests,
		nexthop: s.tlsNexthop, host: s.host, namaddr: s.namaddrport, now: s.d.a.now(),
	})
	if st.DidResume && mask.has(TLSLogCache) {
		log.Info(s.namaddrport + ": Reusing old session")
	}
	s.logPeer(mask, ts, st)
	if mask.has(TLSLogSummary) {
		log.Info(summary(s.namaddrport, ts, st, sentCert, tc).String())
	}
	return ts
}

// sniName is the SNI to send: the TLSA base domain at DANE levels, else
// the policy's servername ("hostname", "nexthop" or a literal name).
// Go never sends an IP literal, as RFC 6066 requires.
func (s *session) sniName() string {
	p := s.policy
	if p.Level.DANEBased() && p.DANE != nil {
		return p.DANE.BaseDomain
	}
	name := p.SNI
	switch p.SNI {
	case "hostname":
		name = s.host
	case "nexthop":
		name = s.tlsNexthop
	}
	if a, err := tlspolicy.ToASCII(name); err == nil {
		name = a
	}
	return name
}

// logHandshakeError is stock's "SSL_connect error" report: the errno
// text for system errors, "lost connection" for EOF, else "-1" and the
// library's error.
func (s *session) logHandshakeError(err error) {
	log := s.d.a.log
	var errno syscall.Errno
	switch {
	case errors.Is(err, os.ErrDeadlineExceeded) || errors.Is(err, context.DeadlineExceeded):
		log.Info(fmt.Sprintf("SSL_connect error to %s: Connection timed out", s.namaddrport))
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed):
		log.Info(fmt.Sprintf("SSL_connect error to %s: lost connection", s.namaddrport))
	case errors.As(err, &errno):
		log.Info(fmt.Sprintf("SSL_connect error to %s: %s", s.namaddrport, strerror(errno.Error())))
	default:
		log.Info(fmt.Sprintf("SSL_connect error to %s: -1", s.namaddrport))
		log.Warn("TLS library problem: " + err.Error())
	}
}

// logPeer writes the verification lines of verify_extract_name and
// tls_client_post_connect, in their order.
func (s *session) logPeer(mask TLSLogMask, ts *tlsSession, st tls.ConnectionState) {
	log := s.d.a.log
	for _, w := range ts.warns {
		log.Warn(w)
	}
	if !ts.certPresent {
		return
	}
	chain := st.PeerCertificates
	// The depth lines come from the verify callback, which a resumed
	// session does not run.
	if mask.has(TLSLogVerbose|TLSLogCertMatch) && !st.DidResume {
		for d := len(chain) - 1; d >= 0; d-- {
			ok := 1
			if ts.err != nil && ts.err.Depth == d {
				ok = 0
			}
			log.Info(fmt.Sprintf("%s: depth=%d verify=%d subject=%s", s.namaddrport, d, ok, tlspolicy.OnelineName(chain[d].RawSubject)))
		}
	}
	details := mask.has(TLSLogCertMatch | TLSLogVerbose | TLSLogPeerCert)
	if ts.matched && details {
		if ts.peerName != "" {
			log.Info(tlspolicy.MatchedPeernameLog(s.namaddrport, ts.peerName))
		}
		if ts.dane != nil {
			log.Info(tlspolicy.DANEMatchLog(s.namaddrport, ts.level, *ts.dane))
		}
	}
	switch {
	case ts.matched || !mask.has(TLSLogUntrusted):
	case st.DidResume:
		log.Info(tlspolicy.ReusedUntrustedLog(s.namaddrport))
	case ts.err != nil:
		log.Info(tlspolicy.VerifyFailureLog(s.namaddrport, ts.err, false))
	}
	if details {
		leaf, h := chain[0], s.d.a.cfg.TLS.Digest
		peerCN := commonName(leaf.Subject.CommonName, ts.peerName)
		issuerCN := commonName(leaf.Issuer.CommonName, firstOf(leaf.Issuer.Organization))
		log.Info(tlspolicy.PeerCertLog(s.namaddrport, peerCN, issuerCN,
			tlspolicy.FormatFingerprint(tlspolicy.CertDigest(h, leaf)),
			tlspolicy.FormatFingerprint(tlspolicy.PublicKeyDigest(h, leaf))))
	}
}

// summary builds the "... TLS connection established to ..." line.
func summary(namaddr string, ts *tlsSession, st tls.ConnectionState, sentCert bool, tc *TLSClient) tlspolicy.Summary {
	verified := ts.trusted
	if ts.level.MustMatch() {
		verified = ts.matched
	}
	cipher, _ := tlspolicy.OpenSSLCipher(st.CipherSuite)
	sum := tlspolicy.Summary{
		Trust:    tlspolicy.PeerTrust(ts.certPresent, verified, ts.level),
		NamAddr:  namaddr,
		Protocol: tlspolicy.OpenSSLVersion(st.Version),
		Cipher:   cipher,
	}
	if st.Version != tls.VersionTLS13 {
		return sum
	}
	sum.KexName, sum.KexCurve = tlspolicy.KeyExchange(st.CurveID)
	if ts.certPresent {
		pub := st.PeerCertificates[0].PublicKey
		sum.ServerSigName, sum.ServerSigCurve, sum.ServerSigBits = tlspolicy.PeerSignature(pub)
		if !st.DidResume {
			sum.ServerSigDigest = tlspolicy.InferDigest(pub)
		}
	}
	if sentCert && len(tc.Certs[0].Certificate) > 0 {
		if leaf, err := x509.ParseCertificate(tc.Certs[0].Certificate[0]); err == nil {
			sum.ClientSigName, sum.ClientSigCurve, sum.ClientSigBits = tlspolicy.PeerSignature(leaf.PublicKey)
			sum.ClientSigDigest = tlspolicy.InferDigest(leaf.PublicKey)
		}
	}
	return sum
}

func commonName(cn, fallback string) string {
	if cn != "" {
		return cn
	}
	return fallback
}

func firstOf(list []string) string {
	if len(list) > 0 {
		return list[0]
	}
	return ""
}

// openSSLNames lists suites the way stock logs its cipher list; it is
// informational only (stock prints the OpenSSL cipher string).
func openSSLNames(ids []uint16) string {
	out := ""
	for i, id := range ids {
		c, _ := tlspolicy.OpenSSLCipher(id)
		if i > 0 {
			out += ":"
		}
		out += c.Name
	}
	return out
}
