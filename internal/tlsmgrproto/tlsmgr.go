package tlsmgrproto

import (
	"encoding/base64"
	"fmt"

	"github.com/postfix-go/postfix-go/master-compat/attr"
)

// tlsmgr request names (TLS_MGR_REQ_*, src/tls/tls_mgr.h).
const (
	MgrSeed   = "seed"   // PRNG seed bytes
	MgrPolicy = "policy" // is a session cache configured, and its timeout
	MgrLookup = "lookup" // fetch a cached session
	MgrUpdate = "update" // store a session
	MgrDelete = "delete" // remove a session
	MgrTktKey = "tktkey" // session ticket key
)

// tlsmgr status values (TLS_MGR_STAT_*). They travel as unsigned 32-bit
// numbers, so -1 is "4294967295" on the wire.
const (
	MgrStatOK   = 0  // success
	MgrStatErr  = -1 // not found, or refused
	MgrStatFail = -2 // protocol error, bad argument, or cache disabled
)

// MgrRequest is one tlsmgr request. Which members travel depends on Name;
// the others are ignored by Append and left zero by DecodeMgrRequest.
type MgrRequest struct {
	Name      string // request
	Size      int    // size: seed byte count (seed)
	CacheType string // cache_type: smtpd, smtp or lmtp (policy, lookup, update, delete)
	CacheID   string // cache_id (lookup, update, delete)
	Session   []byte // session: serialized session, base64 on the wire (update)
	KeyName   []byte // keyname: empty for the current key, else 16 bytes (tktkey)
}

// Append appends the request list with its terminator, as tls_mgr.c sends
// it. An unknown Name is sent with no further attributes.
func (r *MgrRequest) Append(dst []byte) []byte {
	dst = attr.AppendStr(dst, "request", r.Name)
	switch r.Name {
	case MgrSeed:
		dst = attr.AppendInt(dst, "size", r.Size)
	case MgrPolicy:
		dst = attr.AppendStr(dst, "cache_type", r.CacheType)
	case MgrLookup, MgrDelete:
		dst = attr.AppendStr(dst, "cache_type", r.CacheType)
		dst = attr.AppendStr(dst, "cache_id", r.CacheID)
	case MgrUpdate:
		dst = attr.AppendStr(dst, "cache_type", r.CacheType)
		dst = attr.AppendStr(dst, "cache_id", r.CacheID)
		dst = AppendData(dst, "session", r.Session)
	case MgrTktKey:
		dst = AppendData(dst, "keyname", r.KeyName)
	}
	return attr.AppendEnd(dst)
}

// DecodeMgrRequest reads a request as tlsmgr does: the request name
// strictly with the list left open, then that request's attributes
// strictly with the terminator. The returned request carries Name whenever
// the name was read, also with an error, because the stock server answers
// a malformed known request with that request's reply shape and status
// MgrStatFail, a list without a name with a bare MgrStatFail status, and
// an unknown name (ErrUnknownRequest) with nothing at all.
func DecodeMgrRequest(sc *attr.Scanner) (MgrRequest, error) {
	var r MgrRequest
	if err := Scan(sc, false, attr.Strict|attr.More, attr.Str("request", &r.Name)); err != nil {
		return MgrRequest{}, fmt.Errorf("receive tlsmgr request: %w", err)
	}
	var wants []attr.Want
	switch r.Name {
	case MgrSeed:
		wants = []attr.Want{attr.Int("size", &r.Size)}
	case MgrPolicy:
		wants = []attr.Want{attr.Str("cache_type", &r.CacheType)}
	case MgrLookup, MgrDelete:
		wants = []attr.Want{attr.Str("cache_type", &r.CacheType), attr.Str("cache_id", &r.CacheID)}
	case MgrUpdate:
		wants = []attr.Want{attr.Str("cache_type", &r.CacheType), attr.Str("cache_id", &r.CacheID),
			attr.Data("session", &r.Session)}
	case MgrTktKey:
		wants = []attr.Want{attr.Data("keyname", &r.KeyName)}
	default:
		return MgrRequest{Name: r.Name}, fmt.Errorf("%w: %q", ErrUnknownRequest, r.Name)
	}
	if err := Scan(sc, true, attr.Strict, wants...); err != nil {
		return MgrRequest{Name: r.Name}, fmt.Errorf("receive tlsmgr %s request: %w", r.Name, err)
	}
	return r, nil
}

// MgrReply is a tlsmgr reply. Which members travel depends on the request
// it answers (see Append).
type MgrReply struct {
	Status int // status: MgrStat*
	// Data is seed (seed), session (lookup) or keybuf (tktkey); base64 on
	// the wire. Clients must ignore it unless Status is MgrStatOK: after a
	// parse error stock tlsmgr may send stale bytes here.
	Data     []byte
	Cachable int // cachable: 1 if the cache has a database (policy)
	Timeout  int // timeout: the cache's session timeout in seconds (policy)
}

// replyDataName names the DATA attribute of a request's reply, or "".
func replyDataName(request string) string {
	switch request {
	case MgrSeed:
		return "seed"
	case MgrLookup:
		return "session"
	case MgrTktKey:
		return "keybuf"
	}
	return ""
}

// Append appends the reply to the named request with its terminator, as
// tlsmgr_service prints it. A request name that is not one of the Mgr*
// names (the "first attribute is not request" case) gets a bare status.
func (r *MgrReply) Append(dst []byte, request string) []byte {
	dst = attr.AppendInt(dst, "status", r.Status)
	if name := replyDataName(request); name != "" {
		dst = AppendData(dst, name, r.Data)
	} else if request == MgrPolicy {
		dst = attr.AppendInt(dst, "cachable", r.Cachable)
		dst = attr.AppendInt(dst, "timeout", r.Timeout)
	}
	return attr.AppendEnd(dst)
}

// DecodeMgrReply reads the reply to the named request as the stock client
// does: with ATTR_FLAG_MISSING only, so unknown attributes are skipped,
// and every expected attribute required. Stock turns any failure into
// MgrStatFail; so should callers.
func DecodeMgrReply(sc *attr.Scanner, request string) (MgrReply, error) {
	var r MgrReply
	wants := []attr.Want{attr.Int("status", &r.Status)}
	if name := replyDataName(request); name != "" {
		wants = append(wants, attr.Data(name, &r.Data))
	} else if request == MgrPolicy {
		wants = append(wants, attr.Int("cachable", &r.Cachable), attr.Int("timeout", &r.Timeout))
	}
	if err := Scan(sc, false, attr.Missing, wants...); err != nil {
		return MgrReply{}, fmt.Errorf("receive tlsmgr %s reply: %w", request, err)
	}
	return r, nil
}

// AppendData appends a DATA attribute: standard base64 with padding, as
// attr_print0 writes it. The tlsproxy protocol package uses it too.
func AppendData(dst []byte, name string, value []byte) []byte {
	dst = append(dst, name...)
	dst = append(dst, 0)
	dst = base64.StdEncoding.AppendEncode(dst, value)
	return append(dst, 0)
}
