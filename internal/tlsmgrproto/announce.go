package tlsmgrproto

import (
	"fmt"

	"github.com/postfix-go/postfix-go/master-compat/attr"
)

// Protocol is the name tlsmgr sends in its announcement
// (MAIL_ATTR_PROTO_TLSMGR).
const Protocol = "tlsmgr_protocol"

// DecodeAnnounce reads a server's protocol announcement and checks the
// name, as the stock clients' RECV_ATTR_STREQ does, with stock's warning
// for a wrong name. Unlike stock it also rejects an empty list, which no
// Postfix server sends: an Expect want does not count as a conversion, so
// the name is read as a string and compared here.
func DecodeAnnounce(sc *attr.Scanner, protocol string) error {
	var got string
	if err := Scan(sc, false, attr.Strict, attr.Str("protocol", &got)); err != nil {
		return fmt.Errorf("receive %s announcement: %w", protocol, err)
	}
	if got != protocol {
		text := Warn(sc, "unexpected protocol %s from %s (expected: %s)", got, sc.Path, protocol)
		return fmt.Errorf("%w: %s", ErrMismatch, text)
	}
	return nil
}

// AppendAnnounce appends the announcement a server sends on accept, e.g.
// "protocol\0tlsproxy_protocol\0\0".
func AppendAnnounce(dst []byte, protocol string) []byte {
	return attr.AppendEnd(attr.AppendStr(dst, "protocol", protocol))
}
