package agent

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/postfix-go/postfix-go/smtp/internal/deliver"
)

// The batches stock writes to a PIPELINING server (vectors smtp-ok-2rcpt,
// smtp-xforward, smtp-verify-probe): the envelope with DATA in one write,
// then the content with the dot and QUIT.
func TestPipelinedWrites(t *testing.T) {
	const xforwardEHLO = "250-fake.test\r\n250-PIPELINING\r\n250-XFORWARD NAME ADDR PROTO HELO\r\n250 8BITMIME"
	for _, c := range []struct {
		name     string
		ehlo     string
		xforward bool
		probe    bool
		writes   []string
		cmds     []string // expected commands, when checked
	}{
		{name: "delivery", writes: []string{"EHLO", "MAIL|RCPT|RCPT|DATA", ".|QUIT"}},
		{name: "probe", probe: true, writes: []string{"EHLO", "MAIL|RCPT|RCPT|RSET|QUIT"}},
		{name: "xforward", ehlo: xforwardEHLO, xforward: true,
			writes: []string{"EHLO", "XFORWARD|XFORWARD|MAIL|RCPT|RCPT|DATA", ".|QUIT"},
			cmds: []string{"EHLO client.test", "XFORWARD ADDR=127.0.0.1",
				"XFORWARD PROTO=ESMTP HELO=client+20name=x", "MAIL FROM:<alice@example.com> BODY=8BITMIME",
				"RCPT TO:<bob@example.com>", "RCPT TO:<carol@example.net>", "DATA", ".", "QUIT"}},
		{name: "xforward off", ehlo: xforwardEHLO,
			writes: []string{"EHLO", "MAIL|RCPT|RCPT|DATA", ".|QUIT"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			srv := startServer(t, &fakeServer{ehlo: c.ehlo})
			cfg := testConfig()
			cfg.SendXforward = c.xforward
			h := newHarness(cfg)
			req := testRequest(srv.port(), "bob@example.com", "carol@example.net")
			req.Client = deliver.ClientInfo{Name: "unknown", Addr: "127.0.0.1", Port: "", Proto: "ESMTP",
				Helo: "client name=x", RewriteContext: ""}
			if c.probe {
				req.Flags |= deliver.FlagMTAVerify
			}
			if reply := h.deliver(req); reply.Status != deliver.StatFinal {
				t.Fatalf("reply %+v\n%s", reply, h.log)
			}
			if w := srv.writes(); !slices.Equal(w, c.writes) {
				t.Errorf("writes %q, want %q", w, c.writes)
			}
			if c.cmds != nil {
				if got := srv.commands(); !slices.Equal(got, c.cmds) {
					t.Errorf("commands\n %q\nwant\n %q", got, c.cmds)
				}
			}
		})
	}
}

// A rejected MAIL fails everybody with its reply; the pipelined RCPT and
// DATA replies are ignored, and RSET and QUIT end the session.
func TestPipelinedMailReject(t *testing.T) {
	srv := startServer(t, &fakeServer{mail: "452 4.3.1 Insufficient system storage"})
	h := newHarness(testConfig())
	reply := h.deliver(testRequest(srv.port(), "bob@example.com", "carol@example.net"))
	if reply.Status != deliver.StatDefer {
		t.Errorf("reply %+v, want defer", reply)
	}
	if w, want := srv.writes(), []string{"EHLO", "MAIL|RCPT|RCPT|DATA", "RSET|QUIT"}; !slices.Equal(w, want) {
		t.Errorf("writes %q, want %q", w, want)
	}
	for _, a := range []string{"bob@example.com", "carol@example.net"} {
		wantLog(t, h, fmt.Sprintf(`to=<%s>, .*status=deferred \(host 127\.0\.0\.1\[127\.0\.0\.1\] said: 452 4\.3\.1 Insufficient system storage \(in reply to MAIL FROM command\)\)`, a))
	}
	if n := strings.Count(h.log.String(), "status="); n != 2 {
		t.Errorf("%d status lines, want 2:\n%s", n, h.log)
	}
}

// More RCPT commands than fit in 4096 bytes: the client reads the
// replies owed before it writes past the limit, and still delivers to
// everybody once.
func TestPipelineBufferLimit(t *testing.T) {
	srv := startServer(t, &fakeServer{})
	h := newHarness(testConfig())
	var rcpts []string
	for i := range 120 {
		rcpts = append(rcpts, fmt.Sprintf("recipient-with-a-long-name-%03d@example.com", i))
	}
	if reply := h.deliver(testRequest(srv.port(), rcpts...)); reply.Status != deliver.StatFinal {
		t.Fatalf("reply %+v\n%s", reply, h.log)
	}
	w := srv.writes()
	if len(w) < 4 || !strings.HasPrefix(w[1], "MAIL|RCPT") || strings.Contains(w[1], "DATA") {
		t.Fatalf("writes %q: want the envelope split over several writes", w)
	}
	for _, b := range w {
		// Each RCPT command here is 74 bytes with CRLF.
		if n := strings.Count(b, "RCPT"); n*74 > 4096 {
			t.Errorf("one write held %d RCPT commands (%d bytes)", n, n*74)
		}
	}
	if n := strings.Count(h.log.String(), "status=sent"); n != len(rcpts) {
		t.Errorf("%d sent, want %d", n, len(rcpts))
	}
}
