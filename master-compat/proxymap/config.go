package proxymap

import (
	"context"
	"time"
)

// Stock defaults (mail_params.h, dict_proxy.c).
const (
	DefaultService    = "proxymap"
	DefaultTimeout    = 3600 * time.Second // ipc_timeout
	DefaultIdleLimit  = 5 * time.Second    // ipc_idle
	DefaultTTL        = 1000 * time.Second // ipc_ttl
	DefaultTries      = 2
	DefaultRetryDelay = time.Second // dict_proxy's sleep(1)
	// DefaultRecheck is the quiet period after proxymap was found
	// unavailable; mail_connect_wait pauses 10 s between connects.
	DefaultRecheck = 10 * time.Second
)

// Config configures a Client. Zero values select the stock defaults.
type Config struct {
	// Dir is joined in front of "private/<Service>". Empty means the
	// current directory: the daemon runs in queue_directory.
	Dir string
	// Service is proxymap_service_name.
	Service string
	// Timeout bounds the connect and each read or write (ipc_timeout).
	Timeout time.Duration
	// IdleLimit and TTL close the connection when it was idle or open
	// for that long (ipc_idle, ipc_ttl); negative disables the check.
	IdleLimit, TTL time.Duration
	// Tries and RetryDelay: attempts per request and the pause between.
	Tries      int
	RetryDelay time.Duration
	// Recheck is the quiet period after proxymap was found unavailable.
	Recheck time.Duration

	// Warn receives warning texts without the "warning: " prefix; nil
	// discards them.
	Warn func(text string)
	// Sleep pauses between tries (nil: a timer the context can cut
	// short); Now is the clock (nil: time.Now). Tests inject both.
	Sleep func(ctx context.Context, d time.Duration) error
	Now   func() time.Time
}

func (cfg Config) withDefaults() Config {
	if cfg.Service == "" {
		cfg.Service = DefaultService
	}
	for _, d := range []struct {
		p *time.Duration
		v time.Duration
	}{{&cfg.Timeout, DefaultTimeout}, {&cfg.IdleLimit, DefaultIdleLimit}, {&cfg.TTL, DefaultTTL},
		{&cfg.RetryDelay, DefaultRetryDelay}, {&cfg.Recheck, DefaultRecheck}} {
		if *d.p == 0 {
			*d.p = d.v
		}
	}
	if cfg.Tries <= 0 {
		cfg.Tries = DefaultTries
	}
	if cfg.Warn == nil {
		cfg.Warn = func(string) {}
	}
	if cfg.Sleep == nil {
		cfg.Sleep = sleep
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return cfg
}

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
