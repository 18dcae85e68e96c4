package agent

import (
	"bytes"
	"context"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/postfix-go/postfix-go/smtp/internal/deliver"
)

// TestReplayStock replays deliveries recorded from the stock Postfix
// 3.7.11 smtp(8)/lmtp(8) (strace logs in testdata, see
// replay_parse_test.go), in the manner of crypto/tls's recorded
// handshakes: the recorded delivery request goes through the project's
// own decoder, the recorded queue-file bytes are the message, a replay
// server plays the recorded server and checks that the client wrote
// what stock wrote, with the same pipelining; and the status requests,
// log lines, D marks and the reply to qmgr must be stock's.
//
// Not replayed: vectors that need a time-out (smtp-timeout-dot: its
// 2-second wait would have to be simulated, the transcript shows no
// poll()), TLS (tls-*), a connection cache (smtp-conn-reuse: two
// processes and scache(8)), DNS (smtp-dns-fail), and transcripts whose
// strings strace truncated (smtp-long-lines).
//
// Not compared: where the status requests fall relative to the session
// bytes (stock reports RCPT rejects before it sends the content); the
// replay server runs in its own goroutine, so that order is not
// observable without races.
func TestReplayStock(t *testing.T) {
	for _, v := range []struct {
		name string
		cfg  func(*Config)
	}{
		{name: "smtp-ok-2rcpt"},
		{name: "smtp-mixed-rcpt"},
		{name: "smtp-xforward", cfg: func(c *Config) { c.SendXforward = true }},
		{name: "smtp-rcpt-5xx"},
		{name: "smtp-verify-probe"},
		{name: "smtp-user-vrfy"},
		{name: "smtp-null-sender"},
		{name: "smtp-dot-reply-221"},
		{name: "smtp-lmtp-per-rcpt", cfg: replayLMTP},
		{name: "smtp-helo-fallback"},
		{name: "smtp-greeting-5xx"},
		{name: "smtp-soft-bounce", cfg: func(c *Config) { c.SoftBounce = true }},
		{name: "smtp-smtputf8-required"},
		{name: "smtp-disconnect-dot"},
		{name: "smtp-conn-refused"},
		{name: "smtp-mime-downgrade"},
	} {
		t.Run(v.name, func(t *testing.T) {
			cfg := replayConfig()
			if v.cfg != nil {
				v.cfg(&cfg)
			}
			replay(t, parseTranscript(t, v.name+".txt"), cfg)
		})
	}
}

// replayConfig is the capture instance (smtp.md 9.1): stock defaults
// with myhostname=s3.test, relayhost=[127.0.3.2]:13026 and
// fast_flush_domains=example.com. Timeouts are short so that a session
// that goes wrong ends soon; none of the replayed vectors runs into one.
func replayConfig() Config {
	const tmo = 5 * time.Second
	return Config{
		HeloName:   "s3.test",
		MyHostname: "s3.test",
		Timeouts: Timeouts{Connect: tmo, Helo: tmo, Mail: tmo, Rcpt: tmo, DataInit: tmo,
			DataXfer: tmo, DataDone: tmo, RSET: tmo, Quit: tmo, Xforward: tmo},
		LineLimit:        2048,
		SMTPLineLimit:    998,
		Skip5xxGreeting:  true,
		QuoteEnvelope:    true,
		SkipQuitResponse: true,
		DelayResolution:  2,
		FlushDomains:     []string{"example.com"},
		Relayhost:        "[127.0.3.2]:13026",
		MXAddressLimit:   5,
		MXSessionLimit:   2,
		BounceService:    "bounce",
		DeferService:     "defer",
		TraceService:     "trace",
		VerifyService:    "verify",
	}
}

// replayLMTP is the lmtp personality: lmtp_skip_quit_response=no, and
// relayhost does not apply.
func replayLMTP(c *Config) {
	c.LMTP = true
	c.SkipQuitResponse = false
	c.Relayhost = ""
	c.MXSessionLimit = 0
}

// replay runs the agent on one transcript and compares the outcome.
func replay(t *testing.T, tr *transcript, cfg Config) {
	var warnings []string
	service := "smtp"
	if cfg.LMTP {
		service = "lmtp"
	}
	req, err := deliver.Read(deliver.NewScanner(bytes.NewReader(tr.request), service, func(s string) { warnings = append(warnings, s) }))
	if err != nil || len(warnings) > 0 {
		// Stock took the request without a word.
		t.Fatalf("decoding the recorded request: %v (warnings %q)", err, warnings)
	}
	rec := &replayRec{queue: tr.queue, queueID: req.QueueID}
	a := New(cfg, rec, rec)
	var srv *replayServer
	if tr.network != "" && !tr.refused {
		srv = startReplay(t, tr.session, stallWait)
	}
	var dials []string
	a.Dial = func(ctx context.Context, network, address string) (net.Conn, error) {
		dials = append(dials, network+" "+address)
		var d net.Dialer
		if srv == nil {
			// Stock's connect failed: so does this one, for real,
			// at a loopback port nobody listens on.
			return d.DialContext(ctx, "tcp", replayClosedAddr(t))
		}
		return d.DialContext(ctx, "tcp", srv.ln.Addr().String())
	}
	reply := a.Deliver(context.Background(), req, rec)

	if want := []string{tr.network + " " + tr.addr}; tr.network != "" && !slices.Equal(dials, want) {
		t.Errorf("connections: we dialed %q, stock connected to %q", dials, want)
	}
	if srv != nil {
		for _, e := range srv.errors() {
			t.Errorf("session: %s", e)
		}
	}
	status, logs, marks, timeline := rec.snapshot()
	if !slices.Equal(marks, tr.marks) {
		t.Errorf("D marks: we marked %v, stock marked %v", marks, tr.marks)
	}
	compareLines(t, "status requests", status, tr.status)
	compareLines(t, "log lines (delays masked)", mapLines(logs, maskLog), mapLines(tr.logs, maskLog))
	compareLines(t, "order of status requests, log lines and D marks", timeline, tr.timeline)
	if got := reply.AppendTo(nil); !bytes.Equal(got, tr.reply) {
		t.Errorf("reply to qmgr:\n  we:    %s\n  stock: %s", renderAttrs(got), renderAttrs(tr.reply))
	}
}

// replayClosedAddr returns a loopback address where nothing listens.
func replayClosedAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

func mapLines(lines []string, f func(string) string) []string {
	out := make([]string, len(lines))
	for i, l := range lines {
		out[i] = f(l)
	}
	return out
}

// compareLines reports the first line where got and want differ, and
// within it the first differing byte.
func compareLines(t *testing.T, what string, got, want []string) {
	t.Helper()
	for i := 0; i < max(len(got), len(want)); i++ {
		switch {
		case i >= len(got):
			t.Errorf("%s: stock had more, from line %d:\n  %s", what, i+1, strings.Join(want[i:], "\n  "))
		case i >= len(want):
			t.Errorf("%s: we had more, from line %d:\n  %s", what, i+1, strings.Join(got[i:], "\n  "))
		case got[i] != want[i]:
			t.Errorf("%s differ at line %d:\n  we:    %s\n  stock: %s\n  %s\n all we had:\n  %s\n all stock had:\n  %s",
				what, i+1, got[i], want[i], firstDiff([]byte(got[i]), []byte(want[i])),
				strings.Join(got, "\n  "), strings.Join(want, "\n  "))
		default:
			continue
		}
		return
	}
}
