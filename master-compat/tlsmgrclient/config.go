package tlsmgrclient

import (
	"context"
	"time"
)

// Stock defaults (mail_params.h): tlsmgr_service_name, ipc_timeout,
// ipc_idle, ipc_ttl, and attr_clnt's try limit and delay.
const (
	DefaultService    = "tlsmgr"
	DefaultTimeout    = 3600 * time.Second
	DefaultIdleLimit  = 5 * time.Second
	DefaultTTL        = 1000 * time.Second
	DefaultTries      = 2
	DefaultRetryDelay = time.Second
	// DefaultRecheck is how long an unavailable tlsmgr is not asked
	// again. Stock has no such pause (each call pays two tries); a
	// minute keeps the per-delivery cost at zero during an outage while
	// noticing a restarted tlsmgr soon.
	DefaultRecheck = time.Minute
)

// Config configures a Client. Zero values select the stock defaults.
type Config struct {
	// Dir is joined in front of "private/<Service>". Empty means the
	// current directory: the daemon runs in queue_directory.
	Dir string
	// Service is tlsmgr_service_name.
	Service string
	// Timeout bounds the connect and each read or write (ipc_timeout).
	Timeout time.Duration
	// IdleLimit and TTL close the connection when it was idle or open
	// for that long (ipc_idle, ipc_ttl); negative disables the check.
	IdleLimit, TTL time.Duration
	// Tries and RetryDelay are attr_clnt's try limit and pause.
	Tries      int
	RetryDelay time.Duration
	// Recheck is the quiet period after tlsmgr was found unavailable.
	Recheck time.Duration

	// Warn receives warning texts without the "warning: " prefix; nil
	// discards them.
	Warn func(text string)
	// Sleep pauses between tries; nil sleeps on a timer that the
	// context can cut short. Now is the clock; nil is time.Now. Tests
	// inject both.
	Sleep func(ctx context.Context, d time.Duration) error
	Now   func() time.Time
}

func (cfg Config) withDefaults() Config {
	if cfg.Service == "" {
		cfg.Service = DefaultService
	}
	durations := []struct {
		p *time.Duration
		v time.Duration
	}{{&cfg.Timeout, DefaultTimeout}, {&cfg.IdleLimit, DefaultIdleLimit}, {&cfg.TTL, DefaultTTL},
		{&cfg.RetryDelay, DefaultRetryDelay}, {&cfg.Recheck, DefaultRecheck}}
	for _, d := range durations {
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
