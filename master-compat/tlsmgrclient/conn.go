package tlsmgrclient

import (
	"context"
	"time"

	"github.com/postfix-go/postfix-go/internal/tlsmgrproto"
	"github.com/postfix-go/postfix-go/master-compat/attr"
	"github.com/postfix-go/postfix-go/master-compat/ipcconn"
)

// dial connects to path and reads the announcement (auto_clnt_open plus
// tls_mgr_handshake). A failed connect is an *ipcconn.DialError for the
// caller to warn about; a bad announcement has been warned about by the
// scanner. VSTREAM_PATH is the endpoint name, which is what stock's
// scanner warnings show.
func dial(ctx context.Context, path string, timeout time.Duration, warn func(string), now time.Time) (*ipcconn.Conn, error) {
	return ipcconn.Dial(ctx, path, path, timeout, warn, now, func(sc *attr.Scanner) error {
		return tlsmgrproto.DecodeAnnounce(sc, tlsmgrproto.Protocol)
	})
}

// exchange sends one request and reads its reply.
func exchange(ctx context.Context, c *ipcconn.Conn, now time.Time, req *tlsmgrproto.MgrRequest) (tlsmgrproto.MgrReply, error) {
	var reply tlsmgrproto.MgrReply
	err := c.Exchange(ctx, now, req.Append(nil), func(sc *attr.Scanner) (err error) {
		reply, err = tlsmgrproto.DecodeMgrReply(sc, req.Name)
		return err
	})
	return reply, err
}
