package deliver

import (
	"github.com/postfix-go/postfix-go/master-compat/attr"
)

// Protocol is the value of the announcement's "protocol" attribute.
const Protocol = "delivery_request_protocol"

// Names of the eighth request attribute: "smtputf8" up to Postfix 3.9,
// "sendopts" from 3.10 on.
const (
	AttrSMTPUTF8 = "smtputf8"
	AttrSendOpts = "sendopts"
)

// Request is one delivery request from qmgr. Strings that qmgr does not
// have are empty, never absent (the protocol cannot send a null string).
type Request struct {
	Flags      Flags
	QueueName  string // queue directory, "active" for qmgr
	QueueID    string
	DataOffset int64 // offset of the first content record in the queue file
	DataSize   int64 // content length (for SIZE=)
	Nexthop    string
	Encoding   string // "", "7bit" or "8bit"
	SendOpts   SendOpts
	// SendOptsAttr is the name under which SendOpts arrived (AttrSMTPUTF8
	// or AttrSendOpts). A request this agent passes on to a sibling
	// transport uses the same name, as the sibling runs the same Postfix
	// version as the qmgr that sent it.
	SendOptsAttr string
	Sender       string // internal form, "" is the null sender
	EnvID        string // DSN ENVID, decoded
	Ret          Ret
	Stats        MsgStats
	Client       ClientInfo
	Recipients   []Recipient
}

// ClientInfo describes the original SMTP client of the message, for
// XFORWARD and logging; qmgr copies it from the queue file.
type ClientInfo struct {
	Name           string // log_client_name ("unknown" if unresolved)
	Addr           string // log_client_address
	Port           string // log_client_port
	Proto          string // log_protocol_name ("SMTP", "ESMTP", ...)
	Helo           string // log_helo_name
	SASLMethod     string
	SASLUsername   string
	SASLSender     string
	LogIdent       string // original queue ID (XFORWARD IDENT)
	RewriteContext string // "local" or "remote"
}

// Recipient is one recipient of a request.
type Recipient struct {
	OrigAddr string // original_recipient, before rewriting; may be ""
	Address  string // recipient, the address to deliver to
	// Offset is where the recipient's record sits in the queue file, so
	// that the agent can mark it done; -1 means there is no record to
	// mark.
	Offset   int64
	DSNOrcpt string // ORCPT as "type;address", or ""
	Notify   Notify
}

// Encode returns the request as qmgr sends it: the message list, then one
// list per recipient. The agent itself needs this only to pass a request
// on to another transport; tests use it to build inputs.
func (r *Request) Encode() []byte {
	opts := r.SendOptsAttr
	if opts == "" {
		opts = AttrSMTPUTF8
	}
	stats, _ := r.Stats.MarshalBinary()
	c := &r.Client
	l := new(attr.List).
		Int("flags", int(r.Flags)).
		Str("queue_name", r.QueueName).
		Str("queue_id", r.QueueID).
		Long("offset", r.DataOffset).
		Long("size", r.DataSize).
		Str("nexthop", r.Nexthop).
		Str("encoding", r.Encoding).
		Int(opts, int(r.SendOpts)).
		Str("sender", r.Sender).
		Str("envelope_id", r.EnvID).
		Int("ret_flags", int(r.Ret)).
		Data("time", stats).
		Str("log_client_name", c.Name).
		Str("log_client_address", c.Addr).
		Str("log_client_port", c.Port).
		Str("log_protocol_name", c.Proto).
		Str("log_helo_name", c.Helo).
		Str("sasl_method", c.SASLMethod).
		Str("sasl_username", c.SASLUsername).
		Str("sasl_sender", c.SASLSender).
		Str("log_ident", c.LogIdent).
		Str("rewrite_context", c.RewriteContext).
		Int("recipient_count", len(r.Recipients))
	out := l.Bytes()
	for i := range r.Recipients {
		out = append(out, r.Recipients[i].encode()...)
	}
	return out
}

// encode is one recipient list, in rcpt_print's order.
func (rc *Recipient) encode() []byte {
	return new(attr.List).
		Str("original_recipient", rc.OrigAddr).
		Str("recipient", rc.Address).
		Long("offset", rc.Offset).
		Str("dsn_orig_rcpt", rc.DSNOrcpt).
		Int("notify_flags", int(rc.Notify)).
		Bytes()
}
