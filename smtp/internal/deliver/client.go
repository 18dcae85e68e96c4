package deliver

import (
	"fmt"

	"github.com/postfix-go/postfix-go/master-compat/attr"
)

// The client side of the protocol, as deliver_pass() uses it when an agent
// hands a request on to another transport (best_mx_transport). Both
// functions log what deliver_pass logs, "<path>: malformed response",
// through sc.Warn.

// ReadAnnounce reads and checks an agent's greeting. Stock accepts a list
// in which the protocol attribute is missing or preceded by another one
// (the scan converts nothing either way); this rejects the latter, which
// no agent sends, and like stock lets an empty list pass.
func ReadAnnounce(sc *attr.Scanner) error {
	n, err := sc.Scan(attr.Strict, attr.Expect("protocol", Protocol))
	if err != nil || n != 0 || sc.MidList() {
		return malformedResponse(sc, err)
	}
	return nil
}

// ReadReply reads an agent's reply to a request.
func ReadReply(sc *attr.Scanner) (Reply, error) {
	var r Reply
	wants := append(r.HopStatus.Wants(), attr.Int("status", &r.Status))
	n, err := sc.Scan(attr.Strict, wants...)
	if err != nil || n != len(wants) {
		return Reply{}, malformedResponse(sc, err)
	}
	return r, nil
}

func malformedResponse(sc *attr.Scanner, cause error) error {
	text := warn(sc, "%s: malformed response", sc.Path)
	if cause != nil {
		return fmt.Errorf("%s: %w", text, cause)
	}
	return fmt.Errorf("%s", text)
}
