package proxymap

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/postfix-go/postfix-go/master-compat/attr"
	"github.com/postfix-go/postfix-go/master-compat/errno"
	"github.com/postfix-go/postfix-go/master-compat/ipcconn"
)

// Client talks to the stock proxymap service. It is safe for concurrent
// use; requests are serialized on one connection, as stock shares one
// stream among all proxied read-only tables of a process.
type Client struct {
	cfg  Config
	path string // "private/proxymap": the endpoint as stock names it

	mu        sync.Mutex
	conn      *ipcconn.Conn
	connects  int       // failed connects in a row ("connect #N")
	downUntil time.Time // unavailable until then (zero: available)
	quiet     bool      // the outage was warned about; stay silent
}

// New returns a client; nothing is connected until the first request.
func New(cfg Config) *Client {
	cfg = cfg.withDefaults()
	return &Client{cfg: cfg, path: "private/" + cfg.Service}
}

// Service is the service name, as stock's texts show it.
func (c *Client) Service() string { return c.cfg.Service }

// Close drops the connection, if any.
func (c *Client) Close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.disconnect()
}

// call is one request under the retry policy: myname labels transport
// warnings ("dict_proxy_lookup"), *status is the reply's status (the
// first want), and known tells a status the caller handles; any other is
// warned about with unexpected's text and retried, as stock does.
func (c *Client) call(ctx context.Context, myname string, req []byte, status *int,
	known func(int) bool, unexpected func(int) string, wants ...attr.Want) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	tries := c.cfg.Tries
	if c.quiet {
		if c.cfg.Now().Before(c.downUntil) {
			return ErrUnavailable
		}
		tries = 1
	}
	var err error
	for n := 1; ; n++ {
		err = c.try(ctx, req, wants)
		switch {
		case err == nil && known(*status):
			c.quiet, c.downUntil, c.connects = false, time.Time{}, 0
			return nil
		case err == nil:
			c.warn("%s", unexpected(*status))
			err = fmt.Errorf("unexpected reply status %d", *status)
			c.disconnect()
		default:
			// A failed connect was warned about in try.
			var de *ipcconn.DialError
			if e := errno.Of(err); !errors.As(err, &de) && transportWarn(myname, n, e) {
				c.warn("%s: service %s: %s", myname, c.cfg.Service, errno.Text(e))
			}
		}
		if n >= tries || ctx.Err() != nil || c.cfg.Sleep(ctx, c.cfg.RetryDelay) != nil {
			break
		}
	}
	c.quiet, c.downUntil = true, c.cfg.Now().Add(c.cfg.Recheck)
	return fmt.Errorf("%w: %v", ErrUnavailable, err)
}

// try makes one attempt on a usable connection (clnt_stream_access).
func (c *Client) try(ctx context.Context, req []byte, wants []attr.Want) error {
	now := c.cfg.Now()
	if c.conn != nil && c.conn.Expired(now, c.cfg.IdleLimit, c.cfg.TTL) {
		c.disconnect()
	}
	if c.conn == nil {
		path := c.path
		if c.cfg.Dir != "" {
			path = filepath.Join(c.cfg.Dir, path)
		}
		conn, err := dial(ctx, path, c.path, c.cfg.Timeout, c.scanWarn, now)
		if err != nil {
			var de *ipcconn.DialError
			if errors.As(err, &de) {
				c.connects++
				c.warn("connect #%d to subsystem %s: %s", c.connects, c.path, errno.Text(errno.Of(err)))
			}
			return err
		}
		c.connects = 0
		c.conn = conn
	}
	err := c.conn.Exchange(ctx, now, req, func(sc *attr.Scanner) error { return scanAll(sc, wants...) })
	if err != nil {
		c.disconnect()
	}
	return err
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

func (c *Client) scanWarn(text string) {
	if !c.quiet {
		c.cfg.Warn(text)
	}
}

// transportWarn is stock's condition for "<myname>: service <name>: %m":
// dict_proxy_open warns unless errno is EPIPE or ENOENT; the others also
// stay quiet on the first try when errno is 0.
func transportWarn(myname string, try int, e syscall.Errno) bool {
	if myname == "dict_proxy_open" {
		return e != syscall.EPIPE && e != syscall.ENOENT
	}
	return try > 1 || (e != 0 && e != syscall.EPIPE && e != syscall.ENOENT)
}
