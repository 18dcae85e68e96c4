package agent

import (
	"errors"
	"io"

	"github.com/postfix-go/postfix-go/smtp/internal/downgrade"
	"github.com/postfix-go/postfix-go/smtp/internal/queuefile"
	"github.com/postfix-go/postfix-go/smtp/internal/smtpwire"
)

// content sends the message after the 354 reply; the dot follows as a
// command. Content goes through the 8BITMIME downgrade when the server
// needs it. A write timeout ends the session; a lost connection is
// returned as lostBody, so that the caller can still look for an early
// reply, as stock does.
func (s *session) content() *trouble {
	d, cfg := s.d, &s.d.a.cfg
	cr, err := d.msg.Content(d.req.DataOffset)
	if err != nil {
		return s.unreadable(err)
	}
	s.writeTimeout = cfg.Timeouts.DataXfer
	cw := smtpwire.NewContentWriter(s.bw, cfg.SMTPLineLimit)
	var out recordWriter = cw
	var mime *downgrade.Downgrader
	if s.downgrading() {
		mime = downgrade.New(cw, cfg.MIME)
		out = mime
	}
	for _, h := range cfg.Flags.headers(d.req.Sender, &d.rcpts[0]) {
		if err := out.WriteRecord([]byte(h), false); err != nil {
			return s.contentTrouble(err)
		}
	}
	for {
		rec, err := cr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return s.unreadable(err)
		}
		if err := out.WriteRecord(rec.Data, rec.Type == queuefile.RecTypeCont); err != nil {
			return s.contentTrouble(err)
		}
	}
	if mime != nil {
		if err := mime.Close(); err != nil {
			return s.contentTrouble(err)
		}
	}
	if cw.Folded() {
		d.a.log.Info(cw.FoldNotice(d.req.QueueID))
	}
	if err := cw.EndContent(); err != nil {
		return s.bodyTrouble(err)
	}
	return nil
}

// recordWriter takes content records: the content writer itself, or the
// downgrade in front of it.
type recordWriter interface {
	WriteRecord(text []byte, cont bool) error
}

// downgrading is stock's SMTP_MIME_DOWNGRADE: 8-bit (or unlabelled)
// content for a server without 8BITMIME is converted to 7 bits, unless
// disable_mime_output_conversion says not to.
func (s *session) downgrading() bool {
	return !s.d.a.cfg.DisableMIMEConversion && s.features&smtpwire.Feature8BITMIME == 0 &&
		s.d.req.Encoding != "7bit"
}

// contentTrouble handles an error from the content path: a MIME error
// of the downgrade fails the message and drops the connection, because
// a DATA in progress cannot be cancelled (stock smtp_mime_fail); the
// rest are write errors.
func (s *session) contentTrouble(err error) *trouble {
	var me *downgrade.MIMEError
	if errors.As(err, &me) {
		s.d.bulkFail(s, localDSN(me.Status, me.Text), false)
		s.d.completed = true
		s.noCache = true
		return &trouble{broken: true, quiet: true}
	}
	var we *downgrade.WriteError
	if errors.As(err, &we) {
		err = we.Err
	}
	return s.bodyTrouble(err)
}

// bodyTrouble classifies a write error in the content.
func (s *session) bodyTrouble(err error) *trouble {
	err = ioErr("write", err)
	var ioe *smtpwire.IOError
	if errors.As(err, &ioe) && ioe.Timeout {
		return s.ioTrouble(err, smtpwire.StageBody)
	}
	s.noCache = true
	return &trouble{lostBody: true, broken: true}
}

// unreadable handles a queue file whose content cannot be read. Stock
// bounces the message and marks the file corrupt; this slice defers
// instead (the mail stays queued for a person to look at) and drops the
// connection, because a half-sent DATA cannot be taken back.
func (s *session) unreadable(err error) *trouble {
	var qe *queuefile.Error
	if errors.As(err, &qe) {
		for _, e := range queuefile.Chain(err) {
			s.d.a.log.Warn(e.Text)
		}
	} else {
		s.d.a.log.Warn(err.Error())
	}
	return &trouble{dsn: localDSN("4.3.0", "unreadable mail queue entry"), broken: true}
}
