package session

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"time"

	"github.com/postfix-go/postfix-go/internal/tlspolicy"
	"github.com/postfix-go/postfix-go/internal/tlsproxyproto"
	"github.com/postfix-go/postfix-go/master-compat/attr"
)

// serverRole accepts TLS from the remote SMTP client on postscreen's
// behalf, with tlsproxy's own tlsproxy_tls_* configuration.
func (st *state) serverRole(sc *attr.Scanner) {
	role := st.svc.cfg.Server
	if !st.checkNoExtra(sc) {
		return
	}
	if role == nil {
		st.refuse()
		return
	}
	peer, ok := st.receivePeer()
	if !ok {
		return
	}
	defer peer.Close()
	tc := tls.Server(peer, role.TLS)
	ctx, cancel := context.WithTimeout(context.Background(), timeout(st.req.HandshakeTimeout, 0))
	err := tc.HandshakeContext(ctx)
	cancel()
	if err != nil {
		st.handshakeError("SSL_accept error from "+st.endpoint, err)
		return
	}
	st.handshakeDone = true
	cs := tc.ConnectionState()
	c, sum := describe(cs, describeArgs{
		server: true, namaddr: st.endpoint, mdalg: role.MDAlg,
		own: ownCert(role.TLS), level: tlsproxyproto.LevelNone,
	})
	c.PeerStatus = peerStatusServer(role.TLS, cs)
	if c.PeerStatus&tlsproxyproto.PeerTrusted != 0 {
		sum.Trust = tlspolicy.Trusted
	}
	if role.LogSummary {
		st.svc.cfg.Log.Info(sum.String())
	}
	if st.req.Flags&tlsproxyproto.FlagSendContext != 0 && !st.sendContext(c) {
		tc.Close()
		return
	}
	st.relay(tc, peer)
}

// handshakeError logs a failed handshake the way stock's TLS layer does:
// a peer that went away is "lost connection", anything else is reported
// as the library problem it is.
func (st *state) handshakeError(prefix string, err error) {
	log := st.svc.cfg.Log
	var ne net.Error
	switch {
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed):
		log.Infof("%s: lost connection", prefix)
	case errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()):
		log.Infof("%s: timeout", prefix)
	default:
		log.Infof("%s: -1", prefix)
		log.Warnf("TLS library problem: %v", err)
	}
}

// sendContext writes the TLS context list before any relayed byte.
func (st *state) sendContext(c tlsproxyproto.Context) bool {
	st.plain.SetWriteDeadline(time.Now().Add(st.svc.cfg.IOTimeout))
	_, err := st.plain.Write(c.Append(nil))
	st.plain.SetWriteDeadline(time.Time{})
	if err != nil {
		st.svc.cfg.Log.Warnf("cannot send TLS context: %v", err)
		return false
	}
	return true
}

// ownCert is the certificate the server presented, for the summary's
// server-signature part. Go offers the first configured certificate
// the client supports; with RSA first (the parameter order) that is the
// first one for every real client.
func ownCert(cfg *tls.Config) *tls.Certificate {
	if len(cfg.Certificates) == 0 {
		return nil
	}
	return &cfg.Certificates[0]
}

// peerStatusServer sets the certificate bits for a client certificate:
// present, and trusted when it verifies against tlsproxy_tls_CAfile.
func peerStatusServer(cfg *tls.Config, cs tls.ConnectionState) int {
	if len(cs.PeerCertificates) == 0 {
		return 0
	}
	st := tlsproxyproto.PeerPresent
	if len(cs.VerifiedChains) > 0 || verifyClientChain(cfg, cs.PeerCertificates) == nil {
		st |= tlsproxyproto.PeerTrusted
	}
	return st
}
