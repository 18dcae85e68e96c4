package proxymap

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/postfix-go/postfix-go/master-compat/attr"
	"github.com/postfix-go/postfix-go/master-compat/ipcconn"
)

// errBadAnnounce: the server announced another protocol.
var errBadAnnounce = errors.New("bad proxymap announcement")

// dial connects to path and checks the announcement (clnt_stream_open
// plus dict_proxy_handshake). name is the endpoint as stock shows it.
func dial(ctx context.Context, path, name string, timeout time.Duration, warn func(string), now time.Time) (*ipcconn.Conn, error) {
	return ipcconn.Dial(ctx, path, name, timeout, warn, now, func(sc *attr.Scanner) error {
		var got string
		if err := scanAll(sc, attr.Str(attrProto, &got)); err != nil {
			return err
		}
		if got != Protocol {
			text := fmt.Sprintf("unexpected %s %s from %s (expected: %s)", attrProto, got, name, Protocol)
			warn(text)
			return fmt.Errorf("%w: %s", errBadAnnounce, text)
		}
		return nil
	})
}
