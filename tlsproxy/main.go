// Command tlsproxy is a drop-in replacement for Postfix 3.7's tlsproxy(8):
// it runs TLS on behalf of postscreen(8) (server role: STARTTLS from
// remote SMTP clients) and of smtp(8)/lmtp(8) (client role: TLS
// connections that scache(8) can keep for reuse), relaying plaintext to
// them over the private/tlsproxy socket.
//
// master(8) starts it from master.cf
// ("tlsproxy unix - - y - 0 tlsproxy").
package main

import (
	"crypto/tls"
	"errors"
	"fmt"

	"github.com/postfix-go/postfix-go/master-compat/config"
	"github.com/postfix-go/postfix-go/master-compat/server"
	"github.com/postfix-go/postfix-go/tlsproxy/internal/session"
	"github.com/postfix-go/postfix-go/tlsproxy/internal/settings"
	"github.com/postfix-go/postfix-go/tlsproxy/internal/tlsconf"
)

func main() {
	d := &daemon{}
	server.Run(server.Program{
		Model:      server.Event,
		Unlimited:  true, // stock: "requires a process limit of 0"
		RetireMe:   true,
		LoadParams: d.loadParams,
		PreInit:    d.preInit,
		PostInit:   d.postInit,
	})
}

type daemon struct {
	set    *settings.Settings
	srv    *session.ServerRole
	client *session.ClientRole
}

func (d *daemon) loadParams(rt *server.Runtime) error {
	var err error
	if d.set, err = settings.Load(rt.Config); err != nil {
		return err
	}
	// The watchdog guards the short synchronous steps of a session (see
	// session.Config.Watchdog); stock's minimum is 10 s.
	wd, err := rt.Config.Time("tlsproxy_watchdog_timeout", config.WithMin(10))
	if err != nil {
		return err
	}
	rt.Limits.WatchdogTimeout = wd
	return nil
}

// preInit reads keys, certificates and CA files while still root and
// outside the chroot, as stock's pre_jail_init does. Configuration
// problems disable a role with stock's warning instead of stopping the
// daemon, so that the other role keeps working.
func (d *daemon) preInit(rt *server.Runtime) error {
	for _, w := range d.set.Warnings {
		rt.Log.Warn(w)
	}
	srv, err := serverRole(&d.set.Server, rt)
	if err != nil {
		rt.Log.Warn(err.Error())
	}
	d.srv = srv
	if c := d.set.Client; c.Enabled {
		role, warns, err := session.NewClientRole(c.Files, c.CAFile, c.CAPath, c.AppendCA, c.DANEDigest)
		for _, w := range warns {
			rt.Log.Warn(w)
		}
		if err != nil {
			rt.Log.Warnf("%v", err)
			rt.Log.Warn("TLS client initialization failed")
		}
		d.client = role
	}
	return nil
}

var errServerDisabled = errors.New("TLS server role is disabled with tlsproxy_tls_security_level or tlsproxy_use_tls")

func serverRole(sv *settings.Server, rt *server.Runtime) (*session.ServerRole, error) {
	if !sv.Enabled {
		return nil, errServerDisabled
	}
	warns, usable := sv.ServerCertWarnings()
	for _, w := range warns {
		rt.Log.Warn(w)
	}
	if !usable {
		return nil, errors.New("No server certs available. TLS can't be enabled")
	}
	certs, cw, err := tlsconf.KeyPairs(sv.Files)
	for _, w := range cw {
		rt.Log.Warn(w)
	}
	if err != nil {
		return nil, err
	}
	if len(certs) == 0 {
		// cert_file = none asks for anonymous-only TLS, which Go's
		// crypto/tls cannot offer.
		return nil, errors.New("anonymous-only TLS (tlsproxy_tls_cert_file = none) is not supported; TLS server role disabled")
	}
	lo, hi, err := tlsconf.Protocols(sv.Protocols)
	if err != nil {
		return nil, err
	}
	cfg := &tls.Config{Certificates: certs, MinVersion: lo, MaxVersion: hi, CurvePreferences: tlsconf.Curves}
	ask, require := sv.AskCCert, sv.Enforce && sv.ReqCCert
	if ask || require {
		pool, _, err := tlsconf.CAPool(sv.CAFile, sv.CAPath, false)
		if err != nil {
			return nil, err
		}
		cfg.ClientCAs = pool
		cfg.ClientAuth = tls.RequestClientCert
		if require {
			cfg.ClientAuth = tls.RequireAndVerifyClientCert
		}
	}
	setupTickets(cfg, sv.TicketCipher, sv.MgrService, rt.Log.Warn)
	return &session.ServerRole{TLS: cfg, LogSummary: tlsconf.SummaryEnabled(sv.LogLevel), MDAlg: sv.FprtDigest}, nil
}

func (d *daemon) postInit(rt *server.Runtime) (any, error) {
	if rest := rt.Args.Rest; len(rest) > 0 {
		return nil, fmt.Errorf("unexpected command-line argument: %s", rest[0])
	}
	wd := server.NewWatchdog(rt.Limits.WatchdogTimeout, func() { rt.Log.Fatal("watchdog timeout") })
	return session.New(session.Config{
		Log:      rt.Log,
		Server:   d.srv,
		Client:   d.client,
		Watchdog: wd,
	}), nil
}
