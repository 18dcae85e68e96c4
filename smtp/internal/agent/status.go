package agent

import (
	"errors"
	"strings"

	"github.com/postfix-go/postfix-go/master-compat/statusclient"
	"github.com/postfix-go/postfix-go/smtp/internal/deliver"
	"github.com/postfix-go/postfix-go/smtp/internal/queuefile"
)

// This file disposes of one recipient at a time, the way smtp_rcpt_done()
// and smtp_rcpt_fail() do on top of sent(), defer_append() and
// bounce_append(): status service first, then the log line, then (only
// when the status was recorded) the D mark in the queue file.

func statusRcpt(r deliver.Recipient) statusclient.Recipient {
	return statusclient.Recipient{
		Original:    r.OrigAddr,
		Address:     r.Address,
		Offset:      r.Offset,
		DSNOrig:     r.DSNOrcpt,
		NotifyFlags: int(r.Notify),
	}
}

func (d *delivery) traceFlags() int { return int(d.req.Flags.TraceFlags()) }

// logStatus writes the delivery line.
func (d *delivery) logStatus(r deliver.Recipient, relay string, dsn statusclient.DSN, word string) {
	d.a.log.Info(logLine(d.req.QueueID, r, relay, d.req.Stats, d.a.now(),
		d.a.cfg.DelayResolution, dsn.Status, word, dsn.Reason))
}

// warnStatusErr logs the warning the stock client logs itself for a
// failed exchange (connect/read/write problems); a status reply other
// than 0 is silent at that level.
func (d *delivery) warnStatusErr(err error) {
	var e *statusclient.Error
	if errors.As(err, &e) {
		d.a.log.Warn(e.Error())
	}
}

// drop records that recipient i was disposed of and whether its status
// call succeeded; on success the recipient is marked done.
func (d *delivery) drop(i int, recorded bool) {
	d.rcpts[i].dropped = true
	if !recorded {
		d.status = deliver.StatDefer
		return
	}
	if err := d.msg.MarkDone(d.rcpts[i].Offset); err != nil {
		// Not marked: the recipient would be lost if qmgr removed the
		// file, so the request must not be reported final.
		var qe *queuefile.Error
		if errors.As(err, &qe) {
			d.a.log.Warn(qe.Text)
		} else {
			d.a.log.Warn(err.Error())
		}
		d.status = deliver.StatDefer
	}
}

// sent reports recipient i as accepted by the server (smtp_rcpt_done).
// serverDSN: the server announced DSN and takes over NOTIFY=SUCCESS.
func (d *delivery) sent(i int, relay string, dsn statusclient.DSN, serverDSN bool) {
	r := d.rcpts[i].Recipient
	sr := statusRcpt(r)
	if serverDSN {
		sr.NotifyFlags &^= statusclient.NotifySuccess
	}
	res, err := d.a.status.Sent(d.ctx, d.traceFlags(), d.req.QueueID, sr, relay, dsn)
	if err != nil {
		if res.Defer != nil {
			d.deferNormal(r, relay, *res.Defer)
		}
		d.drop(i, false)
		return
	}
	if res.LogStatus != "" {
		d.logStatus(r, relay, res.DSN, res.LogStatus)
	}
	// Stock marks delivered recipients only when qmgr asked for it
	// (DEL_REQ_FLAG_SUCCESS, always set by qmgr).
	if d.req.Flags&deliver.FlagSuccess == 0 {
		d.rcpts[i].dropped = true
		return
	}
	d.drop(i, true)
}

// fail disposes of recipient i after a failure: a 4.x.x status defers,
// anything else bounces. Only the final server calls this; there are
// no backup servers in this slice.
func (d *delivery) fail(i int, relay string, dsn statusclient.DSN) {
	if strings.HasPrefix(dsn.Status, "4") {
		d.drop(i, d.deferRcpt(d.rcpts[i].Recipient, relay, dsn))
		return
	}
	d.drop(i, d.bounceRcpt(d.rcpts[i].Recipient, relay, dsn))
}

// deferRcpt is defer_append(). It reports whether the status was
// recorded for good, which only probes can achieve: a deferred
// recipient of normal mail always stays in the queue.
func (d *delivery) deferRcpt(r deliver.Recipient, relay string, dsn statusclient.DSN) bool {
	if !strings.HasPrefix(dsn.Status, "4") || !statusclient.ValidStatus(dsn.Status) {
		d.a.log.Warn("defer_append: ignoring dsn code \"" + dsn.Status + "\"")
		dsn.Status = "4.0.0"
	}
	if ok, probe := d.probe(r, relay, dsn, statusclient.RcptStatDefer); probe {
		return ok
	}
	d.deferNormal(r, relay, dsn)
	return false
}

