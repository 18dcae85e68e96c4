package agent

import (
	"fmt"
	"strings"

	"github.com/postfix-go/postfix-go/master-compat/statusclient"
	"github.com/postfix-go/postfix-go/smtp/internal/smtpwire"
)

// transaction runs one mail transaction over the pipeline: XFORWARD,
// MAIL, RCPT and DATA go out as one batch when the server pipelines;
// the content follows the 354, then the dot and (unless the session is
// to be cached) QUIT. Replies are handled in order as they are read, so
// recipients rejected at RCPT are reported while the server waits for
// the content, as stock does. Server rejects are settled here; only I/O
// trouble is returned.
func (s *session) transaction() *trouble {
	d := s.d
	if s.sizeLimit > 0 && s.sizeLimit < d.req.DataSize {
		// No transaction at all: the message fails, and the session
		// is cached if it may be, or closed without QUIT, as stock
		// does.
		d.bulkFail(s, localDSN("5.3.4", fmt.Sprintf("message size %d exceeds size limit %.0f of server %s",
			d.req.DataSize, float64(s.sizeLimit), s.namaddr)), false)
		d.completed = true
		if s.kept = s.keepAlive(); !s.kept {
			return &trouble{broken: true, quiet: true}
		}
		return nil
	}
	x := &txn{s: s}
	x.p = pipeline{s: s, lastIO: d.a.now(), onReply: x.reply}
	if t := x.run(); t != nil {
		return t
	}
	// A transaction that ran to its end, rejects included, keeps later
	// connection trouble in this request from throttling the site.
	d.completed = true
	s.kept = x.keep
	return nil
}

// txn is the client's view of one transaction.
type txn struct {
	s            *session
	p            pipeline
	mailRejected bool
	nrcpt        int   // recipients accepted; -1 once DATA was refused
	accepted     []int // recipient indexes in RCPT order
	lmtpDone     int   // LMTP: end-of-data replies handled so far
	keep         bool  // the session stays open for the cache
}

func (x *txn) run() *trouble {
	s, d := x.s, x.s.d
	d.req.Stats.ConnSetupDone = d.a.now()
	d.req.Stats.ReuseCount = s.reuseCount
	for i, cmd := range s.xforwardCommands() {
		if cmd == "" {
			continue
		}
		if t := x.send(cmd, owed{step: stepXforwardAddr + step(i)}); t != nil {
			return t
		}
	}
	if t := x.send(s.mailCommand(), owed{step: stepMail}); t != nil {
		return t
	}
	for i := range d.rcpts {
		if d.rcpts[i].dropped || d.rcpts[i].keep {
			continue
		}
		cmd := s.rcptCommand(d.rcpts[i].Recipient)
		if x.p.mustSync(cmd, stepRcpt) {
			if t := x.p.sync(); t != nil {
				return t
			}
			if x.mailRejected {
				return x.abort()
			}
		}
		if t := x.p.write(cmd, owed{step: stepRcpt, rcpt: i}, 1); t != nil {
			return t
		}
	}
	if d.req.Flags.TraceOnly() {
		// An address probe stops after RCPT (smtp_address_verify_target
		// = rcpt): the RCPT replies are the answer.
		return x.abort()
	}
	if x.p.mustSync("DATA", stepData) {
		if t := x.p.sync(); t != nil {
			return t
		}
		if x.nrcpt == 0 {
			return x.abort()
		}
	}
	if t := x.p.write("DATA", owed{step: stepData}, 1); t != nil {
		return t
	}
	// DATA is a synchronisation point: the 354 must come first.
	if t := x.p.sync(); t != nil {
		return t
	}
	if x.nrcpt < 0 {
		return x.abort()
	}
	return x.data()
}

// data sends the content (unless nobody was accepted, when a lone dot
// ends the DATA a server accepted anyway), the dot, and QUIT.
func (x *txn) data() *trouble {
	s := x.s
	if x.nrcpt > 0 {
		if t := s.content(); t != nil {
			if !t.lostBody {
				return t
			}
			// Nothing more can be sent, but the server may have
			// answered early (a 5xx for a message too large).
			x.p.lostBody = true
			for range x.dotReplies() {
				x.p.owed = append(x.p.owed, owed{step: stepDot})
			}
			return x.p.sync()
		}
	}
	x.keep = s.keepAlive()
	if t := x.p.write(".", owed{step: stepDot}, x.dotReplies()); t != nil {
		return t
	}
	if t := x.quit(); t != nil {
		return t
	}
	return x.p.sync()
}

