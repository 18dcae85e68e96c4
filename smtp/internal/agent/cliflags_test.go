package agent

import (
	"strings"
	"testing"

	"github.com/postfix-go/postfix-go/smtp/internal/deliver"
	"github.com/postfix-go/postfix-go/smtp/internal/smtpwire"
)

// flags=DOR prepend their headers in mail_copy's order; X makes an LMTP
// server without DSN count as the final destination.
func TestCLIFlagsHeaders(t *testing.T) {
	srv := startServer(t, &fakeServer{ehlo: "250-fake.test\r\n250 PIPELINING"})
	cfg := testConfig()
	cfg.Flags = CLIFlags{DeliveredTo: true, OrigRcpt: true, ReturnPath: true}
	h := newHarness(cfg)
	req := testRequest(srv.port(), "bob@example.com")
	req.Recipients[0].OrigAddr = "Bob.Alias@example.com"
	if reply := h.deliver(req); reply.Status != deliver.StatFinal {
		t.Fatalf("reply %+v\n%s", reply, h.log)
	}
	<-srv.done
	want := "Return-Path: <alice@example.com>\r\nX-Original-To: Bob.Alias@example.com\r\nDelivered-To: bob@example.com\r\nSubject: hi\r\n"
	if !strings.HasPrefix(srv.body, want) {
		t.Errorf("body starts %q, want %q", srv.body, want)
	}
}

func TestCLIFlagsRejects(t *testing.T) {
	for _, c := range []struct {
		name   string
		flags  CLIFlags
		rcpts  []string
		header string
		want   string // log pattern
	}{
		{"D with two recipients", CLIFlags{DeliveredTo: true}, []string{"a@example.com", "b@example.com"}, "",
			`to=<b@example.com>, relay=lmtp, .*dsn=4\.3\.5, status=deferred \(mail system configuration error\)`},
		{"O with two recipients", CLIFlags{OrigRcpt: true}, []string{"a@example.com", "b@example.com"}, "",
			`to=<a@example.com>, relay=lmtp, .*dsn=4\.3\.5, status=deferred`},
		{"D loop", CLIFlags{DeliveredTo: true}, []string{"bob@example.com"}, "Delivered-To:  BOB@Example.COM",
			`to=<bob@example.com>, relay=lmtp, .*dsn=5\.4\.6, status=bounced \(mail forwarding loop for bob@example.com\)`},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg := testConfig()
			cfg.Flags, cfg.ServiceName = c.flags, "lmtp"
			h := newHarness(cfg)
			if c.header != "" {
				h.msg = newFakeMsg("Received: from x", "\tby y", c.header, "Subject: hi", "", "body")
			}
			// Port 9 on loopback: nothing may connect; the request
			// must be refused before any session.
			h.deliver(testRequest(9, c.rcpts...))
			wantLog(t, h, c.want)
			if strings.Contains(h.log.String(), "connect to") {
				t.Errorf("a connection was tried:\n%s", h.log)
			}
		})
	}
}

func TestCLIFlagsNoLoop(t *testing.T) {
	srv := startServer(t, &fakeServer{})
	cfg := testConfig()
	cfg.Flags = CLIFlags{DeliveredTo: true}
	h := newHarness(cfg)
	// A Delivered-To for someone else, and one for bob in the body.
	h.msg = newFakeMsg("Delivered-To: carol@example.com", "Subject: hi", "", "Delivered-To: bob@example.com")
	if reply := h.deliver(testRequest(srv.port(), "bob@example.com")); reply.Status != deliver.StatFinal {
		t.Fatalf("reply %+v\n%s", reply, h.log)
	}
	wantLog(t, h, `to=<bob@example.com>, .*status=sent`)
}

func TestFinalDeliveryAction(t *testing.T) {
	for _, c := range []struct {
		name   string
		lmtp   bool
		final  bool
		dsn    bool
		action string
	}{
		{"lmtp X", true, true, false, "delivered"},
		{"lmtp X, server DSN", true, true, true, "relayed"},
		{"lmtp", true, false, false, "relayed"},
		{"smtp X", false, true, false, "relayed"},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg := testConfig()
			cfg.LMTP, cfg.Flags.FinalDelivery = c.lmtp, c.final
			s := &session{d: &delivery{a: New(cfg, nil, nil)}, host: "h"}
			if c.dsn {
				s.features = smtpwire.FeatureDSN
			}
			r := smtpwire.Reply{Code: 250, Status: "2.0.0", Text: "250 2.0.0 Ok"}
			if got := s.sentDSN(r).Action; got != c.action {
				t.Errorf("action %q, want %q", got, c.action)
			}
		})
	}
}
