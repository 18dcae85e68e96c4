package main

import (
	"crypto/tls"
	"strings"
	"testing"
)

func TestSetupTickets(t *testing.T) {
	var warns []string
	warn := func(s string) { warns = append(warns, s) }

	cfg := &tls.Config{}
	if setupTickets(cfg, "", "tlsmgr", warn) != nil || !cfg.SessionTicketsDisabled || len(warns) != 0 {
		t.Errorf("empty cipher: tickets %v, warnings %q", !cfg.SessionTicketsDisabled, warns)
	}

	cfg = &tls.Config{}
	if setupTickets(cfg, "rc4", "tlsmgr", warn) != nil || !cfg.SessionTicketsDisabled ||
		len(warns) != 1 || warns[0] != "tls_session_ticket_cipher: invalid value: rc4; session tickets disabled" {
		t.Errorf("invalid cipher: tickets %v, warnings %q", !cfg.SessionTicketsDisabled, warns)
	}

	// A valid cipher: per-handshake clones; without a reachable tlsmgr
	// they issue no tickets, as a stock server without keys.
	warns = nil
	t.Chdir(t.TempDir())
	cfg = &tls.Config{ServerName: "base"}
	if setupTickets(cfg, "AES-256-CBC", "tlsmgr", warn) == nil || cfg.GetConfigForClient == nil || cfg.SessionTicketsDisabled {
		t.Fatal("valid cipher: no per-handshake configuration")
	}
	c, err := cfg.GetConfigForClient(&tls.ClientHelloInfo{})
	if err != nil || c == cfg || c.ServerName != "base" || !c.SessionTicketsDisabled || c.GetConfigForClient != nil {
		t.Errorf("clone: %+v, %v", c, err)
	}
	if len(warns) == 0 || !strings.HasPrefix(warns[0], "connect to private/tlsmgr: ") {
		t.Errorf("warnings %q", warns)
	}
}