// dotReplies is how many replies the end of data owes: LMTP answers for
// each accepted recipient.
func (x *txn) dotReplies() int {
	if x.s.d.a.cfg.LMTP && x.nrcpt > 0 {
		return x.nrcpt
	}
	return 1
}

// abort ends the transaction with RSET (and QUIT unless the session is
// kept for the cache), after a reject or an address probe.
func (x *txn) abort() *trouble {
	x.keep = x.s.keepAlive()
	if t := x.send("RSET", owed{step: stepAbort}); t != nil {
		return t
	}
	if t := x.quit(); t != nil {
		return t
	}
	return x.p.sync()
}

// quit sends QUIT unless the session is to be cached; its reply is read
// only without smtp_skip_quit_response.
func (x *txn) quit() *trouble {
	if x.keep {
		return nil
	}
	expect := 1
	if x.s.d.a.cfg.SkipQuitResponse {
		expect = 0
	}
	if x.p.mustSync("QUIT", stepQuit) {
		if t := x.p.sync(); t != nil {
			return t
		}
	}
	return x.p.write("QUIT", owed{step: stepQuit}, expect)
}

// send writes cmd, first reading the replies owed when the client may
// not run further ahead.
func (x *txn) send(cmd string, o owed) *trouble {
	if x.p.mustSync(cmd, o.step) {
		if t := x.p.sync(); t != nil {
			return t
		}
	}
	return x.p.write(cmd, o, 1)
}

// reply settles one server reply, in command order.
func (x *txn) reply(o owed, r smtpwire.Reply) {
	s, d := x.s, x.s.d
	switch o.step {
	case stepXforwardAddr, stepXforwardProto:
		if r.Class() != 2 {
			d.a.log.Warn(r.Said(s.namaddrport, o.step.request()))
		}
	case stepMail:
		if r.Class() != 2 {
			d.bulkFail(s, s.said(r, o.step.request()), false)
			x.mailRejected = true
		}
	case stepRcpt:
		x.rcptReply(o.rcpt, r)
	case stepData:
		if r.Class() != 3 {
			if x.nrcpt > 0 {
				d.bulkFail(s, s.said(r, o.step.request()), false)
			}
			x.nrcpt = -1
		}
	case stepDot:
		x.dotReply(r)
	}
}

// rcptReply counts an accepted recipient or settles a rejected one.
// Replies after a rejected MAIL mean nothing: everybody failed already.
func (x *txn) rcptReply(i int, r smtpwire.Reply) {
	s, d := x.s, x.s.d
	if x.mailRejected {
		return
	}
	if r.Class() != 2 {
		if smtpwire.CheckCode(r.Code) {
			s.noCache = true
		}
		s.rcptFail(i, s.said(r, stepRcpt.request()))
		return
	}
	x.nrcpt++
	x.accepted = append(x.accepted, i)
	if d.req.Flags.TraceOnly() {
		d.sent(i, s.namaddrport, s.sentDSN(r), s.features&smtpwire.FeatureDSN != 0)
	}
}

// dotReply settles the end of data: for SMTP one reply for everybody
// accepted, for LMTP one reply per accepted recipient in RCPT order.
func (x *txn) dotReply(r smtpwire.Reply) {
	s, d := x.s, x.s.d
	d.req.Stats.DeliverDone = d.a.now()
	if x.nrcpt <= 0 {
		return
	}
	serverDSN := s.features&smtpwire.FeatureDSN != 0
	if d.a.cfg.LMTP {
		i := x.accepted[x.lmtpDone]
		x.lmtpDone++
		if r.Class() == 2 {
			d.sent(i, s.namaddrport, s.sentDSN(r), serverDSN)
			return
		}
		if smtpwire.CheckCode(r.Code) {
			s.noCache = true
		}
		s.rcptFail(i, s.said(r, stepDot.request()))
		return
	}
	if r.Class() != 2 {
		d.bulkFail(s, s.said(r, stepDot.request()), false)
		return
	}
	dsn := s.sentDSN(r)
	for _, i := range x.accepted {
		if !d.rcpts[i].dropped && !d.rcpts[i].keep {
			d.sent(i, s.namaddrport, dsn, serverDSN)
		}
	}
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
	if s.d.a.cfg.LMTP && s.d.a.cfg.Flags.FinalDelivery && s.features&smtpwire.FeatureDSN == 0 {
		// An LMTP server without DSN is taken to be the final
		// destination (flags=X).
		dsn.Action = "delivered"
	}
	return dsn
}
