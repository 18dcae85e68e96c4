package agent

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/postfix-go/postfix-go/master-compat/statusclient"
	"github.com/postfix-go/postfix-go/smtp/internal/deliver"
	"github.com/postfix-go/postfix-go/smtp/internal/queuefile"
	"github.com/postfix-go/postfix-go/smtp/internal/smtpwire"
)

// transaction runs MAIL, RCPT, DATA, the content and the end of data,
// one command at a time. Recipients rejected at RCPT are disposed of at
// once; accepted ones only after the end-of-data reply.
func (s *session) transaction() *trouble {
	d, cfg := s.d, &s.d.a.cfg
	if s.sizeLimit > 0 && s.sizeLimit < d.req.DataSize {
		d.completed = true
		return &trouble{dsn: localDSN("5.3.4", fmt.Sprintf("message size %d exceeds size limit %.0f of server %s",
			d.req.DataSize, float64(s.sizeLimit), s.namaddr))}
	}
	d.req.Stats.ConnSetupDone = d.a.now()
	d.req.Stats.ReuseCount = s.reuseCount
	r, err := s.chat(s.mailCommand(), cfg.Timeouts.Mail)
	if err != nil {
		return s.ioTrouble(err, smtpwire.StageMail)
	}
	if r.Class() != 2 {
		d.completed = true
		return &trouble{dsn: s.said(r, "MAIL FROM command"), rset: true}
	}
	accepted, t := s.recipients()
	if t != nil {
		return t
	}
	if len(accepted) == 0 {
		// Everybody was rejected and disposed of already.
		d.completed = true
		s.rset()
		s.finish()
		return nil
	}
	if d.req.Flags.TraceOnly() {
		// An address probe stops after RCPT (smtp_address_verify_target
		// = rcpt): the RCPT reply is the answer.
		d.completed = true
		s.rset()
		s.finish()
		for _, a := range accepted {
			d.sent(a.index, s.namaddrport, s.sentDSN(a.reply), s.features&smtpwire.FeatureDSN != 0)
		}
		return nil
	}
	r, err = s.chat("DATA", cfg.Timeouts.DataInit)
	if err != nil {
		return s.ioTrouble(err, smtpwire.StageData)
	}
	if r.Class() != 3 {
		d.completed = true
		return &trouble{dsn: s.said(r, "DATA command"), rset: true}
	}
	if t := s.content(); t != nil {
		return t
	}
	if cfg.LMTP {
		return s.lmtpReplies(accepted)
	}
	r, err = s.reply(cfg.Timeouts.DataDone)
	if err != nil {
		return s.ioTrouble(err, smtpwire.StageDot)
	}
	d.completed = true
	if r.Class() != 2 {
		return &trouble{dsn: s.said(r, "end of DATA command")}
	}
	d.req.Stats.DeliverDone = d.a.now()
	// The server has the message: say goodbye first, so that it does
	// not wait for us while the status services are busy. A cacheable
	// session gets no QUIT and is saved after the status reports.
	s.finish()
	dsn := s.sentDSN(r)
	for _, a := range accepted {
		d.sent(a.index, s.namaddrport, dsn, s.features&smtpwire.FeatureDSN != 0)
	}
	return nil
}

// lmtpReplies reads the LMTP end-of-data replies: one per accepted
// recipient, in RCPT order, each deciding that recipient alone. The
// replies are all read before QUIT and the status reports; when the
// connection breaks half-way, the recipients whose replies arrived are
// still disposed of by them (the server has their mail), and only the
// others fail with the I/O error.
func (s *session) lmtpReplies(accepted []acceptedRcpt) *trouble {
	d, cfg := s.d, &s.d.a.cfg
	replies := make([]smtpwire.Reply, 0, len(accepted))
	var ioerr error
	for range accepted {
		r, err := s.reply(cfg.Timeouts.DataDone)
		if err != nil {
			ioerr = err
			break
		}
		replies = append(replies, r)
	}
	if len(replies) > 0 {
		d.completed = true
		d.req.Stats.DeliverDone = d.a.now()
	}
	if ioerr == nil {
		s.finish()
	}
	serverDSN := s.features&smtpwire.FeatureDSN != 0
	for n, r := range replies {
		i := accepted[n].index
		if r.Class() == 2 {
			d.sent(i, s.namaddrport, s.sentDSN(r), serverDSN)
			continue
		}
		if smtpwire.CheckCode(r.Code) {
			s.noCache = true
		}
		s.rcptFail(i, s.said(r, "end of DATA command"))
	}
	if ioerr != nil {
		return s.ioTrouble(ioerr, smtpwire.StageDot)
	}
	return nil
}

// acceptedRcpt is a recipient the server accepted at RCPT.
type acceptedRcpt struct {
	index int
	reply smtpwire.Reply
}

// recipients sends one RCPT per pending recipient. Rejected recipients
// are deferred or bounced right away, as stock does.
func (s *session) recipients() ([]acceptedRcpt, *trouble) {
	d := s.d
	var accepted []acceptedRcpt
	for i := range d.rcpts {
		if d.rcpts[i].dropped || d.rcpts[i].keep {
			continue
		}
		r, err := s.chat(s.rcptCommand(d.rcpts[i].Recipient), d.a.cfg.Timeouts.Rcpt)
		if err != nil {
			return nil, s.ioTrouble(err, smtpwire.StageRcpt)
		}
		if r.Class() == 2 {
			accepted = append(accepted, acceptedRcpt{i, r})
			continue
		}
		if smtpwire.CheckCode(r.Code) {
			s.noCache = true
		}
		s.rcptFail(i, s.said(r, "RCPT TO command"))
	}
	return accepted, nil
}

