package agent

import (
	"fmt"

	"github.com/postfix-go/postfix-go/smtp/internal/smtpwire"
)

// greet reads the server's banner (smtp_helo, first half).
func (s *session) greet() *trouble {
	cfg := &s.d.a.cfg
	r, err := s.reply(cfg.Timeouts.Helo)
	if err != nil {
		return s.ioTrouble(err, smtpwire.StageGreeting)
	}
	if r.Class() == 2 {
		return nil
	}
	if r.Class() == 5 && cfg.Skip5xxGreeting {
		// A 5xx banner is often a temporary condition in disguise;
		// stock turns it into a soft error (smtp_skip_5xx_greeting).
		r = r.WithStatusClass('4')
	}
	return s.refused(r)
}

// hello sends EHLO, falling back to HELO (smtp_helo, second half),
// learns the server's features and, where the TLS level says so,
// switches to TLS and says hello again.
func (s *session) hello() *trouble {
	if t := s.sayHello(); t != nil {
		return t
	}
	if !s.tlsActive() {
		if started, t := s.tlsAfterHello(); started || t != nil {
			return t
		}
	}
	return s.checkFeatures()
}

// sayHello is the EHLO/HELO (or LHLO) exchange itself.
func (s *session) sayHello() *trouble {
	cfg := &s.d.a.cfg
	if cfg.LMTP {
		// LMTP: always LHLO, no HELO fallback; a reject is a site
		// failure.
		r, err := s.chat("LHLO "+cfg.HeloName, cfg.Timeouts.Helo)
		if err != nil {
			return s.ioTrouble(err, smtpwire.StageLHLO)
		}
		if r.Class() != 2 {
			return s.refused(r)
		}
		s.learn(r)
		return nil
	}
	// After STARTTLS the server has announced ESMTP already: always EHLO.
	if !cfg.NeverEHLO || s.tlsActive() {
		r, err := s.chat("EHLO "+cfg.HeloName, cfg.Timeouts.Helo)
		if err != nil {
			return s.ioTrouble(err, smtpwire.StageEHLO)
		}
		switch {
		case r.Class() == 2:
			s.learn(r)
			return nil
		case r.Code == 421:
			return s.refused(r)
		}
		// Any other reject: the server may still speak plain SMTP.
	}
	r, err := s.chat("HELO "+cfg.HeloName, cfg.Timeouts.Helo)
	if err != nil {
		return s.ioTrouble(err, smtpwire.StageHELO)
	}
	if r.Class() != 2 {
		return s.refused(r)
	}
	return nil
}

// learn parses the EHLO reply.
func (s *session) learn(r smtpwire.Reply) {
	cfg := &s.d.a.cfg
	res := smtpwire.ParseEHLO(r.Text, &smtpwire.EHLOOptions{
		Discard:   cfg.DiscardEHLO,
		LineLimit: cfg.LineLimit,
		Peer:      s.namaddrport,
	})
	for _, w := range res.Warnings {
		s.d.a.log.Warn(w)
	}
	if cfg.DiscardEHLO != 0 && cfg.DiscardEHLO&smtpwire.EHLOSilentDiscard == 0 {
		s.d.a.log.Info("discarding EHLO keywords: " + cfg.DiscardEHLO.String())
	}
	// FROM_PROXY is a property of the connection, not of the reply.
	s.features = res.Features | smtpwire.FeatureESMTP | s.features&smtpwire.FeatureFromProxy
	s.helo = res.HeloName
	s.sizeLimit = res.SizeLimit
	if s.features&smtpwire.FeatureSMTPUTF8 != 0 && s.features&smtpwire.Feature8BITMIME == 0 {
		s.d.a.log.Info(fmt.Sprintf("host %s offers SMTPUTF8 support, but not 8BITMIME", s.namaddr))
		s.features |= smtpwire.Feature8BITMIME
	}
}

// checkFeatures refuses a message the server cannot take as it is.
func (s *session) checkFeatures() *trouble {
	if s.d.req.SendOpts.RequiresSMTPUTF8() && s.features&smtpwire.FeatureSMTPUTF8 == 0 {
		return &trouble{dsn: localDSN("5.6.7",
			fmt.Sprintf("SMTPUTF8 is required, but was not offered by host %s", s.namaddr))}
	}
	return nil
}
