package deliver

import (
	"strconv"
	"strings"
)

// Flags is the request's "flags" attribute (DEL_REQ_FLAG_* in Postfix's
// deliver_request.h). qmgr composes it from the message's trace flags, the
// per-destination connection-cache hints and FlagDefault.
type Flags uint32

const (
	// FlagSuccess asks the agent to mark delivered recipients done in the
	// queue file. qmgr always sets it; without it nothing is marked and
	// the message would be delivered again.
	FlagSuccess Flags = 1 << 0
	// FlagBounce nominally asks to mark bounced recipients done; Postfix
	// documents it as non-functional (FlagSuccess governs both).
	FlagBounce Flags = 1 << 1
	// FlagMTAVerify marks an address probe from verify(8): do not
	// deliver, report to verify(8) instead (alias DEL_REQ_FLAG_VERIFY).
	FlagMTAVerify Flags = 1 << 8
	// FlagUserVerify marks a "sendmail -bv" probe: do not deliver, report
	// every result to trace(8) (alias DEL_REQ_FLAG_EXPAND).
	FlagUserVerify Flags = 1 << 9
	// FlagRecord is "sendmail -v": deliver and also report to trace(8).
	FlagRecord Flags = 1 << 10
	// FlagConnLoad lets the agent take a cached connection from scache(8)
	// (qmgr's on-demand connection caching).
	FlagConnLoad Flags = 1 << 11
	// FlagConnStore lets the agent save its connection to scache(8).
	FlagConnStore Flags = 1 << 12
	// FlagRecDelaySent says a "delayed" notice was already sent, so a
	// successful delivery may need a trace record (confirm_delay_cleared).
	FlagRecDelaySent Flags = 1 << 13

	// FlagDefault is what qmgr always includes.
	FlagDefault = FlagSuccess | FlagBounce
	// FlagConnMask is both connection-cache hints.
	FlagConnMask = FlagConnLoad | FlagConnStore
	// TraceFlagsMask selects the bits an agent copies into its bounce,
	// defer, trace and verify requests (DEL_REQ_TRACE_FLAGS_MASK).
	TraceFlagsMask = FlagMTAVerify | FlagUserVerify | FlagRecord | FlagRecDelaySent
	// TraceOnlyMask selects the probe bits: mail that must not be
	// delivered (DEL_REQ_TRACE_ONLY_MASK).
	TraceOnlyMask = FlagMTAVerify | FlagUserVerify
)

// TraceFlags returns the subset of f that status-service requests carry.
func (f Flags) TraceFlags() Flags { return f & TraceFlagsMask }

// TraceOnly reports whether f is an address probe (no real delivery).
func (f Flags) TraceOnly() bool { return f&TraceOnlyMask != 0 }

// String names the bits for debugging, e.g. "SUCCESS|BOUNCE|CONN_LOAD";
// bits Postfix 3.7 does not define are shown in hex.
func (f Flags) String() string { return maskString(uint32(f), flagName, "|", "0") }

func flagName(bit uint32) string {
	switch Flags(bit) {
	case FlagSuccess:
		return "SUCCESS"
	case FlagBounce:
		return "BOUNCE"
	case FlagMTAVerify:
		return "MTA_VRFY"
	case FlagUserVerify:
		return "USR_VRFY"
	case FlagRecord:
		return "RECORD"
	case FlagConnLoad:
		return "CONN_LOAD"
	case FlagConnStore:
		return "CONN_STORE"
	case FlagRecDelaySent:
		return "REC_DLY_SENT"
	}
	return ""
}

// SendOpts is the request's "smtputf8" attribute, called "sendopts" from
// Postfix 3.10 on (SMTPUTF8_FLAG_* in 3.7's smtputf8.h, SOPT_* later; the
// values of the old bits did not change).
type SendOpts uint32

const (
	// SendOptSMTPUTF8Requested: the sender asked for SMTPUTF8.
	SendOptSMTPUTF8Requested SendOpts = 1 << 0
	// SendOptSMTPUTF8Header: a header contains UTF-8 (found by cleanup).
	SendOptSMTPUTF8Header SendOpts = 1 << 1
	// SendOptSMTPUTF8Sender: the envelope sender is UTF-8.
	SendOptSMTPUTF8Sender SendOpts = 1 << 2
	// SendOptSMTPUTF8Recipient: a recipient of this request is UTF-8
	// (set by qmgr per request).
	SendOptSMTPUTF8Recipient SendOpts = 1 << 3
	// SendOptRequireTLSHeader: "TLS-Required: no" (Postfix 3.10 and later).
	SendOptRequireTLSHeader SendOpts = 1 << 4
	// SendOptRequireTLSESMTP: MAIL FROM ... REQUIRETLS (Postfix 3.11 and
	// later).
	SendOptRequireTLSESMTP SendOpts = 1 << 5

	// SendOptSMTPUTF8Derived are the bits that say the message actually
	// needs SMTPUTF8.
	SendOptSMTPUTF8Derived = SendOptSMTPUTF8Header | SendOptSMTPUTF8Sender | SendOptSMTPUTF8Recipient
)

