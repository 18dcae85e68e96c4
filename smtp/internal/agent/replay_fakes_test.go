package agent

import (
	"bytes"
	"context"
	"fmt"
	"sync"

	"github.com/postfix-go/postfix-go/master-compat/attr"
	"github.com/postfix-go/postfix-go/master-compat/statusclient"
	"github.com/postfix-go/postfix-go/smtp/internal/queuefile"
)

// replayRec is the status services, the syslog and the queue file of a
// replayed delivery in one recorder, so that the order of status
// requests, log lines and D marks can be compared with stock's, not only
// each kind on its own (stock: status request, then log line, then D).
//
// Status calls are rendered as the requests statusclient.Client would
// write to the services, in the attribute order of the stock clients, so
// that they compare with the recorded wire requests. Every service
// answers "status 0", as in all replayed transcripts.
type replayRec struct {
	queue   []byte // the queue file as far as stock read it
	queueID string

	mu       sync.Mutex
	status   []string
	logs     []string
	marks    []int64
	timeline []string
}

func (r *replayRec) add(kind, line string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch kind {
	case "status":
		r.status = append(r.status, line)
	case "log":
		r.logs = append(r.logs, line)
		line = "log: " + maskLog(line)
	}
	r.timeline = append(r.timeline, line)
}

// request records one status request, encoded with the attr package and
// decoded by the same renderAttrs as the recorded ones.
func (r *replayRec) request(service string, l *attr.List) {
	r.add("status", service+": "+renderAttrs(l.Bytes()))
}

func (r *replayRec) appendReq(service string, flags int, id string, rc statusclient.Recipient, d statusclient.DSN) {
	l := new(attr.List).Int("nrequest", 0).Int("flags", flags).Str("queue_id", id).
		Str("original_recipient", rc.Original).Str("recipient", rc.Address).
		Long("offset", rc.Offset).Str("dsn_orig_rcpt", rc.DSNOrig).Int("notify_flags", rc.NotifyFlags).
		Raw(d.AppendAttrs(nil))
	r.request(service, l)
}

// verifyReq is verify_append's traffic: one update per distinct address.
func (r *replayRec) verifyReq(rc statusclient.Recipient, rcptStatus int, reason string) {
	update := func(addr string) {
		r.request("verify", new(attr.List).Str("request", "update").Str("address", addr).
			Int("recipient_status", rcptStatus).Str("reason", reason))
	}
	if rc.Original != "" {
		update(rc.Original)
	}
	if rc.Address != rc.Original {
		update(rc.Address)
	}
}

func (r *replayRec) DeferAppend(_ context.Context, flags int, id string, rc statusclient.Recipient, d statusclient.DSN) error {
	r.appendReq("defer", flags, id, rc, d)
	return nil
}

func (r *replayRec) BounceAppend(_ context.Context, flags int, id string, rc statusclient.Recipient, d statusclient.DSN) error {
	r.appendReq("bounce", flags, id, rc, d)
	return nil
}

// TraceAppend sends what trace_append sends: the reason names the relay.
func (r *replayRec) TraceAppend(_ context.Context, flags int, id string, rc statusclient.Recipient, relay string, d statusclient.DSN) error {
	if relay != statusclient.NoRelay {
		d.Reason = "delivery via " + relay + ": " + d.Reason
	}
	r.appendReq("trace", flags, id, rc, d)
	return nil
}

// Sent is statusclient.Client.Sent with this recorder as the services.
func (r *replayRec) Sent(ctx context.Context, flags int, id string, rc statusclient.Recipient, relay string, d statusclient.DSN) (statusclient.SentResult, error) {
	p := statusclient.PlanSent(flags, rc, d)
	if p.StatusWarning != "" {
		r.Warn(p.StatusWarning)
	}
	res := statusclient.SentResult{DSN: p.DSN, LogStatus: "sent"}
	switch {
	case p.Verify:
		r.verifyReq(rc, statusclient.RcptStatOK, p.DSN.Reason)
		res.LogStatus = p.DSN.Action
	case p.UserVerify:
		_ = r.TraceAppend(ctx, flags, id, rc, relay, p.DSN)
		res.LogStatus = p.DSN.Action
	default:
		if p.TraceRecord {
			_ = r.TraceAppend(ctx, flags, id, rc, relay, p.DSN)
		}
		if p.TraceSuccess {
			_ = r.TraceAppend(ctx, flags, id, rc, relay, p.DSN)
		}
	}
	return res, nil
}

func (r *replayRec) VerifyAppend(_ context.Context, rc statusclient.Recipient, rcptStatus int, action, reason string) (string, error) {
	r.verifyReq(rc, rcptStatus, reason)
	return action, nil
}

func (r *replayRec) FlushAdd(_ context.Context, site, id string) (int, error) {
	r.request("flush", new(attr.List).Str("request", "add").Str("site", site).Str("queue_id", id))
	return statusclient.FlushStatOK, nil
}

func (r *replayRec) Info(s string) { r.add("log", s) }
func (r *replayRec) Warn(s string) { r.add("log", "warning: "+s) }

// Content serves the recorded queue-file bytes; offsets stock never read
// are zero bytes, which a reader that strays there reports as corrupt.
func (r *replayRec) Content(off int64) (*queuefile.ContentReader, error) {
	return queuefile.NewContentReader(bytes.NewReader(r.queue), "active/"+r.queueID, r.queueID, off)
}

func (r *replayRec) MarkDone(off int64) error {
	r.mu.Lock()
	r.marks = append(r.marks, off)
	r.mu.Unlock()
	r.add("mark", fmt.Sprintf("D %d", off))
	return nil
}

// snapshot returns copies of what was recorded.
func (r *replayRec) snapshot() (status, logs []string, marks []int64, timeline []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.status...), append([]string(nil), r.logs...),
		append([]int64(nil), r.marks...), append([]string(nil), r.timeline...)
}
