// Package dsn is the delivery status record Postfix daemons pass to each
// other (dsn_print / dsb_scan): a delivery agent's reply to qmgr and every
// bounce, defer, trace and verify request carry the same seven attributes
// in the same order.
package dsn

import "github.com/postfix-go/postfix-go/master-compat/attr"

// DSN is one delivery status. Fields without information are empty.
type DSN struct {
	Status   string // RFC 3463 code, e.g. "4.4.1"
	DiagType string // RFC 3464 diagnostic type, "smtp" for a server reply
	DiagText string // the server's reply text
	MTAType  string // "dns" when the remote MTA is named
	MTAName  string // remote host name
	Action   string // "delivered", "relayed", "delayed", "failed", ...
	Reason   string // human-readable text for logs and notices
}

// AppendAttrs appends the seven attributes in dsn_print's order and
// without a list terminator: in Postfix the DSN is a "function" attribute
// that is spliced into the enclosing list.
func (d *DSN) AppendAttrs(dst []byte) []byte {
	dst = attr.AppendStr(dst, "status", d.Status)
	dst = attr.AppendStr(dst, "diag_type", d.DiagType)
	dst = attr.AppendStr(dst, "diag_text", d.DiagText)
	dst = attr.AppendStr(dst, "mta_type", d.MTAType)
	dst = attr.AppendStr(dst, "mta_mname", d.MTAName)
	dst = attr.AppendStr(dst, "action", d.Action)
	return attr.AppendStr(dst, "reason", d.Reason)
}

// Wants returns scanner wishes for the seven attributes, in order, to be
// spliced into a larger scan the way dsb_scan is.
func (d *DSN) Wants() []attr.Want {
	return []attr.Want{
		attr.Str("status", &d.Status),
		attr.Str("diag_type", &d.DiagType),
		attr.Str("diag_text", &d.DiagText),
		attr.Str("mta_type", &d.MTAType),
		attr.Str("mta_mname", &d.MTAName),
		attr.Str("action", &d.Action),
		attr.Str("reason", &d.Reason),
	}
}
