package tlsmgrclient

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/postfix-go/postfix-go/internal/tlsmgrproto"
	"github.com/postfix-go/postfix-go/master-compat/attr"
	"github.com/postfix-go/postfix-go/master-compat/errno"
	"github.com/postfix-go/postfix-go/master-compat/ipcconn"
)

// Cache types (TLS_MGR_SCACHE_*).
const (
	CacheSMTPD = "smtpd"
	CacheSMTP  = "smtp"
	CacheLMTP  = "lmtp"
)

var (
	// ErrUnavailable: tlsmgr could not be reached, now or recently.
	ErrUnavailable = errors.New("tlsmgr unavailable")
	// ErrNotFound: status ERR, no such session or key.
	ErrNotFound = errors.New("tlsmgr: not found")
	// ErrFail: status FAIL (bad request, unknown or disabled cache) or
	// a malformed reply, which stock also turns into FAIL.
	ErrFail = errors.New("tlsmgr: request failed")
)

// Client talks to the stock tlsmgr. It is safe for concurrent use;
// requests are serialized on one connection as in stock.
type Client struct {
	cfg  Config
	path string // "private/tlsmgr": the endpoint as stock names it

	mu        sync.Mutex
	conn      *ipcconn.Conn
	downUntil time.Time // unavailable until then (zero: available)
	quiet     bool      // the outage was warned about; stay silent
}

// New returns a client; nothing is connected until the first request.
func New(cfg Config) *Client {
	cfg = cfg.withDefaults()
	return &Client{cfg: cfg, path: "private/" + cfg.Service}
}

// Close drops the connection, if any.
func (c *Client) Close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.disconnect()
}

// Seed asks for n random bytes (tls_mgr_seed; stock tlsmgr serves 1..255).
func (c *Client) Seed(ctx context.Context, n int) ([]byte, error) {
	r, err := c.request(ctx, &tlsmgrproto.MgrRequest{Name: tlsmgrproto.MgrSeed, Size: n})
	return r.Data, err
}

// Policy reports whether cacheType has a database (cachable) and its
// session timeout (tls_mgr_policy).
func (c *Client) Policy(ctx context.Context, cacheType string) (cachable bool, timeout time.Duration, err error) {
	r, err := c.request(ctx, &tlsmgrproto.MgrRequest{Name: tlsmgrproto.MgrPolicy, CacheType: cacheType})
	if err != nil {
		return false, 0, err
	}
	return r.Cachable != 0, time.Duration(r.Timeout) * time.Second, nil
}

// Lookup fetches the session stored under id; ErrNotFound on a miss.
func (c *Client) Lookup(ctx context.Context, cacheType, id string) ([]byte, error) {
	r, err := c.request(ctx, &tlsmgrproto.MgrRequest{Name: tlsmgrproto.MgrLookup, CacheType: cacheType, CacheID: id})
	return r.Data, err
}

// Update stores session under id.
func (c *Client) Update(ctx context.Context, cacheType, id string, session []byte) error {
	_, err := c.request(ctx, &tlsmgrproto.MgrRequest{Name: tlsmgrproto.MgrUpdate, CacheType: cacheType,
		CacheID: id, Session: session})
	return err
}

// Delete removes id; ErrNotFound if there was nothing to remove.
func (c *Client) Delete(ctx context.Context, cacheType, id string) error {
	_, err := c.request(ctx, &tlsmgrproto.MgrRequest{Name: tlsmgrproto.MgrDelete, CacheType: cacheType, CacheID: id})
	return err
}

// TicketKey fetches a session ticket key: the current encryption key
// for a nil name, else the key with that 16-byte name (request_scache_key).
// Like stock it refuses a keybuf of the wrong size (ErrFail).
func (c *Client) TicketKey(ctx context.Context, name []byte) (tlsmgrproto.TicketKey, error) {
	if name != nil && len(name) != tlsmgrproto.TicketNameLen {
		return tlsmgrproto.TicketKey{}, fmt.Errorf("%w: key name of %d bytes", ErrFail, len(name))
	}
	r, err := c.request(ctx, &tlsmgrproto.MgrRequest{Name: tlsmgrproto.MgrTktKey, KeyName: name})
	if err != nil {
		return tlsmgrproto.TicketKey{}, err
	}
	k, err := tlsmgrproto.ParseTicketKey(r.Data)
	if err != nil {
		return k, fmt.Errorf("%w: %v", ErrFail, err)
	}
	return k, nil
}