// RequiresSMTPUTF8 reports whether delivery needs a server that supports
// SMTPUTF8: the sender asked for it and the message really has UTF-8 in
// it. Postfix 3.7 tests "any other bit", which is the same thing as long
// as only SMTPUTF8 bits exist; testing the SMTPUTF8 bits keeps the answer
// right when a newer qmgr also sends REQUIRETLS bits.
func (o SendOpts) RequiresSMTPUTF8() bool {
	return o&SendOptSMTPUTF8Requested != 0 && o&SendOptSMTPUTF8Derived != 0
}

// String names the bits with the names of Postfix's sendopts_strflags,
// joined by "|"; zero is "none", as there.
func (o SendOpts) String() string { return maskString(uint32(o), sendOptName, "|", "none") }

func sendOptName(bit uint32) string {
	switch SendOpts(bit) {
	case SendOptSMTPUTF8Requested:
		return "smtputf8_requested"
	case SendOptSMTPUTF8Header:
		return "smtputf8_header"
	case SendOptSMTPUTF8Sender:
		return "smtputf8_sender"
	case SendOptSMTPUTF8Recipient:
		return "smtputf8_recipient"
	case SendOptRequireTLSHeader:
		return "requiretls_header"
	case SendOptRequireTLSESMTP:
		return "requiretls_esmtp"
	}
	return ""
}

// Notify is a recipient's DSN NOTIFY mask (DSN_NOTIFY_* in dsn_mask.h);
// zero means the sender did not say.
type Notify uint32

const (
	NotifyNever   Notify = 1 << 0
	NotifySuccess Notify = 1 << 1
	NotifyFailure Notify = 1 << 2
	NotifyDelay   Notify = 1 << 3

	// NotifyAny is every "do notify" bit.
	NotifyAny = NotifySuccess | NotifyFailure | NotifyDelay
)

// Valid reports whether n is a mask Postfix accepts from a queue file
// (DSN_NOTIFY_OK): NEVER alone, or any combination of the other three.
func (n Notify) Valid() bool { return n == NotifyNever || n == n&NotifyAny }

// String renders n as Postfix's dsn_notify_str does for the NOTIFY=
// parameter ("FAILURE,DELAY"; zero is ""). Bits Postfix does not define
// (a fatal error there) are appended in hex so that they show up when
// debugging; callers that build NOTIFY= check Valid first.
func (n Notify) String() string { return maskString(uint32(n), notifyName, ",", "") }

func notifyName(bit uint32) string {
	switch Notify(bit) {
	case NotifyNever:
		return "NEVER"
	case NotifySuccess:
		return "SUCCESS"
	case NotifyFailure:
		return "FAILURE"
	case NotifyDelay:
		return "DELAY"
	}
	return ""
}

// Ret is the request's DSN RET value ("ret_flags"); zero means the sender
// did not say.
type Ret int

const (
	RetFull Ret = 1 // RET=FULL
	RetHdrs Ret = 2 // RET=HDRS
)

// String is the RET= keyword ("FULL", "HDRS"), "" for zero, and a
// numeric form for values Postfix does not define.
func (r Ret) String() string {
	switch r {
	case 0:
		return ""
	case RetFull:
		return "FULL"
	case RetHdrs:
		return "HDRS"
	}
	return "RET(" + strconv.Itoa(int(r)) + ")"
}

// maskString joins the names of the bits set in v, lowest bit first (the
// order Postfix's tables list them in); bits without a name follow as one
// hex number; zero is spelled zero.
func maskString(v uint32, name func(bit uint32) string, sep, zero string) string {
	if v == 0 {
		return zero
	}
	var b strings.Builder
	for i := 0; i < 32; i++ {
		bit := uint32(1) << i
		n := ""
		if v&bit != 0 {
			n = name(bit)
		}
		if n == "" {
			continue
		}
		if b.Len() > 0 {
			b.WriteString(sep)
		}
		b.WriteString(n)
		v &^= bit
	}
	if v != 0 {
		if b.Len() > 0 {
			b.WriteString(sep)
		}
		b.WriteString("0x")
		b.WriteString(strconv.FormatUint(uint64(v), 16))
	}
	return b.String()
}
