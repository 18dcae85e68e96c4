package bench

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/postfix-go/postfix-go/master-compat/attr"
	"github.com/postfix-go/postfix-go/master-compat/fdpass"
)

const (
	// tpAnnounce is tlsproxy's greeting on its private socket.
	tpAnnounce = "protocol\x00tlsproxy_protocol\x00\x00"
	tpStatusOK = "status\x001\x00\x00"
	// tpRoleServer is TLS_PROXY_FLAG_ROLE_SERVER, what postscreen asks
	// for (no TLS_PROXY_FLAG_SEND_CONTEXT).
	tpRoleServer = 1
	// tpCmdTimeout is postscreen_command_time_limit's default, which
	// postscreen sends as both timeouts.
	tpCmdTimeout = 300
	tpChunk      = 64 << 10
)

// tpSession is one server-role session, set up as postscreen(8) sets it
// up: plain is postscreen's side (the tlsproxy socket, plaintext once
// the handshake is done), remote the SMTP client's end of the TCP
// connection whose other end tlsproxy now owns.
type tpSession struct {
	plain  *net.UnixConn
	pr     *bufio.Reader
	remote *net.TCPConn
}

// openServerSession does postscreen's part: a TCP connection from the
// "remote client" accepted on ln, the tlsproxy request, its status, and
// the accepted socket passed with SCM_RIGHTS (our copy closed, as
// postscreen closes its own).
func openServerSession(sock string, ln *net.TCPListener) (s *tpSession, err error) {
	deadline := time.Now().Add(stepTimeout)
	remote, err := net.DialTCP("tcp", nil, ln.Addr().(*net.TCPAddr))
	if err != nil {
		return nil, err
	}
	s = &tpSession{remote: remote}
	defer func() {
		if err != nil {
			s.close()
		}
	}()
	remote.SetDeadline(deadline)
	local, err := ln.AcceptTCP()
	if err != nil {
		return s, err
	}
	f, err := local.File()
	local.Close()
	if err != nil {
		return s, err
	}
	defer f.Close()

	c, err := net.DialTimeout("unix", sock, dialTimeout)
	if err != nil {
		return s, err
	}
	s.plain = c.(*net.UnixConn)
	s.plain.SetDeadline(deadline)
	// tlsproxy writes nothing after the status until the handshake is
	// over, so the reader cannot swallow anything it should not; it
	// then serves for the plaintext.
	s.pr = bufio.NewReaderSize(s.plain, tpChunk)
	if got, err := readAttrList(s.pr); err != nil || got != tpAnnounce {
		return s, fmt.Errorf("announcement %q: %v", got, err)
	}
	var req []byte
	req = attr.AppendStr(req, "remote_endpoint", fmt.Sprintf("[127.0.0.1]:%d", remote.LocalAddr().(*net.TCPAddr).Port))
	req = attr.AppendInt(req, "flags", tpRoleServer)
	req = attr.AppendInt(req, "timeout", tpCmdTimeout)
	req = attr.AppendInt(req, "timeout", tpCmdTimeout)
	req = attr.AppendStr(req, "serverid", "smtpd")
	if _, err := s.plain.Write(attr.AppendEnd(req)); err != nil {
		return s, err
	}
	if got, err := readAttrList(s.pr); err != nil || got != tpStatusOK {
		return s, fmt.Errorf("status %q: %v", got, err)
	}
	raw, err := s.plain.SyscallConn()
	if err != nil {
		return s, err
	}
	if err := fdpass.Send(raw, int(f.Fd())); err != nil {
		return s, fmt.Errorf("pass descriptor: %w", err)
	}
	return s, nil
}

func (s *tpSession) close() {
	if s.plain != nil {
		s.plain.Close()
	}
	if s.remote != nil {
		s.remote.Close()
	}
}

// readAttrList reads one attr0 list, up to its empty name.
func readAttrList(r *bufio.Reader) (string, error) {
	var b bytes.Buffer
	for {
		name, err := r.ReadBytes(0)
		b.Write(name)
		if err != nil || len(name) == 1 {
			return b.String(), err
		}
		v, err := r.ReadBytes(0)
		b.Write(v)
		if err != nil {
			return b.String(), err
		}
	}
}

// tlsClientConfig is what the remote SMTP client offers: no session
// cache (every handshake is a full one, as for a first-time client),
// and the key-exchange groups of an OpenSSL 3.0 client rather than Go's
// default hybrid post-quantum share, which neither tlsproxy picks.
func (r *tpRunner) tlsClientConfig(verify bool) *tls.Config {
	return &tls.Config{
		RootCAs:            r.certs.Pool,
		ServerName:         tpServerName,
		InsecureSkipVerify: !verify,
		CurvePreferences:   []tls.CurveID{tls.X25519, tls.CurveP256},
	}
}