// request runs one exchange under the stock retry policy and maps the
// reply status. Data is only returned with status OK: stock tlsmgr may
// send stale bytes with a failure.
func (c *Client) request(ctx context.Context, req *tlsmgrproto.MgrRequest) (tlsmgrproto.MgrReply, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	r, err := c.run(ctx, req)
	if err != nil {
		return tlsmgrproto.MgrReply{}, err
	}
	switch r.Status {
	case tlsmgrproto.MgrStatOK:
		return r, nil
	case tlsmgrproto.MgrStatErr:
		return tlsmgrproto.MgrReply{Status: r.Status}, ErrNotFound
	}
	return tlsmgrproto.MgrReply{Status: r.Status}, fmt.Errorf("%w: status %d", ErrFail, r.Status)
}

// run is attr_clnt_request: up to Tries attempts with a pause and a new
// connection between them. A malformed reply is not retried (stock
// retries only when nothing was read) and counts as FAIL. During an
// outage a single quiet try is made once Recheck has passed.
func (c *Client) run(ctx context.Context, req *tlsmgrproto.MgrRequest) (tlsmgrproto.MgrReply, error) {
	tries := c.cfg.Tries
	if c.quiet {
		if c.cfg.Now().Before(c.downUntil) {
			return tlsmgrproto.MgrReply{}, ErrUnavailable
		}
		tries = 1
	}
	var err error
	for n := 1; ; n++ {
		var r tlsmgrproto.MgrReply
		if r, err = c.try(ctx, req); err == nil {
			c.quiet, c.downUntil = false, time.Time{}
			return r, nil
		}
		if errors.Is(err, attr.ErrMalformed) && !errors.Is(err, errBadAnnounce) {
			return r, fmt.Errorf("%w: %v", ErrFail, err)
		}
		e := errno.Of(err)
		if n >= tries || (e != 0 && e != syscall.EPIPE && e != syscall.ENOENT && e != syscall.ECONNRESET) {
			c.warn("problem talking to server %s: %s", c.path, errno.Text(e))
		}
		if n >= tries || ctx.Err() != nil || c.cfg.Sleep(ctx, c.cfg.RetryDelay) != nil {
			break
		}
	}
	c.quiet, c.downUntil = true, c.cfg.Now().Add(c.cfg.Recheck)
	return tlsmgrproto.MgrReply{}, fmt.Errorf("%w: %v", ErrUnavailable, err)
}

// errBadAnnounce marks a connection whose announcement was wrong: that
// is a failed try (auto_clnt_access returns no stream), not a FAIL.
var errBadAnnounce = errors.New("bad tlsmgr announcement")

// try makes one attempt on a usable connection (auto_clnt_access).
func (c *Client) try(ctx context.Context, req *tlsmgrproto.MgrRequest) (tlsmgrproto.MgrReply, error) {
	now := c.cfg.Now()
	if c.conn != nil && c.conn.Expired(now, c.cfg.IdleLimit, c.cfg.TTL) {
		c.disconnect()
	}
	if c.conn == nil {
		path := c.path
		if c.cfg.Dir != "" {
			path = filepath.Join(c.cfg.Dir, path)
		}
		conn, err := dial(ctx, path, c.cfg.Timeout, c.scanWarn, now)
		var de *ipcconn.DialError
		switch {
		case errors.As(err, &de):
			c.warn("connect to %s: %s", c.path, errno.Text(errno.Of(err)))
			return tlsmgrproto.MgrReply{}, err
		case err != nil:
			return tlsmgrproto.MgrReply{}, fmt.Errorf("%w: %w", errBadAnnounce, err)
		}
		c.conn = conn
	}
	r, err := exchange(ctx, c.conn, now, req)
	if err != nil {
		c.disconnect()
	}
	return r, err
}

func (c *Client) disconnect() {
	if c.conn != nil {
		c.conn.Close()
		c.conn = nil
	}
}

func (c *Client) warn(format string, args ...any) {
	if !c.quiet {
		c.cfg.Warn(fmt.Sprintf(format, args...))
	}
}

// scanWarn passes the scanner's stock warnings on, also muted during an
// outage.
func (c *Client) scanWarn(text string) {
	if !c.quiet {
		c.cfg.Warn(text)
	}
}
