package proxymap

import (
	"errors"
	"fmt"

	"github.com/postfix-go/postfix-go/master-compat/attr"
)

// Protocol is the server's announcement (MAIL_ATTR_PROTO_PROXYMAP).
const Protocol = "proxymap_protocol"

// Request names (dict_proxy.h PROXY_REQ_*) and attribute names
// (mail_proto.h).
const (
	ReqOpen   = "open"
	ReqLookup = "lookup"

	attrReq    = "request"
	attrTable  = "table"
	attrFlags  = "flags"
	attrKey    = "key"
	attrValue  = "value"
	attrStatus = "status"
	attrProto  = "protocol"
)

// Reply status codes (dict_proxy.h PROXY_STAT_*).
const (
	StatOK     = 0 // operation succeeded
	StatNoKey  = 1 // requested key not found
	StatRetry  = 2 // try lookup again later
	StatBad    = 3 // invalid request parameter
	StatDeny   = 4 // table not approved for proxying
	StatConfig = 5 // DICT_ERR_CONFIG error
)

// Dict flags (util/dict.h DICT_FLAG_*) that matter to a lookup client.
const (
	FlagFixed       = 1 << 4  // fixed key map (server side)
	FlagPattern     = 1 << 5  // keys are patterns (server side)
	FlagLock        = 1 << 6  // use temp lock before access
	FlagFoldFix     = 1 << 14 // case-fold key with fixed-case map
	FlagFoldMul     = 1 << 15 // case-fold key with multi-case map
	FlagMultiWriter = 1 << 18 // multi-writer safe map (server side)
	FlagUTF8Request = 1 << 19 // activate UTF-8 if possible
	FlagUTF8Active  = 1 << 20 // UTF-8 proxy layer is present

	FlagFoldAny = FlagFoldFix | FlagFoldMul
	// ImplMask: flags set by the map implementation.
	ImplMask = FlagFixed | FlagPattern | FlagMultiWriter
	// RqstMask: requestor flags that may differ per lookup (dup_*,
	// sync_update, the paranoid flags, folding, lock, UTF-8 request).
	RqstMask = FlagFoldAny | FlagLock | 1<<7 | 1<<0 | 1<<1 | 1<<8 |
		(1<<11 | 1<<12 | 1<<13) | FlagUTF8Request
	// InstMask: everything else; sent with the open request.
	InstMask = ^(ImplMask | RqstMask)
)

// Errors. Each error a Table returns wraps one of these; its text is
// stock's (for DENY and BAD, the text of stock's fatal error).
var (
	// ErrUnavailable: the service could not be reached or talked to.
	ErrUnavailable = errors.New("proxymap service unavailable")
	// ErrRetry: status RETRY: a temporary back-end error, or a table the
	// server could not open (its surrogate table, e.g. a missing file).
	ErrRetry = errors.New("proxymap: temporary lookup error")
	// ErrConfig: status CONFIG (DICT_ERR_CONFIG from the table), or a
	// non-UTF-8 value refused by the UTF-8 layer.
	ErrConfig = errors.New("proxymap: table configuration error")
	// ErrDeny: status DENY, the table is not approved for proxy read
	// access (not listed as proxy:TYPE:NAME in proxy_read_maps).
	ErrDeny = errors.New("proxymap: table is not approved for proxy read access")
	// ErrBad: status BAD, invalid request (e.g. a name without ':').
	ErrBad = errors.New("proxymap: invalid request")
)

// statusError carries a sentinel and the stock text.
type statusError struct {
	kind error
	text string
}

func (e *statusError) Error() string { return e.text }
func (e *statusError) Unwrap() error { return e.kind }

// AppendOpen appends an open request: request, table, flags.
func AppendOpen(dst []byte, table string, flags int) []byte {
	dst = attr.AppendStr(dst, attrReq, ReqOpen)
	dst = attr.AppendStr(dst, attrTable, table)
	dst = attr.AppendInt(dst, attrFlags, flags)
	return attr.AppendEnd(dst)
}

// AppendLookup appends a lookup request: request, table, flags, key.
func AppendLookup(dst []byte, table string, flags int, key string) []byte {
	dst = attr.AppendStr(dst, attrReq, ReqLookup)
	dst = attr.AppendStr(dst, attrTable, table)
	dst = attr.AppendInt(dst, attrFlags, flags)
	dst = attr.AppendStr(dst, attrKey, key)
	return attr.AppendEnd(dst)
}

// errShort: the reply list was incomplete or had extra attributes (the
// scanner warned about which).
var errShort = errors.New("short proxymap reply")

// scanAll reads one list that must hold exactly wants, as a strict stock
// attr_scan whose count is checked.
func scanAll(sc *attr.Scanner, wants ...attr.Want) error {
	n, err := sc.Scan(attr.Strict, wants...)
	switch {
	case err != nil:
		return err
	case n != len(wants) || sc.MidList():
		return fmt.Errorf("%w: received %d of %d attributes", errShort, n, len(wants))
	}
	return nil
}
