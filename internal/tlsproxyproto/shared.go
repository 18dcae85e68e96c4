package tlsproxyproto

import (
	"github.com/postfix-go/postfix-go/internal/tlsmgrproto"
	"github.com/postfix-go/postfix-go/master-compat/attr"
)

// The stock-reader rules, the error kinds and the announcement are the
// same on the tlsproxy and tlsmgr sockets. They live with the tlsmgr
// protocol in internal/tlsmgrproto, which smtp's tlsmgr client
// (master-compat/tlsmgrclient) imports without this package; the names
// below keep this package's API and code unchanged.

// Error kinds; all of them also match attr.ErrMalformed.
const (
	ErrShort    = tlsmgrproto.ErrShort
	ErrRange    = tlsmgrproto.ErrRange
	ErrMismatch = tlsmgrproto.ErrMismatch
)

// DecodeAnnounce reads a server's protocol announcement and checks its
// name (see tlsmgrproto.DecodeAnnounce).
func DecodeAnnounce(sc *attr.Scanner, protocol string) error {
	return tlsmgrproto.DecodeAnnounce(sc, protocol)
}

// AppendAnnounce appends the announcement a server sends on accept.
func AppendAnnounce(dst []byte, protocol string) []byte {
	return tlsmgrproto.AppendAnnounce(dst, protocol)
}

func scan(sc *attr.Scanner, mid bool, flags attr.Flags, wants ...attr.Want) error {
	return tlsmgrproto.Scan(sc, mid, flags, wants...)
}

func scanEnd(sc *attr.Scanner) error { return tlsmgrproto.ScanEnd(sc) }

func warn(sc *attr.Scanner, format string, args ...any) string {
	return tlsmgrproto.Warn(sc, format, args...)
}

func appendData(dst []byte, name string, value []byte) []byte {
	return tlsmgrproto.AppendData(dst, name, value)
}
