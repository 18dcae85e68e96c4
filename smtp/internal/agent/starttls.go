package agent

import (
	"bufio"
	"fmt"

	"github.com/postfix-go/postfix-go/internal/tlspolicy"
	"github.com/postfix-go/postfix-go/smtp/internal/smtpwire"
)

// tlsAfterHello is the TLS part at the end of smtp_helo: note an unused
// offer, send STARTTLS when the level allows, and refuse to go on in
// plaintext when the level requires TLS. After a successful handshake
// it repeats the EHLO (or LHLO) over TLS.
func (s *session) tlsAfterHello() (started bool, t *trouble) {
	tc := s.d.a.cfg.TLS
	level := s.policy.Level
	offered := s.features&smtpwire.FeatureSTARTTLS != 0
	if offered && tc != nil && tc.NoteOffer && level <= tlspolicy.LevelNone {
		s.d.a.log.Info(fmt.Sprintf("Host offered STARTTLS: [%s]", s.host))
	}
	engine := tc.enabled() && !tc.EngineDown
	if offered && engine && level >= tlspolicy.LevelMay {
		r, err := s.chat("STARTTLS", tc.Timeout)
		if err != nil {
			return false, s.ioTrouble(err, smtpwire.StageSTARTTLS)
		}
		if r.Class() == 2 {
			return true, s.startTLS()
		}
		s.features &^= smtpwire.FeatureSTARTTLS
		if level.Required() {
			f := smtpwire.ClassifyFailure(r, s.d.a.cfg.SoftBounce)
			return false, &trouble{dsn: s.replyDSN(r, f.Status, f.ReasonPrefix+tlspolicy.RefusedDSN(s.namaddr, r.Logged())), throttle: true}
		}
		return false, nil
	}
	if !level.Required() {
		return false, nil
	}
	var status, text string
	switch {
	case !offered:
		status, text = tlspolicy.NotOfferedDSN(s.namaddr)
	case !engine:
		status, text = "4.7.5", tlspolicy.DSNEngineMissing
	default:
		status, text = "4.7.0", tlspolicy.DSNUnavailable
	}
	return false, &trouble{dsn: localDSN(status, text), throttle: true}
}

// startTLS runs the handshake on the connection and, unless the server
// failed authentication, the second EHLO (smtp_start_tls). With
// wrapper mode it runs before the greeting and returns after the
// handshake.
func (s *session) startTLS() *trouble {
	if s.useProxy() {
		return s.startTLSProxy()
	}
	// A TLS session lives in this process only: it can never be handed
	// to scache (stock: DONT_CACHE_THIS_SESSION without tlsproxy).
	s.noCache = true
	// Bytes the server sent after its 220 would be injected plaintext
	// (CVE-2011-0411 style); stock purges them.
	if n := s.br.Buffered(); n > 0 {
		s.br.Discard(n)
	}
	ts := s.clientHandshake()
	if ts == nil {
		s.maybeRetryPlain()
		status, text := tlspolicy.HandshakeFailureDSN()
		return &trouble{dsn: localDSN(status, text), throttle: s.policy.Level != tlspolicy.LevelMay, broken: true}
	}
	s.tls = ts
	s.conn = ts.conn
	s.br = bufio.NewReader(ts.conn)
	s.bw = bufio.NewWriter(&deadlineWriter{conn: ts.conn, timeout: &s.writeTimeout})
	if ts.level.MustMatch() && !ts.matched {
		status, text := tlspolicy.NotVerifiedDSN()
		return &trouble{dsn: localDSN(status, text), throttle: true}
	}
	if s.d.a.cfg.TLS.Wrapper {
		return nil
	}
	// Features learned in plaintext are void; EHLO again, always ESMTP.
	s.features = 0
	return s.hello()
}

// maybeRetryPlain is RETRY_AS_PLAINTEXT when the fallback is allowed:
// this attempt stops being the final one, so that the recipients wait
// for the plaintext retry of the same address.
func (s *session) maybeRetryPlain() {
	if !s.plaintextFallbackOK() {
		return
	}
	if !s.retryPlain {
		s.savedFinal = s.d.final
	}
	s.retryPlain = true
	s.d.final = false
}

// plaintextFallbackOK is PLAINTEXT_FALLBACK_OK_AFTER_STARTTLS_FAILURE:
// only at "may", and not on the first attempt of fresh mail (the time
// from arrival to the active queue must reach minimal_backoff_time),
// unless this is an address probe. This agent has no SASL, so stock's
// credentials condition never applies.
func (s *session) plaintextFallbackOK() bool {
	if s.policy.Level != tlspolicy.LevelMay {
		return false
	}
	req := s.d.req
	if req.Flags.TraceOnly() {
		return true
	}
	st := req.Stats
	pre := st.ActiveArrival.Unix() - st.IncomingArrival.Unix()
	return pre >= int64(s.d.a.cfg.TLS.MinBackoff.Seconds())
}

// tlsPolicy computes the TLS policy of one server (the policy lookup in
// smtp_connect_inet). false means the address is skipped: the reason was
// logged and kept as the last failure.
func (d *delivery) tlsPolicy(dst *destination, hop string) bool {
	tc := d.a.cfg.TLS
	// Without TLS the configured level only labels cached sessions
	// (a "may" that cannot be honoured yet, or "none").
	pol := tlspolicy.Policy{Level: min(tlspolicy.Level(d.a.cfg.Cache.TLSLevel), tlspolicy.LevelMay)}
	if tc.enabled() {
		td := tlspolicy.Destination{NextHop: hop, Host: dst.host, Port: dst.port}
		if dst.unix {
			td.Port = 0
		}
		var warns []string
		var err error
		pol, warns, err = tc.Policy.Resolve(td, d.daneEnv(dst, &td))
		for _, w := range warns {
			d.a.log.Warn(w)
		}
		if err != nil {
			d.a.log.Warn(tlspolicy.LookupFailureLog(hop, dst.host, err))
			status, reason := "4.7.5", tlspolicy.DSNConfigProblem
			if pe, ok := err.(*tlspolicy.PolicyError); ok {
				status, reason = pe.DSNStatus(), pe.DSNReason()
			}
			d.why = localDSN(status, reason)
			return false
		}
	}
	if tc != nil && tc.Wrapper && pol.Level < tlspolicy.LevelEncrypt {
		p := "smtp_"
		if d.a.cfg.LMTP {
			p = "lmtp_"
		}
		d.a.log.Warn(p + "tls_wrappermode requires \"" + p + "tls_security_level = encrypt\" (or stronger)")
		return false
	}
	dst.policy = pol
	return true
}

// tlsLevelLabel is the level that goes into endpoint labels.
func (dst destination) tlsLevelLabel() int { return int(dst.policy.Level) }
