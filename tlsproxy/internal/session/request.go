package session

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"time"

	"github.com/postfix-go/postfix-go/internal/tlsproxyproto"
	"github.com/postfix-go/postfix-go/master-compat/attr"
	"github.com/postfix-go/postfix-go/master-compat/fdpass"
)

// Request size bounds: a client-role request is 1.3–1.6 KB in practice;
// DANE records can add a few KB. Anything beyond is not a Postfix peer.
const (
	maxRequestBytes = 1 << 20
	maxTokenBytes   = 64 << 10
	streamPath      = "tlsproxy socket"
)

// state is one session after its request was read.
type state struct {
	svc      *Service
	plain    *net.UnixConn // to postscreen or smtp
	req      tlsproxyproto.Request
	endpoint string // remote_endpoint, for logs
	// handshakeDone is set once TLS is up; until then the end of the
	// session logs stock's "TLS handshake failed" line.
	handshakeDone bool
}

func (s *Service) serve(c net.Conn) {
	log := s.cfg.Log
	uc, ok := c.(*net.UnixConn)
	if !ok {
		// Descriptors travel only over unix-domain sockets.
		log.Warnf("connection from a non-unix socket (%s) refused", c.RemoteAddr())
		return
	}
	var sc *attr.Scanner
	var req tlsproxyproto.Request
	var err error
	s.guard(func() {
		uc.SetDeadline(time.Now().Add(s.cfg.IOTimeout))
		if _, werr := uc.Write(tlsproxyproto.AppendAnnounce(nil, tlsproxyproto.TLSProxyProtocol)); werr != nil {
			// Stock carries on; the read below will fail too.
			log.Warnf("write protocol attribute: %v", werr)
		}
		lr := &io.LimitedReader{R: uc, N: maxRequestBytes}
		sc = attr.NewScanner(lr, streamPath, func(m string) { log.Warnf("%s", m) })
		sc.MaxToken = maxTokenBytes
		req, err = tlsproxyproto.DecodeRequest(sc)
	})
	if err != nil {
		log.Warnf("tlsp_get_request_event: %v", readErr(err))
		return
	}
	st := &state{svc: s, plain: uc, req: req, endpoint: req.RemoteEndpoint}
	log.Infof("CONNECT %s %s", req.Direction(), st.endpoint)
	defer func() {
		if !st.handshakeDone {
			log.Infof("TLS handshake failed for service=%s peer=%s", req.ServerID, st.endpoint)
		}
		log.Infof("DISCONNECT %s", st.endpoint)
	}()
	switch req.Role() {
	case tlsproxyproto.RoleServer:
		// 3.7 sends no server-role settings: reply right away.
		st.serverRole(sc)
	case tlsproxyproto.RoleClient:
		st.clientRole(sc)
	default:
		log.Warnf("tlsp_get_request_event: bad request flags: 0x%x", req.Flags)
		st.refuse()
	}
}

// readErr words a request read failure like stock's %m: a client that
// hung up is "unexpected EOF", garbage gets the decoder's text.
func readErr(err error) error {
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return fmt.Errorf("%w (timeout)", err)
	}
	return err
}

// checkNoExtra refuses a request followed by more bytes before the
// status: no Postfix client sends any, and bytes read past the request
// would break the descriptor hand-over.
func (st *state) checkNoExtra(sc *attr.Scanner) bool {
	if n := sc.Buffered(); n > 0 {
		st.svc.cfg.Log.Warnf("tlsp_get_request_event: %d unexpected bytes after the request from %s", n, st.endpoint)
		return false
	}
	return true
}

// sendStatus writes the status list.
func (st *state) sendStatus(status int) bool {
	st.plain.SetWriteDeadline(time.Now().Add(st.svc.cfg.IOTimeout))
	if _, err := st.plain.Write(tlsproxyproto.AppendStatus(nil, status)); err != nil {
		st.svc.cfg.Log.Warnf("tlsp_get_request_event: send status: %v", err)
		return false
	}
	return true
}

// refuse answers status 0 and, as stock does, waits for the client to
// hang up (it logs "service role ... is not available" on its side).
// Reads are bounded in size and time.
func (st *state) refuse() {
	if !st.sendStatus(0) {
		return
	}
	st.plain.SetReadDeadline(time.Now().Add(st.svc.cfg.FDTimeout))
	io.Copy(io.Discard, io.LimitReader(st.plain, 64<<10))
}

// receivePeer sends status 1 and takes the remote peer's socket. The
// returned connection owns its own descriptor.
func (st *state) receivePeer() (net.Conn, bool) {
	log := st.svc.cfg.Log
	if !st.sendStatus(1) {
		return nil, false
	}
	raw, err := st.plain.SyscallConn()
	if err != nil {
		log.Warnf("tlsp_get_fd_event: %v", err)
		return nil, false
	}
	st.plain.SetReadDeadline(time.Now().Add(st.svc.cfg.FDTimeout))
	fd, err := fdpass.Recv(raw)
	if err != nil {
		log.Warnf("tlsp_get_fd_event: receive remote SMTP peer file descriptor: %v", err)
		return nil, false
	}
	f := os.NewFile(uintptr(fd), "remote-peer")
	nc, err := net.FileConn(f) // a non-blocking duplicate under the poller
	f.Close()
	if err != nil {
		log.Warnf("tlsp_get_fd_event: remote SMTP peer descriptor: %v", err)
		return nil, false
	}
	st.plain.SetDeadline(time.Time{})
	return nc, true
}

// timeout converts a request timeout in seconds, with a floor so that a
// zero or bogus value from a peer cannot mean "no time at all".
func timeout(sec int, extra time.Duration) time.Duration {
	if sec <= 0 {
		sec = 300
	}
	return time.Duration(sec)*time.Second + extra
}
