package statusclient

import (
	"context"
	"errors"
	"fmt"
)

// SentPlan is what stock sent() does for one recipient the next hop
// accepted, decided from the trace flags and the recipient's NOTIFY bits
// alone. Exactly one of Verify, UserVerify or normal mail applies.
//
// The delivery status filter (smtp_delivery_status_filter), which stock
// applies right after the status check, is not modelled: an agent that
// supports it filters DSN between PlanSent and the calls.
type SentPlan struct {
	// DSN is the status to send and to log. Its Status is "2.0.0" when
	// the caller's was not a valid 2.x.y code, and its Action is what
	// stock puts there: "deliverable" for probes, otherwise the caller's
	// action, or "delivered" when that was empty.
	DSN DSN
	// StatusWarning is the warning stock logs when it replaced the
	// status (`sent: ignoring dsn code "…"`), else "".
	StatusWarning string

	// Verify: an MTA probe (FlagMTAVrfy). The only call is
	// VerifyAppend(RcptStatOK); its logStatus ("deliverable") is logged.
	Verify bool
	// UserVerify: a user probe (FlagUsrVrfy, sendmail -bv). The only call
	// is one TraceAppend; on success the line is logged with the status
	// word "deliverable" (the DSN action).
	UserVerify bool

	// Normal mail: TraceRecord asks for a trace record because the sender
	// wants every delivery recorded (FlagRecord, sendmail -v) or delayed
	// ones (FlagRecDlySent) and the recipient's NOTIFY is empty or
	// includes DELAY; TraceSuccess asks for a second, independent one
	// because NOTIFY includes SUCCESS (the agent clears that bit first
	// when the next hop announced DSN and takes over the notification).
	// If all requested traces succeed the line is logged with "sent";
	// otherwise the recipient is deferred instead (see SentResult.Defer).
	TraceRecord, TraceSuccess bool
}

// PlanSent decides sent()'s calls for flags (the delivery request's trace
// flags), the recipient and the next hop's DSN.
func PlanSent(flags int, rcpt Recipient, dsn DSN) SentPlan {
	p := SentPlan{DSN: dsn}
	if dsn.Status == "" || dsn.Status[0] != '2' || !ValidStatus(dsn.Status) {
		p.StatusWarning = fmt.Sprintf("sent: ignoring dsn code \"%s\"", dsn.Status)
		p.DSN.Status = "2.0.0"
	}
	switch {
	case flags&FlagMTAVrfy != 0:
		p.Verify = true
		p.DSN.Action = "deliverable"
	case flags&FlagUsrVrfy != 0:
		p.UserVerify = true
		p.DSN.Action = "deliverable"
	default:
		if p.DSN.Action == "" {
			p.DSN.Action = "delivered"
		}
		delayed := flags&FlagRecDlySent != 0 &&
			(rcpt.NotifyFlags == 0 || rcpt.NotifyFlags&NotifyDelay != 0)
		p.TraceRecord = flags&FlagRecord != 0 || delayed
		p.TraceSuccess = rcpt.NotifyFlags&NotifySuccess != 0
	}
	return p
}

// SentResult is what is left for the agent after Sent.
type SentResult struct {
	// LogStatus is the status word of the delivery line the agent logs
	// with DSN ("sent", "deliverable"); empty when nothing is logged.
	LogStatus string
	// DSN is the status to log (SentPlan.DSN).
	DSN DSN
	// Defer, when set, is the status stock passes to defer_append
	// because a trace request for normal mail failed: "4.3.0" with the
	// reason "<id>: <trace service> service failed".
	Defer *DSN
}

// Sent carries out PlanSent with this client: the verify update or the
// trace requests. It logs through Config.Warn what stock logs on the way
// (the status warning, the mail_command_client warning and
// ServiceFailure) and returns a nil error exactly when stock sent()
// returns 0, i.e. when the recipient may be marked done.
func (c *Client) Sent(ctx context.Context, flags int, queueID string, rcpt Recipient, relay string, dsn DSN) (SentResult, error) {
	p := PlanSent(flags, rcpt, dsn)
	if p.StatusWarning != "" {
		c.cfg.Warn(p.StatusWarning)
	}
	res := SentResult{DSN: p.DSN}
	switch {
	case p.Verify:
		status, err := c.VerifyAppend(ctx, rcpt, RcptStatOK, p.DSN.Action, p.DSN.Reason)
		if err != nil {
			if !IsFatal(err) {
				c.cfg.Warn(ServiceFailure(queueID, c.cfg.VerifyService))
			}
			return res, err
		}
		res.LogStatus = status
	case p.UserVerify:
		if err := c.trace(ctx, flags, queueID, rcpt, relay, p.DSN); err != nil {
			return res, err
		}
		res.LogStatus = p.DSN.Action
	default:
		// Stock evaluates the two traces with && short-circuits: a
		// failed first trace skips the second.
		var err error
		if p.TraceRecord {
			err = c.trace(ctx, flags, queueID, rcpt, relay, p.DSN)
		}
		if err == nil && p.TraceSuccess {
			err = c.trace(ctx, flags, queueID, rcpt, relay, p.DSN)
		}
		if err != nil {
			d := p.DSN
			d.Status = "4.3.0"
			d.Reason = fmt.Sprintf("%s: %s service failed", queueID, c.cfg.TraceService)
			res.Defer = &d
			return res, err
		}
		res.LogStatus = "sent"
	}
	return res, nil
}

// trace is trace_append's request plus its warnings.
func (c *Client) trace(ctx context.Context, flags int, queueID string, rcpt Recipient, relay string, dsn DSN) error {
	err := c.TraceAppend(ctx, flags, queueID, rcpt, relay, dsn)
	if err != nil {
		var e *Error
		if errors.As(err, &e) {
			c.cfg.Warn(e.Error()) // mail_command_client's own warning
		}
		c.cfg.Warn(ServiceFailure(queueID, c.cfg.TraceService))
	}
	return err
}
