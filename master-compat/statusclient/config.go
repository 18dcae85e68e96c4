package statusclient

import (
	"context"
	"time"
)

// DefaultTimeout is ipc_timeout: the stock clients' bound on each read and
// write (mail_connect sets it up through timed_ipc_setup).
const DefaultTimeout = 3600 * time.Second

// Retry is a connect or exchange retry policy.
type Retry struct {
	// Attempts is the number of tries in total. Zero selects the stock
	// default for the slot; a negative value retries until the context
	// ends.
	Attempts int
	// Delay is the pause between tries. Zero selects the stock default.
	Delay time.Duration
}

// Stock policies. mail_command_client (bounce, defer, trace, flush) tries
// to connect once and gives up with a warning; mail_connect_wait (verify's
// clnt_stream) warns and retries every 10 s and is fatal after the 11th
// attempt; verify_clnt_update repeats a failed exchange every second for
// ever.
const (
	defaultCommandAttempts = 1
	defaultWaitAttempts    = 11
	defaultWaitDelay       = 10 * time.Second
	defaultVerifyDelay     = time.Second
	unlimited              = -1
)

// Config configures a Client. Zero values select the stock defaults.
type Config struct {
	// Dir is joined in front of the endpoint paths ("private/bounce").
	// Empty means the current directory: a daemon has chrooted into
	// queue_directory (or chdir'ed there) before it reports status.
	Dir string

	// Service names (master.cf service names): bounce_service_name,
	// defer_service_name, trace_service_name,
	// address_verify_service_name, flush_service_name.
	BounceService, DeferService, TraceService, VerifyService, FlushService string

	// Timeout bounds the connect and each read or write (ipc_timeout).
	Timeout time.Duration

	// CommandConnect is the connect policy of bounce, defer, trace and
	// flush. Stock: one attempt. With more than one attempt the
	// mail_connect_wait wording and fatality apply.
	CommandConnect Retry
	// VerifyConnect is verify's connect policy. Stock (mail_connect_wait):
	// 11 attempts, 10 s apart, then fatal.
	VerifyConnect Retry
	// VerifyExchange repeats a failed verify exchange (a new connection
	// each time). Stock: for ever, 1 s apart; a context deadline or a
	// fatal connect failure ends it.
	VerifyExchange Retry

	// NoNegativeCache is address_verify_negative_cache = no, consulted
	// by VerifyAppend (inverted so that the zero value is stock's yes).
	NoNegativeCache bool

	// Sleep pauses between tries; nil sleeps on a timer and returns early
	// with ctx.Err() when the context ends. Tests inject a recorder.
	Sleep func(ctx context.Context, d time.Duration) error
	// Warn receives warning texts without the "warning: " prefix; nil
	// discards them.
	Warn func(text string)
}

// Client reports status to the stock services. It holds only
// configuration, so it is safe for concurrent use; every request uses its
// own connection.
type Client struct {
	cfg Config
}

// New returns a client with cfg's zero values replaced by the defaults.
func New(cfg Config) *Client {
	def := func(s *string, v string) {
		if *s == "" {
			*s = v
		}
	}
	def(&cfg.BounceService, DefaultBounceService)
	def(&cfg.DeferService, DefaultDeferService)
	def(&cfg.TraceService, DefaultTraceService)
	def(&cfg.VerifyService, DefaultVerifyService)
	def(&cfg.FlushService, DefaultFlushService)
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	cfg.CommandConnect = cfg.CommandConnect.withDefaults(defaultCommandAttempts, defaultWaitDelay)
	cfg.VerifyConnect = cfg.VerifyConnect.withDefaults(defaultWaitAttempts, defaultWaitDelay)
	cfg.VerifyExchange = cfg.VerifyExchange.withDefaults(unlimited, defaultVerifyDelay)
	if cfg.Sleep == nil {
		cfg.Sleep = sleep
	}
	if cfg.Warn == nil {
		cfg.Warn = func(string) {}
	}
	return &Client{cfg: cfg}
}

// Config returns the effective configuration (defaults filled in).
func (c *Client) Config() Config { return c.cfg }

func (r Retry) withDefaults(attempts int, delay time.Duration) Retry {
	if r.Attempts == 0 {
		r.Attempts = attempts
	}
	if r.Delay == 0 {
		r.Delay = delay
	}
	return r
}

// more reports whether another try may follow try number n (1-based).
func (r Retry) more(n int) bool { return r.Attempts < 0 || n < r.Attempts }

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
