package main

import (
	"context"
	"crypto/tls"
	"strings"

	"github.com/postfix-go/postfix-go/master-compat/tlsmgrclient"
)

// ticketCiphers are the tls_session_ticket_cipher values stock accepts:
// CBC ciphers with a 16-byte IV and a 16..32-byte key, by their OpenSSL
// names and aliases. Go tickets use their own cipher whatever the name
// (see tlsmgrclient's tickets.go); the name only decides on or off.
var ticketCiphers = map[string]bool{
	"aes-128-cbc": true, "aes-192-cbc": true, "aes-256-cbc": true,
	"aes128": true, "aes192": true, "aes256": true,
	"camellia-128-cbc": true, "camellia-192-cbc": true, "camellia-256-cbc": true,
	"camellia128": true, "camellia192": true, "camellia256": true,
	"aria-128-cbc": true, "aria-192-cbc": true, "aria-256-cbc": true,
	"aria128": true, "aria192": true, "aria256": true,
	"sm4-cbc": true, "sm4": true,
}

// setupTickets is tls_server_init's ticket set-up for cfg: with a valid
// tls_session_ticket_cipher, every handshake gets a clone of cfg whose
// ticket keys derive from tlsmgr's (so the Go servers of an instance
// share tickets), and tickets are off when tlsmgr has no smtpd cache
// timeout or key; otherwise tickets are off. Go servers keep no other
// session cache. warn gets stock's invalid-cipher warning.
func setupTickets(cfg *tls.Config, cipher, service string, warn func(string)) *tlsmgrclient.Tickets {
	if cipher == "" {
		cfg.SessionTicketsDisabled = true
		return nil
	}
	if !ticketCiphers[strings.ToLower(cipher)] {
		warn("tls_session_ticket_cipher: invalid value: " + cipher + "; session tickets disabled")
		cfg.SessionTicketsDisabled = true
		return nil
	}
	t := tlsmgrclient.NewTickets(tlsmgrclient.New(tlsmgrclient.Config{Service: service, Warn: warn}))
	base := cfg.Clone()
	cfg.GetConfigForClient = func(*tls.ClientHelloInfo) (*tls.Config, error) {
		c := base.Clone()
		t.Configure(context.Background(), c)
		return c, nil
	}
	return t
}
