package statusclient

import "github.com/postfix-go/postfix-go/master-compat/attr"

// appendRequest is the request list of bounce_append, defer_append and
// trace_append: the command, the caller's flags and the queue ID, then
// the recipient and the DSN inline (their FUNC printers add no framing).
func appendRequest(flags int, queueID string, rcpt Recipient, dsn DSN) *attr.List {
	return new(attr.List).
		Int("nrequest", cmdAppend).
		Int("flags", flags).
		Str("queue_id", queueID).
		Raw(recipientAttrs(rcpt)).
		Raw(dsnAttrs(dsn))
}

// recipientAttrs is rcpt_print's output. The order is Postfix's backwards
// compatibility order, not a logical one; servers scan it strictly.
func recipientAttrs(r Recipient) []byte {
	return new(attr.List).
		Str("original_recipient", r.Original).
		Str("recipient", r.Address).
		Long("offset", r.Offset).
		Str("dsn_orig_rcpt", r.DSNOrig).
		Int("notify_flags", r.NotifyFlags).
		Inline()
}

// dsnAttrs is dsn_print's output (seven strings).
func dsnAttrs(d DSN) []byte { return d.AppendAttrs(nil) }

// traceReason is the reason trace_append sends: the relay is named unless
// there was none, so that the sender's report says where mail went.
func traceReason(relay, reason string) string {
	if relay == NoRelay {
		return reason
	}
	return "delivery via " + relay + ": " + reason
}

// verifyUpdateRequest is verify_clnt_update's request.
func verifyUpdateRequest(address string, rcptStatus int, reason string) *attr.List {
	return new(attr.List).
		Str("request", "update").
		Str("address", address).
		Int("recipient_status", rcptStatus).
		Str("reason", reason)
}

// flushAddRequest is flush_add's request.
func flushAddRequest(site, queueID string) *attr.List {
	return new(attr.List).
		Str("request", "add").
		Str("site", site).
		Str("queue_id", queueID)
}