// handshake runs the client's handshake and one line each way through
// the proxy (which proves tlsproxy finished its side and relays), then
// closes as a client would: close_notify, then postscreen hangs up.
func (r *tpRunner) handshake(p *tlsProxy, ln *net.TCPListener, verify bool) error {
	s, err := openServerSession(p.sock, ln)
	if err != nil {
		return err
	}
	defer s.close()
	tc := tls.Client(s.remote, r.tlsClientConfig(verify))
	if err := tc.Handshake(); err != nil {
		return fmt.Errorf("TLS handshake: %w", err)
	}
	if verify && p.tlsInfo == "" {
		cs := tc.ConnectionState()
		p.tlsInfo = fmt.Sprintf("%s, %s, %s", tls.VersionName(cs.Version), tls.CipherSuiteName(cs.CipherSuite), cs.CurveID)
	}
	const ehlo, reply = "EHLO client.bench.example\r\n", "250 vm.example\r\n"
	if _, err := io.WriteString(tc, ehlo); err != nil {
		return err
	}
	if line, err := s.pr.ReadString('\n'); err != nil || line != ehlo {
		return fmt.Errorf("relayed %q: %v", line, err)
	}
	if _, err := io.WriteString(s.plain, reply); err != nil {
		return err
	}
	buf := make([]byte, len(reply))
	if _, err := io.ReadFull(tc, buf); err != nil || string(buf) != reply {
		return fmt.Errorf("relayed back %q: %v", buf, err)
	}
	return tc.Close()
}

// handshakeRound runs n sessions over r.cfg.clients concurrent clients
// and times the lot.
func (r *tpRunner) handshakeRound(p *tlsProxy, n int) (tpResult, error) {
	res := tpResult{units: float64(n)}
	workers := min(r.cfg.clients, n)
	lns := make([]*net.TCPListener, workers) // one each: accept finds its own dial
	for i := range lns {
		ln, err := net.ListenTCP("tcp", &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)})
		if err != nil {
			return res, err
		}
		defer ln.Close()
		lns[i] = ln
	}
	before, err := r.sample(p)
	if err != nil {
		return res, err
	}
	var (
		next     atomic.Int64
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
	)
	start := time.Now()
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1)
				if i > int64(n) {
					return
				}
				// The first session of each round checks the
				// certificate; the rest skip the client-side chain
				// verification, which costs the bench process only.
				if err := r.handshake(p, lns[w], i == 1); err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = fmt.Errorf("session %d: %w", i, err)
					}
					mu.Unlock()
					next.Store(int64(n)) // stop the others
					return
				}
			}
		}()
	}
	wg.Wait()
	res.wall = time.Since(start)
	if firstErr != nil {
		return res, firstErr
	}
	return res, r.measure(p, before, &res)
}

// throughputRound pushes mib MiB through one established session in
// each direction: TLS client to plaintext side ("up": tlsproxy
// decrypts) and back ("down": tlsproxy encrypts), timing each until the
// last byte arrived.
func (r *tpRunner) throughputRound(p *tlsProxy, mib int) (map[string]tpResult, error) {
	ln, err := net.ListenTCP("tcp", &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		return nil, err
	}
	defer ln.Close()
	s, err := openServerSession(p.sock, ln)
	if err != nil {
		return nil, err
	}
	defer s.close()
	tc := tls.Client(s.remote, r.tlsClientConfig(true))
	if err := tc.Handshake(); err != nil {
		return nil, fmt.Errorf("TLS handshake: %w", err)
	}
	total := int64(mib) << 20
	chunk := make([]byte, tpChunk)
	for i := range chunk {
		chunk[i] = byte(i*7 + i>>8) // any bytes: TLS does not compress
	}
	push := func(w io.Writer) <-chan error {
		ch := make(chan error, 1)
		go func() {
			var err error
			for left := total; left > 0 && err == nil; left -= tpChunk {
				_, err = w.Write(chunk[:min(left, tpChunk)])
			}
			ch <- err
		}()
		return ch
	}
	dir := func(w io.Writer, rd io.Reader) (tpResult, error) {
		res := tpResult{units: float64(mib)}
		deadline := time.Now().Add(stepTimeout)
		s.plain.SetDeadline(deadline)
		s.remote.SetDeadline(deadline)
		before, err := r.sample(p)
		if err != nil {
			return res, err
		}
		start := time.Now()
		done := push(w)
		n, err := io.CopyN(io.Discard, rd, total)
		res.wall = time.Since(start)
		if werr := <-done; werr != nil && err == nil {
			err = werr
		}
		if err != nil {
			return res, fmt.Errorf("after %d of %d bytes: %w", n, total, err)
		}
		return res, r.measure(p, before, &res)
	}
	up, err := dir(tc, s.pr)
	if err != nil {
		return nil, fmt.Errorf("up: %w", err)
	}
	down, err := dir(s.plain, tc)
	if err != nil {
		return nil, fmt.Errorf("down: %w", err)
	}
	tc.Close()
	return map[string]tpResult{phaseUp: up, phaseDown: down}, nil
}