// rcptFail is smtp_rcpt_fail(): a soft reject at a server that is not
// the last one keeps the recipient for the next one.
func (s *session) rcptFail(i int, dsn statusclient.DSN) {
	d := s.d
	soft := strings.HasPrefix(dsn.Status, "4") || d.a.cfg.SoftBounce
	if soft && !d.final {
		d.a.log.Info(d.req.QueueID + ": " + dsn.Reason)
		d.rcpts[i].keep = true
		return
	}
	d.fail(i, s.namaddrport, dsn)
}

// sentDSN is the status of an accepted recipient (smtp_rcpt_done).
func (s *session) sentDSN(r smtpwire.Reply) statusclient.DSN {
	dsn := s.replyDSN(r, r.Status, r.Logged())
	dsn.Action = "relayed"
	return dsn
}

// content sends the message after the 354 reply, then the dot.
func (s *session) content() *trouble {
	d, cfg := s.d, &s.d.a.cfg
	cr, err := d.msg.Content(d.req.DataOffset)
	if err != nil {
		return s.unreadable(err)
	}
	s.writeTimeout = cfg.Timeouts.DataXfer
	cw := smtpwire.NewContentWriter(s.bw, cfg.SMTPLineLimit)
	for {
		rec, err := cr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return s.unreadable(err)
		}
		if err := cw.WriteRecord(rec.Data, rec.Type == queuefile.RecTypeCont); err != nil {
			return s.ioTrouble(ioErr("write", err), smtpwire.StageBody)
		}
	}
	if cw.Folded() {
		d.a.log.Info(cw.FoldNotice(d.req.QueueID))
	}
	if err := cw.Close(); err != nil {
		return s.ioTrouble(ioErr("write", err), smtpwire.StageBody)
	}
	if err := s.bw.Flush(); err != nil {
		return s.ioTrouble(ioErr("write", err), smtpwire.StageDot)
	}
	return nil
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

// mailCommand builds MAIL FROM with the parameters the server supports.
func (s *session) mailCommand() string {
	req, f := s.d.req, s.features
	var b strings.Builder
	b.WriteString("MAIL FROM:<")
	b.WriteString(s.envelope(req.Sender))
	b.WriteString(">")
	// Stock withholds SIZE when it would downgrade 8-bit content; this
	// slice does not convert, but keeps the same wire behaviour.
	downgrade := f&smtpwire.Feature8BITMIME == 0 && req.Encoding != "7bit"
	if f&smtpwire.FeatureSIZE != 0 && !downgrade {
		b.WriteString(" SIZE=")
		b.WriteString(strconv.FormatInt(req.DataSize, 10))
	}
	if f&smtpwire.Feature8BITMIME != 0 {
		switch req.Encoding {
		case "8bit":
			b.WriteString(" BODY=8BITMIME")
		case "7bit":
			b.WriteString(" BODY=7BIT")
		case "":
		default:
			s.d.a.log.Warn(fmt.Sprintf("%s: unknown content encoding: %s", req.QueueID, req.Encoding))
		}
	}
	if f&smtpwire.FeatureDSN != 0 {
		if req.EnvID != "" {
			b.WriteString(" ENVID=")
			b.WriteString(xtext(req.EnvID, "+="))
		}
		if req.Ret != 0 {
			b.WriteString(" RET=")
			b.WriteString(req.Ret.String())
		}
	}
	if f&smtpwire.FeatureSMTPUTF8 != 0 && req.SendOpts&deliver.SendOptSMTPUTF8Requested != 0 {
		b.WriteString(" SMTPUTF8")
	}
	return b.String()
}

// rcptCommand builds RCPT TO, with ORCPT and NOTIFY for DSN servers.
func (s *session) rcptCommand(r deliver.Recipient) string {
	var b strings.Builder
	b.WriteString("RCPT TO:<")
	b.WriteString(s.envelope(r.Address))
	b.WriteString(">")
	if s.features&smtpwire.FeatureDSN == 0 {
		return b.String()
	}
	orcpt := r.DSNOrcpt
	if orcpt == "" && r.OrigAddr != "" {
		q := quoteAddr(r.OrigAddr)
		if s.d.req.SendOpts != 0 && !isASCII(q) {
			orcpt = "utf-8;" + q
		} else {
			orcpt = "rfc822;" + q
		}
	}
	// utf-8 ORCPT values need uxtext, which this slice lacks; stock
	// also omits ORCPT when it cannot encode it.
	if orcpt != "" && !(len(orcpt) >= 6 && strings.EqualFold(orcpt[:6], "utf-8;")) {
		b.WriteString(" ORCPT=")
		b.WriteString(xtext(orcpt, "="))
	}
	if r.Notify != 0 {
		b.WriteString(" NOTIFY=")
		b.WriteString(r.Notify.String())
	}
	return b.String()
}

// envelope quotes an envelope address when smtp_quote_rfc821_envelope.
func (s *session) envelope(addr string) string {
	if !s.d.a.cfg.QuoteEnvelope {
		return addr
	}
	return quoteAddr(addr)
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
