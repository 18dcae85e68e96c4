package statusclient

import "github.com/postfix-go/postfix-go/master-compat/dsn"

// Recipient is one recipient as rcpt_print() sends it, in wire order. It is
// a plain struct so that the delivery agent can convert its own recipient
// type without this package knowing it.
type Recipient struct {
	Original    string // original_recipient: the address before rewriting
	Address     string // recipient
	Offset      int64  // offset of the recipient record in the queue file
	DSNOrig     string // dsn_orig_rcpt: the RFC 3461 ORCPT, e.g. "rfc822;bob@example.com"
	NotifyFlags int    // notify_flags: the Notify* bits, 0 when NOTIFY was not given
}

// DSN is the status record of a request, in dsn_print's order (see
// package dsn); delivery agents use the same type.
type DSN = dsn.DSN

// Delivery request flags (deliver_request.h DEL_REQ_FLAG_*). Only the
// trace bits matter to the status services; they travel as the "flags"
// attribute of bounce/defer/trace requests.
const (
	FlagSuccess    = 1 << 0  // delete successful recipients
	FlagBounce     = 1 << 1  // unimplemented in Postfix, always set by qmgr
	FlagMTAVrfy    = 1 << 8  // MTA-requested address probe (verify(8))
	FlagUsrVrfy    = 1 << 9  // user-requested address probe (sendmail -bv)
	FlagRecord     = 1 << 10 // record and deliver (sendmail -v)
	FlagConnLoad   = 1 << 11 // consult the opportunistic connection cache
	FlagConnStore  = 1 << 12 // update the opportunistic connection cache
	FlagRecDlySent = 1 << 13 // record delayed delivery ("delay cleared")

	// TraceFlagsMask is DEL_REQ_TRACE_FLAGS_MASK: the bits a delivery
	// agent passes on to the status functions.
	TraceFlagsMask = FlagMTAVrfy | FlagUsrVrfy | FlagRecord | FlagRecDlySent
)

// DSN NOTIFY bits (dsn_mask.h DSN_NOTIFY_*), as carried in notify_flags.
const (
	NotifyNever   = 1 << 0
	NotifySuccess = 1 << 1
	NotifyFailure = 1 << 2
	NotifyDelay   = 1 << 3
)

// Recipient status values of a verify update (DEL_RCPT_STAT_*).
const (
	RcptStatOK     = 0
	RcptStatDefer  = 1
	RcptStatBounce = 2
)

// Flush service replies (flush_clnt.h FLUSH_STAT_*). OK and Deny are
// normal outcomes; stock warns "<id>: flush service failure" otherwise.
const (
	FlushStatFail = -1
	FlushStatOK   = 0
	FlushStatBad  = 3
	FlushStatDeny = 4
)

// Verify service replies (verify_clnt.h VRFY_STAT_*).
const (
	VerifyStatOK   = 0
	VerifyStatFail = -1
	VerifyStatBad  = -2
)

// Protocol names the servers announce (mail_proto.h MAIL_ATTR_PROTO_*).
// The verify spelling with "rr" is the real wire value.
const (
	ProtoDeliveryStatus = "delivery_status_protocol"
	ProtoFlush          = "queue_flush_protocol"
	ProtoVerify         = "address_verification_prrotocol"
)

// Stock service names (bounce_service_name, defer_service_name,
// trace_service_name, address_verify_service_name, flush_service_name)
// and the classes their sockets live in: the flush socket is public,
// because postqueue(1) talks to it too.
const (
	DefaultBounceService = "bounce"
	DefaultDeferService  = "defer"
	DefaultTraceService  = "trace"
	DefaultVerifyService = "verify"
	DefaultFlushService  = "flush"

	ClassPrivate = "private"
	ClassPublic  = "public"
)

// NoRelay is the relay name of a status without a session ("none"); trace
// reasons get no "delivery via" prefix for it.
const NoRelay = "none"

// Bounce service command numbers (bounce.h BOUNCE_CMD_*); delivery agents
// only ever append.
const cmdAppend = 0

// ValidStatus reports whether status is an enhanced status code the way
// dsn_valid() accepts it: class 2, 4 or 5, then 1-3 digits, then 1-3
// digits ending the string or followed by white space.
func ValidStatus(status string) bool {
	if len(status) < 2 || (status[0] != '2' && status[0] != '4' && status[0] != '5') || status[1] != '.' {
		return false
	}
	rest := status[2:]
	n := leadingDigits(rest)
	if n < 1 || n > 3 || n == len(rest) || rest[n] != '.' {
		return false
	}
	rest = rest[n+1:]
	n = leadingDigits(rest)
	return n >= 1 && n <= 3 && (n == len(rest) || isSpace(rest[n]))
}

func leadingDigits(s string) int {
	n := 0
	for n < len(s) && s[n] >= '0' && s[n] <= '9' {
		n++
	}
	return n
}

// isSpace is C's isspace() in the C locale, which dsn_valid uses.
func isSpace(c byte) bool {
	return c == ' ' || (c >= '\t' && c <= '\r')
}

// FlushSite returns the domain defer_append() would pass to flush_add():
// the text after the last '@' of the recipient address, when non-empty.
// Whether the domain is eligible (fast_flush_domains) is for the caller to
// decide; stock checks that before connecting.
func FlushSite(address string) (site string, ok bool) {
	for i := len(address) - 1; i >= 0; i-- {
		if address[i] == '@' {
			site = address[i+1:]
			return site, site != ""
		}
	}
	return "", false
}

// ServiceFailure is the warning stock logs when a status call for queueID
// failed ("<id>: defer service failure"); service is the configured name.
func ServiceFailure(queueID, service string) string {
	return queueID + ": " + service + " service failure"
}