// deferNormal is defer_append_intern() for normal mail.
func (d *delivery) deferNormal(r deliver.Recipient, relay string, dsn statusclient.DSN) {
	dsn.Action = "delayed"
	if err := d.a.status.DeferAppend(d.ctx, d.traceFlags(), d.req.QueueID, statusRcpt(r), dsn); err != nil {
		d.warnStatusErr(err)
		d.a.log.Warn(statusclient.ServiceFailure(d.req.QueueID, d.a.cfg.DeferService))
	}
	d.logStatus(r, relay, dsn, "deferred")
	if d.req.Flags&deliver.FlagRecord != 0 {
		if err := d.a.status.TraceAppend(d.ctx, d.traceFlags(), d.req.QueueID, statusRcpt(r), relay, dsn); err != nil {
			d.warnStatusErr(err)
			d.a.log.Warn(statusclient.ServiceFailure(d.req.QueueID, d.a.cfg.TraceService))
		}
	}
	d.flushAdd(r.Address)
}

// bounceRcpt is bounce_append(); true means the bounce was recorded and
// the recipient may be marked done.
func (d *delivery) bounceRcpt(r deliver.Recipient, relay string, dsn statusclient.DSN) bool {
	if !strings.HasPrefix(dsn.Status, "5") || !statusclient.ValidStatus(dsn.Status) {
		d.a.log.Warn("bounce_append: ignoring dsn code \"" + dsn.Status + "\"")
		dsn.Status = "5.0.0"
	}
	if ok, probe := d.probe(r, relay, dsn, statusclient.RcptStatBounce); probe {
		return ok
	}
	if d.a.cfg.SoftBounce {
		// soft_bounce: the defer service gets it as a 4.x.x, the log
		// says SOFTBOUNCE, and the message stays queued.
		dsn.Status = "4" + dsn.Status[1:]
		dsn.Action = "delayed"
		if err := d.a.status.DeferAppend(d.ctx, d.traceFlags(), d.req.QueueID, statusRcpt(r), dsn); err != nil {
			d.warnStatusErr(err)
			d.a.log.Warn(statusclient.ServiceFailure(d.req.QueueID, d.a.cfg.DeferService))
		}
		d.logStatus(r, relay, dsn, "SOFTBOUNCE")
		return false
	}
	dsn.Action = "failed"
	err := d.a.status.BounceAppend(d.ctx, d.traceFlags(), d.req.QueueID, statusRcpt(r), dsn)
	if err == nil && d.req.Flags&deliver.FlagRecord != 0 {
		err = d.a.status.TraceAppend(d.ctx, d.traceFlags(), d.req.QueueID, statusRcpt(r), relay, dsn)
	}
	if err == nil {
		d.logStatus(r, relay, dsn, "bounced")
		return true
	}
	d.warnStatusErr(err)
	dsn.Status = "4.3.0"
	dsn.Reason = d.a.cfg.BounceService + " or " + d.a.cfg.TraceService + " service failure"
	d.deferNormal(r, relay, dsn)
	return false
}

// probe handles the failure of an address probe (sendmail -bv or
// verify(8)): the result goes to verify or trace instead of the
// defer/bounce logs, and a recorded result finishes the recipient.
// probe is false for normal mail.
func (d *delivery) probe(r deliver.Recipient, relay string, dsn statusclient.DSN, rcptStat int) (ok, probe bool) {
	dsn.Action = "undeliverable"
	switch {
	case d.req.Flags&deliver.FlagMTAVerify != 0:
		word, err := d.a.status.VerifyAppend(d.ctx, statusRcpt(r), rcptStat, dsn.Action, dsn.Reason)
		if err != nil {
			d.a.log.Warn(statusclient.ServiceFailure(d.req.QueueID, d.a.cfg.VerifyService))
			return false, true
		}
		d.logStatus(r, relay, dsn, word)
		return true, true
	case d.req.Flags&deliver.FlagUserVerify != 0:
		if err := d.a.status.TraceAppend(d.ctx, d.traceFlags(), d.req.QueueID, statusRcpt(r), relay, dsn); err != nil {
			d.warnStatusErr(err)
			d.a.log.Warn(statusclient.ServiceFailure(d.req.QueueID, d.a.cfg.TraceService))
			return false, true
		}
		d.logStatus(r, relay, dsn, dsn.Action)
		return true, true
	}
	return false, false
}

// flushAdd is defer_append's flush_add() for fast_flush_domains. It is
// an optimisation for ETRN; its failure loses nothing.
func (d *delivery) flushAdd(address string) {
	site, ok := statusclient.FlushSite(address)
	if !ok || !d.flushDomain(site) {
		return
	}
	st, err := d.a.status.FlushAdd(d.ctx, site, d.req.QueueID)
	if err != nil {
		d.warnStatusErr(err)
	}
	if err != nil || (st != statusclient.FlushStatOK && st != statusclient.FlushStatDeny) {
		d.a.log.Warn(d.req.QueueID + ": flush service failure")
	}
}

func (d *delivery) flushDomain(site string) bool {
	site = strings.ToLower(site)
	for _, dom := range d.a.cfg.FlushDomains {
		dom = strings.ToLower(dom)
		switch {
		case site == dom:
			return true
		case strings.HasPrefix(dom, ".") && strings.HasSuffix(site, dom):
			return true
		case d.a.cfg.ParentMatches && strings.HasSuffix(site, "."+dom):
			return true
		}
	}
	return false
}
