package agent

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"os"
	"time"

	"github.com/postfix-go/postfix-go/internal/tlspolicy"
	"github.com/postfix-go/postfix-go/internal/tlsproxyproto"
	"github.com/postfix-go/postfix-go/master-compat/statusclient"
	"github.com/postfix-go/postfix-go/smtp/internal/smtpwire"
)

// session is one SMTP connection. Its methods are the protocol steps in
// order (greet, hello, transaction); each returns a *trouble when the
// step failed in a way that ends the session, and the caller decides
// what to say to the server on the way out.
type session struct {
	d           *delivery
	conn        net.Conn
	br          *bufio.Reader
	bw          *bufio.Writer
	host        string
	addr        string
	port        int
	namaddr     string // host[addr]
	namaddrport string // host[addr]:port
	features    smtpwire.Features
	sizeLimit   int64
	ropt        smtpwire.ReadOptions
	// writeTimeout bounds each write of the command or content being
	// sent (the stage's smtp_*_timeout).
	writeTimeout time.Duration

	// Connection cache state (smtp_session.c).
	fromCache  bool      // taken from scache (FROM_CACHE)
	nexthop    string    // iterator next-hop, for the destination properties
	tlsLevel   int       // TLS level for the endpoint label
	reuseCount int       // times this connection was reused before
	expire     time.Time // zero: not cacheable
	noCache    bool      // something abnormal happened
	kept       bool      // transaction ended without QUIT, to be saved

	// TLS state (smtp_start_tls): the destination's policy, the bare
	// next-hop domain for "nexthop" name checks, and the session once
	// the handshake completed. retryPlain asks for a plaintext retry of
	// the same address; savedFinal is the final-server flag it hid.
	policy     tlspolicy.Policy
	tlsNexthop string
	tls        *tlsSession
	retryPlain bool
	// proxy is the TLS context when tlsproxy holds the TLS session
	// (then conn is the tlsproxy socket); helo is the server's EHLO
	// name, part of tlsproxy's session-cache key.
	proxy      *tlsproxyproto.Context
	helo       string
	savedFinal bool
}

// trouble is a failure that ends the session for all remaining
// recipients: a site failure (throttle) or a message failure.
type trouble struct {
	dsn      statusclient.DSN
	throttle bool // site failure: may become the hop status
	// broken: the connection is unusable (I/O error); nothing more is
	// sent. Otherwise RSET (when in a transaction) and QUIT follow.
	broken bool
	// quiet: the failure came after every recipient was settled (the
	// final RSET or QUIT); nobody is failed because of it.
	quiet bool
	// lostBody: the connection broke while the content was being sent
	// (used inside the transaction only).
	lostBody bool
}

func newSession(d *delivery, conn net.Conn, dst destination) *session {
	s := &session{
		d:           d,
		conn:        conn,
		br:          bufio.NewReader(conn),
		host:        dst.host,
		addr:        dst.addr,
		port:        dst.port,
		namaddr:     fmt.Sprintf("%s[%s]", dst.host, dst.addr),
		namaddrport: fmt.Sprintf("%s[%s]:%d", dst.host, dst.addr, dst.port),
		policy:      dst.policy,
		tlsNexthop:  dst.domain,
		tlsLevel:    int(dst.policy.Level),
	}
	if dst.unix {
		// No port for UNIX-domain servers: relay=host[path].
		s.namaddrport = s.namaddr
	}
	// Every write gets its own deadline (stock's per-call timeouts);
	// the writer is buffered because content writes are small.
	s.bw = bufio.NewWriter(&deadlineWriter{conn: conn, timeout: &s.writeTimeout})
	s.ropt = smtpwire.ReadOptions{
		LineLimit:   d.a.cfg.LineLimit,
		DisableUTF8: d.a.cfg.DisableUTF8,
		Event: func(e smtpwire.Event) {
			// Malformed replies make the session non-cacheable
			// (smtp_chat_resp). Lines without a reply code are
			// logged by stock only when the server pipelines.
			s.noCache = true
			if e.Kind == smtpwire.EventNonProtocol && s.features&smtpwire.FeaturePIPELINING == 0 {
				return
			}
			text := e.LogText(d.req.QueueID, s.namaddrport, d.a.cfg.LMTP)
			if e.Kind == smtpwire.EventReplaced {
				d.a.log.Info(text)
			} else {
				d.a.log.Warn(text)
			}
			if e.Kind == smtpwire.EventNonProtocol && d.a.cfg.HelpfulWarnings {
				// With pipelining, replies pair with commands by
				// position only; garbage can shift them.
				maps := "smtp_discard_ehlo_keyword_address_maps"
				if d.a.cfg.LMTP {
					maps = "lmtp_discard_lhlo_keyword_address_maps"
				}
				d.a.log.Warn("to prevent loss of mail, turn off command pipelining for " + s.addr +
					" with the " + maps + " parameter")
			}
		},
	}
	return s
}

