package agent

import (
	"io"
	"time"

	"github.com/postfix-go/postfix-go/smtp/internal/smtpwire"
)

// Command pipelining (RFC 2920) as the stock client does it: commands
// are written ahead of their replies, and the replies are matched to the
// commands purely by position. The client stops to read what the server
// owes when
//   - it needs an answer to go on (after DATA, and at the end);
//   - the server did not announce PIPELINING;
//   - the next command would take the unsent batch past 4096 bytes (stock's
//     VSTREAM buffer), except QUIT right after the end-of-data dot;
//   - nothing was read or written for 10 seconds.
const (
	pipelineBufSize = 4096
	pipelineIdle    = 10 * time.Second
)

// step is the command whose reply the server owes.
type step int

const (
	stepXforwardAddr step = iota
	stepXforwardProto
	stepMail
	stepRcpt
	stepData
	stepDot
	stepAbort // RSET ending a failed transaction or an address probe
	stepQuit
)

// inTransaction: a lost connection while waiting for this step's reply
// still affects the recipients (stock SENDING_MAIL). Later steps only
// make the session unusable.
func (st step) inTransaction() bool { return st <= stepDot }

// stage completes "lost connection with %s while %s".
func (st step) stage() string {
	return [...]string{smtpwire.StageXforward1, smtpwire.StageXforward2, smtpwire.StageMail,
		smtpwire.StageRcpt, smtpwire.StageData, smtpwire.StageDot, smtpwire.StageFinalRSET,
		smtpwire.StageQuit}[st]
}

// request completes "(in reply to %s)".
func (st step) request() string {
	return [...]string{"XFORWARD name/address command", "XFORWARD helo/protocol command",
		"MAIL FROM command", "RCPT TO command", "DATA command", "end of DATA command",
		"final RSET command", "QUIT command"}[st]
}

func (st step) timeout(t *Timeouts) time.Duration {
	switch st {
	case stepXforwardAddr, stepXforwardProto:
		return t.Xforward
	case stepMail:
		return t.Mail
	case stepRcpt:
		return t.Rcpt
	case stepData:
		return t.DataInit
	case stepDot:
		return t.DataDone
	case stepAbort:
		return t.RSET
	}
	return t.Quit
}

// owed is one reply the server owes; rcpt is the recipient of a RCPT.
type owed struct {
	step step
	rcpt int
}

// pipeline writes commands and reads the replies owed for them.
type pipeline struct {
	s        *session
	owed     []owed
	unsent   int // command bytes written since the last read
	lastIO   time.Time
	onReply  func(o owed, r smtpwire.Reply)
	lostBody bool // the connection broke while sending the content
}

// mustSync tells whether the replies owed must be read before cmd goes
// out (stock's sender-is-ahead conditions).
func (p *pipeline) mustSync(cmd string, st step) bool {
	if len(p.owed) == 0 {
		return false
	}
	if p.s.features&smtpwire.FeaturePIPELINING == 0 {
		return true
	}
	quitAfterDot := st == stepQuit && p.owed[len(p.owed)-1].step == stepDot
	if !quitAfterDot && p.unsent+len(cmd)+2 > pipelineBufSize {
		return true
	}
	return p.s.d.a.now().Sub(p.lastIO) > pipelineIdle
}

// write queues one command; expect is how many replies it owes (LMTP's
// dot owes one per accepted recipient; a QUIT whose reply is skipped
// owes none).
func (p *pipeline) write(cmd string, o owed, expect int) *trouble {
	p.s.writeTimeout = o.step.timeout(&p.s.d.a.cfg.Timeouts)
	if err := smtpwire.WriteCommand(p.s.bw, cmd); err != nil {
		return p.broken(ioErr("write", err), o.step)
	}
	p.unsent += len(cmd) + 2
	for range expect {
		p.owed = append(p.owed, o)
	}
	return nil
}

// sync sends what is buffered and reads every reply owed, handing each
// to onReply in order.
func (p *pipeline) sync() *trouble {
	cfg := &p.s.d.a.cfg
	if len(p.owed) == 0 {
		// A QUIT whose reply is not awaited still has to go out;
		// failing to send it harms nobody.
		p.s.writeTimeout = cfg.Timeouts.Quit
		if p.s.bw.Flush() != nil {
			p.s.noCache = true
		}
		return nil
	}
	p.s.writeTimeout = p.owed[0].step.timeout(&cfg.Timeouts)
	if err := p.s.bw.Flush(); err != nil {
		return p.broken(ioErr("write", err), p.owed[0].step)
	}
	p.unsent = 0
	for len(p.owed) > 0 {
		o := p.owed[0]
		r, err := p.s.reply(o.step.timeout(&cfg.Timeouts))
		p.lastIO = p.s.d.a.now()
		if err != nil {
			return p.broken(err, o.step)
		}
		p.owed = p.owed[1:]
		p.onReply(o, r)
	}
	return nil
}

// broken handles an I/O error while step was pending. During the mail
// transaction it fails the remaining recipients; afterwards it only
// spoils the session for reuse. After a write error in the content the
// client looked for a premature reply: failing that, the connection was
// lost "while sending message body", whatever the read said.
func (p *pipeline) broken(err error, st step) *trouble {
	p.owed = nil
	p.s.noCache = true
	if p.lostBody {
		return p.s.ioTrouble(&smtpwire.IOError{Op: "read", Err: io.EOF}, smtpwire.StageBody)
	}
	if !st.inTransaction() {
		return &trouble{broken: true, quiet: true}
	}
	return p.s.ioTrouble(err, st.stage())
}
