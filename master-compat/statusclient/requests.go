package statusclient

import (
	"context"

	"github.com/postfix-go/postfix-go/master-compat/attr"
)

// BounceAppend asks the bounce service to add a permanent failure for rcpt
// to the bounce log of queueID (bounce_append's request; stock sends
// action "failed"). flags are the request's trace flags (TraceFlagsMask
// bits). The result is nil only when the server answered status 0; the
// recipient may be marked done only then.
func (c *Client) BounceAppend(ctx context.Context, flags int, queueID string, rcpt Recipient, dsn DSN) error {
	return c.appendTo(ctx, c.cfg.BounceService, flags, queueID, rcpt, dsn)
}

// DeferAppend asks the defer service to add a temporary failure for rcpt
// to the defer log of queueID (defer_append's request; stock sends action
// "delayed", and under soft_bounce bounce_append sends here too, with the
// status class changed to 4).
func (c *Client) DeferAppend(ctx context.Context, flags int, queueID string, rcpt Recipient, dsn DSN) error {
	return c.appendTo(ctx, c.cfg.DeferService, flags, queueID, rcpt, dsn)
}

// TraceAppend asks the trace service to add a delivery record for rcpt
// (trace_append's request). The reason is sent as "delivery via RELAY:
// REASON" unless relay is NoRelay, as stock does; dsn itself is not
// changed, because the caller logs the unprefixed reason.
func (c *Client) TraceAppend(ctx context.Context, flags int, queueID string, rcpt Recipient, relay string, dsn DSN) error {
	dsn.Reason = traceReason(relay, dsn.Reason)
	return c.appendTo(ctx, c.cfg.TraceService, flags, queueID, rcpt, dsn)
}

func (c *Client) appendTo(ctx context.Context, service string, flags int, queueID string, rcpt Recipient, dsn DSN) error {
	ep := endpoint{ClassPrivate, service, ProtoDeliveryStatus}
	status, err := c.exchange(ctx, ep, c.cfg.CommandConnect, appendRequest(flags, queueID, rcpt, dsn), attr.Strict)
	return statusErr(ep, status, err)
}

// FlushAdd tells the flush service that queueID has mail deferred for site
// (flush_add's request, to public/flush). The status is the server's:
// FlushStatOK and FlushStatDeny (site not in fast_flush_domains) are
// normal; stock warns ServiceFailure for anything else. Stock checks
// fast_flush_domains before connecting; that is the caller's job here.
func (c *Client) FlushAdd(ctx context.Context, site, queueID string) (int, error) {
	ep := endpoint{ClassPublic, c.cfg.FlushService, ProtoFlush}
	return c.exchange(ctx, ep, c.cfg.CommandConnect, flushAddRequest(site, queueID), attr.Strict)
}

// VerifyUpdate stores one address's probe result in the verify service
// (verify_clnt_update): rcptStatus is RcptStatOK, RcptStatDefer or
// RcptStatBounce, reason the text to show to later queries. A failed
// exchange is repeated under Config.VerifyExchange (stock: every second,
// for ever), each time on a new connection made under
// Config.VerifyConnect; a fatal connect failure ends the loop at once.
func (c *Client) VerifyUpdate(ctx context.Context, address string, rcptStatus int, reason string) error {
	ep := endpoint{ClassPrivate, c.cfg.VerifyService, ProtoVerify}
	req := verifyUpdateRequest(address, rcptStatus, reason)
	for n := 1; ; n++ {
		status, err := c.exchange(ctx, ep, c.cfg.VerifyConnect, req, attr.Missing)
		if err == nil {
			return statusErr(ep, status, nil)
		}
		if IsFatal(err) {
			return err
		}
		perr := &Error{Op: OpVerify, Path: c.cfg.VerifyService, Err: err, handshake: isHandshake(err)}
		// Stock stays quiet when the server merely went away (EPIPE)
		// or the socket is missing (ENOENT); the retry fixes those.
		if e := perr.errno(); e != epipe && e != enoent {
			c.cfg.Warn(perr.Error())
		}
		if ctx.Err() != nil || !c.cfg.VerifyExchange.more(n) {
			return perr
		}
		if c.cfg.Sleep(ctx, c.cfg.VerifyExchange.Delay) != nil {
			return perr
		}
	}
}

// VerifyAppend is verify_append's traffic for an address probe: the
// result is stored under the original recipient when there is one, and
// also under the final recipient when that differs (two updates for one
// probe). Without negative caching a failed probe is not stored at all.
// logStatus is the status word for the delivery log line: dsnAction
// (stock: "deliverable" or "undeliverable") or
// "undeliverable-but-not-cached"; stock logs it only when err is nil, and
// otherwise warns ServiceFailure(queueID, verify service).
func (c *Client) VerifyAppend(ctx context.Context, rcpt Recipient, rcptStatus int, dsnAction, reason string) (logStatus string, err error) {
	if c.cfg.NoNegativeCache && rcptStatus != RcptStatOK {
		return "undeliverable-but-not-cached", nil
	}
	if rcpt.Original != "" {
		if err := c.VerifyUpdate(ctx, rcpt.Original, rcptStatus, reason); err != nil {
			return "", err
		}
	}
	if rcpt.Address != rcpt.Original {
		if err := c.VerifyUpdate(ctx, rcpt.Address, rcptStatus, reason); err != nil {
			return "", err
		}
	}
	return dsnAction, nil
}

// statusErr turns a completed exchange's non-zero status into an error.
func statusErr(ep endpoint, status int, err error) error {
	switch {
	case err != nil:
		return err
	case status != 0:
		return &StatusError{Path: ep.streamPath(), Status: status}
	}
	return nil
}