// run drives the session to its end and disposes of the recipients.
// A session taken from the cache starts at the transaction. Any
// trouble makes the session non-cacheable.
func (s *session) run() *trouble {
	var t *trouble
	if s.fromCache {
		t = s.checkFeatures()
	} else {
		if tc := s.d.a.cfg.TLS; tc != nil && tc.Wrapper && s.policy.Level >= tlspolicy.LevelEncrypt {
			// SMTPS: TLS first, then the greeting and EHLO over it.
			t = s.startTLS()
		}
		if t == nil {
			t = s.greet()
		}
		if t == nil {
			t = s.hello()
		}
	}
	if t == nil && s.d.sessionUp != nil {
		s.d.sessionUp()
	}
	if t == nil {
		t = s.transaction()
	}
	if t == nil {
		return nil
	}
	s.noCache = true
	s.kept = false
	if !t.quiet {
		s.d.bulkFail(s, t.dsn, t.throttle)
	}
	if !t.broken {
		s.quit()
	}
	return t
}

// command sends one command line, bounded by timeout.
func (s *session) command(cmd string, timeout time.Duration) error {
	s.writeTimeout = timeout
	if err := smtpwire.WriteCommand(s.bw, cmd); err != nil {
		return ioErr("write", err)
	}
	if err := s.bw.Flush(); err != nil {
		return ioErr("write", err)
	}
	return nil
}

// reply reads one server reply, bounded by timeout.
func (s *session) reply(timeout time.Duration) (smtpwire.Reply, error) {
	if timeout > 0 {
		s.conn.SetReadDeadline(time.Now().Add(timeout))
	} else {
		s.conn.SetReadDeadline(time.Time{})
	}
	r, err := smtpwire.ReadReply(s.br, &s.ropt)
	if err != nil || r.ProtocolError {
		s.noCache = true
	}
	return r, err
}

// chat is command plus reply.
func (s *session) chat(cmd string, timeout time.Duration) (smtpwire.Reply, error) {
	if err := s.command(cmd, timeout); err != nil {
		return smtpwire.Reply{}, err
	}
	return s.reply(timeout)
}

// ioTrouble is smtp_stream_except(): a timeout or lost connection is a
// site failure with 4.4.2. A local reply-filter error is 4.3.0.
func (s *session) ioTrouble(err error, stage string) *trouble {
	if s.tlsActive() && s.d.pending() {
		// PLAINTEXT_FALLBACK_OK_AFTER_TLS_SESSION_FAILURE.
		s.maybeRetryPlain()
	}
	var ioe *smtpwire.IOError
	if errors.As(err, &ioe) {
		return &trouble{dsn: localDSN(smtpwire.StatusIOError, ioe.Reason(s.namaddr, stage)), throttle: true, broken: true}
	}
	return &trouble{dsn: localDSN(smtpwire.StatusDataError, "local data error while talking to "+s.namaddr),
		throttle: true, broken: true}
}

// replyDSN describes a server reply that made a command fail.
func (s *session) replyDSN(r smtpwire.Reply, status, reason string) statusclient.DSN {
	return statusclient.DSN{Status: status, DiagType: "smtp", DiagText: r.Logged(),
		MTAType: "dns", MTAName: s.host, Reason: reason}
}

// refused is a greeting or HELO reject: "refused to talk to me".
func (s *session) refused(r smtpwire.Reply) *trouble {
	f := smtpwire.ClassifyFailure(r, s.d.a.cfg.SoftBounce)
	reason := fmt.Sprintf("%shost %s refused to talk to me: %s", f.ReasonPrefix, s.namaddr, r.Logged())
	return &trouble{dsn: s.replyDSN(r, f.Status, reason), throttle: true}
}

// said is a MAIL/RCPT/DATA reject: "host %s said: ... (in reply to %s)".
func (s *session) said(r smtpwire.Reply, inReplyTo string) statusclient.DSN {
	f := smtpwire.ClassifyFailure(r, s.d.a.cfg.SoftBounce)
	return s.replyDSN(r, f.Status, f.ReasonPrefix+r.Said(s.namaddr, inReplyTo))
}

// quit ends the session; errors after the transaction are ignored, and
// by default the reply is not awaited (smtp_skip_quit_response).
func (s *session) quit() {
	if s.command("QUIT", s.d.a.cfg.Timeouts.Quit) == nil && !s.d.a.cfg.SkipQuitResponse {
		s.reply(s.d.a.cfg.Timeouts.Quit)
	}
}

func ioErr(op string, err error) error {
	var ioe *smtpwire.IOError
	if errors.As(err, &ioe) {
		return err
	}
	timeout := errors.Is(err, os.ErrDeadlineExceeded)
	return &smtpwire.IOError{Op: op, Timeout: timeout, Err: err}
}

// deadlineWriter sets a fresh write deadline before every write.
type deadlineWriter struct {
	conn    net.Conn
	timeout *time.Duration
}

func (w *deadlineWriter) Write(p []byte) (int, error) {
	if *w.timeout > 0 {
		w.conn.SetWriteDeadline(time.Now().Add(*w.timeout))
	} else {
		w.conn.SetWriteDeadline(time.Time{})
	}
	return w.conn.Write(p)
}
