package main

import (
	"context"
	"errors"

	"github.com/postfix-go/postfix-go/internal/tlspolicy"
	"github.com/postfix-go/postfix-go/master-compat/proxymap"
	"github.com/postfix-go/postfix-go/master-compat/server"
)

// TLS policy tables of types this agent cannot read and that are not
// plain local database files (ldap:, mysql:, ..., and every
// "proxy:TYPE:NAME") are looked up through the stock proxymap(8), at
// every policy lookup, over one lazy connection per process. Plain
// "hash:/x", "lmdb:/x", ... are read before the chroot with postmap -s
// (localtables.go), as stock smtp opens them itself.
//
// Such a table must be approved in proxy_read_maps, as for stock; the
// default proxy_read_maps includes $smtp_tls_policy_maps. Stock exits
// with a fatal error where this agent defers: on a table proxymap
// refuses, and after its retries where stock would keep retrying.

// policyDictFlags are smtp_tls_policy.c's maps_create flags.
const policyDictFlags = proxymap.FlagLock | proxymap.FlagFoldFix | proxymap.FlagUTF8Request

// proxyOpener returns the opener for proxied policy tables; the client
// is made on the first proxied table only.
func (d *daemon) proxyOpener(rt *server.Runtime) proxyOpener {
	var c *proxymap.Client
	gen := rt.Generic
	return func(name string) tlspolicy.Lookup {
		if c == nil {
			c = proxymap.New(proxymap.Config{
				Service:   gen.ProxymapServiceName,
				Timeout:   gen.IPCTimeout,
				IdleLimit: gen.IPCIdle,
				TTL:       gen.IPCTTL,
				Warn:      rt.Log.Warn,
			})
		}
		tab := c.Table(name, policyDictFlags, gen.SMTPUTF8Enable)
		return func(key string) (string, bool, error) {
			v, ok, err := tab.Lookup(context.Background(), key)
			if errors.Is(err, proxymap.ErrDeny) || errors.Is(err, proxymap.ErrBad) {
				// Stock's fatal text, as a warning: this delivery
				// is deferred instead.
				rt.Log.Warn(err.Error())
			}
			return v, ok, err
		}
	}
}
