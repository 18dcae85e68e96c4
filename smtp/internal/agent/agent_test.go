package agent

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/postfix-go/postfix-go/internal/tlspolicy"
	"github.com/postfix-go/postfix-go/smtp/internal/deliver"
)

func (h *harness) deliver(req *deliver.Request) deliver.Reply {
	return h.agent.Deliver(context.Background(), req, h.msg)
}

func wantDone(t *testing.T, h *harness, offsets ...int64) {
	t.Helper()
	got := h.msg.done
	if !slices.Equal(got, offsets) && !(len(got) == 0 && len(offsets) == 0) {
		t.Errorf("marked done %v, want %v", got, offsets)
	}
}

func wantLog(t *testing.T, h *harness, pattern string) {
	t.Helper()
	if !regexp.MustCompile(pattern).MatchString(h.log.String()) {
		t.Errorf("log lacks %q:\n%s", pattern, h.log)
	}
}

func TestHappyTwoRecipients(t *testing.T) {
	srv := startServer(t, &fakeServer{})
	h := newHarness(testConfig())
	reply := h.deliver(testRequest(srv.port(), "bob@example.com", "carol@example.net"))
	if reply.Status != deliver.StatFinal || reply.HopStatus != (deliver.DSN{}) {
		t.Errorf("reply %+v, want final without hop status", reply)
	}
	wantDone(t, h, 100, 200)
	if k := h.status.kinds(); k["bob@example.com"] != "sent" || k["carol@example.net"] != "sent" {
		t.Errorf("status calls %v", k)
	}
	dsn, _ := h.status.find("sent", "bob@example.com")
	if dsn.Status != "2.0.0" || dsn.Action != "relayed" || dsn.DiagType != "smtp" || dsn.MTAName != "127.0.0.1" || dsn.Reason != "250 2.0.0 Ok: queued as FAKE1" {
		t.Errorf("sent DSN %+v", dsn)
	}
	relay := fmt.Sprintf(`relay=127\.0\.0\.1\[127\.0\.0\.1\]:%d`, srv.port())
	wantLog(t, h, `^ABC123: to=<bob@example.com>, `+relay+`, delay=[0-9.]+, delays=[0-9.]+/[0-9.]+/[0-9.]+/[0-9.]+, dsn=2\.0\.0, status=sent \(250 2\.0\.0 Ok: queued as FAKE1\)`)
	want := []string{
		"EHLO client.test",
		"MAIL FROM:<alice@example.com> SIZE=42 BODY=8BITMIME",
		"RCPT TO:<bob@example.com> ORCPT=rfc822;bob@example.com",
		"RCPT TO:<carol@example.net> ORCPT=rfc822;carol@example.net",
		"DATA", ".", "QUIT",
	}
	if got := srv.commands(); !slices.Equal(got, want) {
		t.Errorf("commands\n got %q\nwant %q", got, want)
	}
	if srv.body != "Subject: hi\r\n\r\nhello\r\n..dot\r\nbye\r\n" {
		t.Errorf("body %q", srv.body)
	}
}

func TestRcptMixed(t *testing.T) {
	srv := startServer(t, &fakeServer{rcpt: func(a string) string {
		switch a {
		case "r4@example.com":
			return "450 4.2.0 <r4@example.com>: Recipient address rejected: Try again later"
		case "r5@example.com":
			return "550 5.1.1 <r5@example.com>: Recipient address rejected: User unknown"
		}
		return "250 2.1.5 Ok"
	}})
	h := newHarness(testConfig())
	reply := h.deliver(testRequest(srv.port(), "ok@example.com", "r4@example.com", "r5@example.com"))
	if reply.Status != deliver.StatDefer || reply.HopStatus != (deliver.DSN{}) {
		t.Errorf("reply %+v, want defer without hop status", reply)
	}
	// r5 bounced (300) is marked before the delivered one (100).
	wantDone(t, h, 300, 100)
	k := h.status.kinds()
	if k["ok@example.com"] != "sent" || k["r4@example.com"] != "defer" || k["r5@example.com"] != "bounce" {
		t.Errorf("status calls %v", k)
	}
	d, _ := h.status.find("defer", "r4@example.com")
	if d.Status != "4.2.0" || d.Action != "delayed" ||
		d.Reason != "host 127.0.0.1[127.0.0.1] said: 450 4.2.0 <r4@example.com>: Recipient address rejected: Try again later (in reply to RCPT TO command)" {
		t.Errorf("defer DSN %+v", d)
	}
	b, _ := h.status.find("bounce", "r5@example.com")
	if b.Status != "5.1.1" || b.Action != "failed" || b.DiagText != "550 5.1.1 <r5@example.com>: Recipient address rejected: User unknown" {
		t.Errorf("bounce DSN %+v", b)
	}
	wantLog(t, h, `to=<r4@example.com>, .*dsn=4\.2\.0, status=deferred \(host 127\.0\.0\.1\[127\.0\.0\.1\] said: 450 `)
	wantLog(t, h, `to=<r5@example.com>, .*dsn=5\.1\.1, status=bounced \(host `)
}

// Every recipient rejected: without PIPELINING the client sees it before
// DATA and sends RSET instead (vector smtp-rcpt-5xx); with PIPELINING
// DATA already went out with the RCPTs, its reject is ignored, and RSET
// and QUIT follow in one write.
func TestRcptAll5xx(t *testing.T) {
	const noPipelining = "250-fake.test\r\n250-8BITMIME\r\n250 DSN"
	for _, c := range []struct {
		name, ehlo string
		writes     []string
	}{
		{"pipelining", "", []string{"EHLO", "MAIL|RCPT|RCPT|DATA", "RSET|QUIT"}},
		{"lock-step", noPipelining, []string{"EHLO", "MAIL", "RCPT", "RCPT", "RSET", "QUIT"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			srv := startServer(t, &fakeServer{ehlo: c.ehlo, rcpt: func(string) string { return "500 5.3.0 Error: command failed" }})
			h := newHarness(testConfig())
			reply := h.deliver(testRequest(srv.port(), "bob@example.com", "carol@example.net"))
			if reply.Status != deliver.StatFinal {
				t.Errorf("reply %+v, want final (both bounced)", reply)
			}
			wantDone(t, h, 100, 200)
			if w := srv.writes(); !slices.Equal(w, c.writes) {
				t.Errorf("writes %q, want %q", w, c.writes)
			}
			wantLog(t, h, `to=<carol@example.net>, .*status=bounced \(host 127\.0\.0\.1\[127\.0\.0\.1\] said: 500 5\.3\.0 Error: command failed \(in reply to RCPT TO command\)\)`)
			if strings.Contains(h.log.String(), "DATA command") {
				t.Errorf("the DATA reject was reported:\n%s", h.log)
			}
		})
	}
}

func TestGreeting5xx(t *testing.T) {
	srv := startServer(t, &fakeServer{greeting: "500 5.3.0 Error: command failed"})
	h := newHarness(testConfig())
	reply := h.deliver(testRequest(srv.port(), "bob@example.com"))
	wantReason := "host 127.0.0.1[127.0.0.1] refused to talk to me: 500 5.3.0 Error: command failed"
	want := deliver.DSN{Status: "4.3.0", DiagType: "smtp", DiagText: "500 5.3.0 Error: command failed",
		MTAType: "dns", MTAName: "127.0.0.1", Reason: wantReason}
	if reply.Status != deliver.StatDefer || reply.HopStatus != want {
		t.Errorf("reply %+v, want hop status %+v", reply, want)
	}
	wantDone(t, h)
	if d, ok := h.status.find("defer", "bob@example.com"); !ok || d.Status != "4.3.0" || d.Reason != wantReason {
		t.Errorf("defer %+v %v", d, ok)
	}
	if cmds := srv.commands(); !slices.Equal(cmds, []string{"QUIT"}) {
		t.Errorf("commands %q, want QUIT", cmds)
	}
}

// ioFailure runs a session that breaks and checks the deferral.
func ioFailure(t *testing.T, srv *fakeServer, cfg Config, reason string) {
	t.Helper()
	startServer(t, srv)
	h := newHarness(cfg)
	reply := h.deliver(testRequest(srv.port(), "bob@example.com", "carol@example.net"))
	if reply.Status != deliver.StatDefer || reply.HopStatus.Status != "4.4.2" || reply.HopStatus.Reason != reason {
		t.Errorf("reply %+v, want hop status 4.4.2 %q", reply, reason)
	}
	wantDone(t, h)
	for _, a := range []string{"bob@example.com", "carol@example.net"} {
		if d, ok := h.status.find("defer", a); !ok || d.Status != "4.4.2" || d.Reason != reason || d.DiagType != "" {
			t.Errorf("defer %s: %+v %v", a, d, ok)
		}
	}
	if _, ok := h.status.find("sent", "bob@example.com"); ok {
		t.Error("reported sent after a broken session")
	}
	wantLog(t, h, regexp.QuoteMeta("dsn=4.4.2, status=deferred ("+reason+")"))
}

func TestDisconnectBeforeData(t *testing.T) {
	ioFailure(t, &fakeServer{hangupAt: "DATA"}, testConfig(),
		"lost connection with 127.0.0.1[127.0.0.1] while sending DATA command")
}

func TestDisconnectAfterDot(t *testing.T) {
	ioFailure(t, &fakeServer{hangupAt: "."}, testConfig(),
		"lost connection with 127.0.0.1[127.0.0.1] while sending end of data -- message may be sent more than once")
}

func TestTimeoutAfterDot(t *testing.T) {
	cfg := testConfig()
	cfg.Timeouts.DataDone = 300 * time.Millisecond
	ioFailure(t, &fakeServer{stallAt: "."}, cfg,
		"conversation with 127.0.0.1[127.0.0.1] timed out while sending end of data -- message may be sent more than once")
}

func TestEndOfData5xx(t *testing.T) {
	srv := startServer(t, &fakeServer{dot: "554 5.7.1 Rejected"})
	h := newHarness(testConfig())
	reply := h.deliver(testRequest(srv.port(), "bob@example.com"))
	if reply.Status != deliver.StatFinal || reply.HopStatus != (deliver.DSN{}) {
		t.Errorf("reply %+v", reply)
	}
	wantDone(t, h, 100)
	wantLog(t, h, regexp.QuoteMeta("status=bounced (host 127.0.0.1[127.0.0.1] said: 554 5.7.1 Rejected (in reply to end of DATA command))"))
}

func TestConnectRefused(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	h := newHarness(testConfig())
	reply := h.deliver(testRequest(port, "bob@example.com"))
	reason := fmt.Sprintf("connect to 127.0.0.1[127.0.0.1]:%d: Connection refused", port)
	if reply.Status != deliver.StatDefer || reply.HopStatus != (deliver.DSN{Status: "4.4.1", Reason: reason}) {
		t.Errorf("reply %+v", reply)
	}
	wantLog(t, h, "(?m)^"+regexp.QuoteMeta(reason)+"$")
	wantLog(t, h, regexp.QuoteMeta("to=<bob@example.com>, relay=none, ")+`.*`+regexp.QuoteMeta("dsn=4.4.1, status=deferred ("+reason+")"))
	wantDone(t, h)
}

// A status service that fails must leave the recipient undone and the
// request deferred, whatever the server said.
func TestStatusFailureKeepsMail(t *testing.T) {
	for _, kind := range []string{"sent", "bounce"} {
		t.Run(kind, func(t *testing.T) {
			srv := startServer(t, &fakeServer{rcpt: func(a string) string {
				if a == "r5@example.com" {
					return "550 5.1.1 User unknown"
				}
				return "250 2.1.5 Ok"
			}})
			h := newHarness(testConfig())
			h.status.fail[kind] = true
			reply := h.deliver(testRequest(srv.port(), "ok@example.com", "r5@example.com"))
			if reply.Status != deliver.StatDefer {
				t.Errorf("reply %+v, want defer", reply)
			}
			switch kind {
			case "sent":
				wantDone(t, h, 200)
				if d, ok := h.status.find("defer", "ok@example.com"); !ok || d.Reason != "ABC123: trace service failed" {
					t.Errorf("no deferral after failed sent(): %+v", d)
				}
			case "bounce":
				wantDone(t, h, 100)
				if d, ok := h.status.find("defer", "r5@example.com"); !ok || d.Status != "4.3.0" || d.Reason != "bounce or trace service failure" {
					t.Errorf("no deferral after failed bounce: %+v", d)
				}
			}
		})
	}
}

func TestMarkDoneFailureDefers(t *testing.T) {
	srv := startServer(t, &fakeServer{})
	h := newHarness(testConfig())
	h.msg.failMark = true
	if reply := h.deliver(testRequest(srv.port(), "bob@example.com")); reply.Status != deliver.StatDefer {
		t.Errorf("reply %+v, want defer", reply)
	}
}

func TestSoftBounce(t *testing.T) {
	srv := startServer(t, &fakeServer{rcpt: func(string) string { return "550 5.1.1 User unknown" }})
	cfg := testConfig()
	cfg.SoftBounce = true
	h := newHarness(cfg)
	if reply := h.deliver(testRequest(srv.port(), "bob@example.com")); reply.Status != deliver.StatDefer {
		t.Errorf("reply %+v", reply)
	}
	wantDone(t, h)
	if d, ok := h.status.find("defer", "bob@example.com"); !ok || d.Status != "4.1.1" {
		t.Errorf("defer %+v", d)
	}
	wantLog(t, h, `dsn=4\.1\.1, status=SOFTBOUNCE \(host`)
}

func TestNotLiteralDefers(t *testing.T) {
	h := newHarness(testConfig())
	req := testRequest(25, "bob@example.com")
	req.Nexthop = "example.com"
	if reply := h.deliver(req); reply.Status != deliver.StatDefer || reply.HopStatus.Status != "4.3.0" {
		t.Errorf("reply %+v", reply)
	}
	wantLog(t, h, `status=deferred \(cannot deliver to example\.com: .*literal`)
}

// A soft failure at the first of two next hops moves on to the second.
func TestNexthopListBackup(t *testing.T) {
	first := startServer(t, &fakeServer{rcpt: func(string) string { return "451 4.3.0 busy" }})
	second := startServer(t, &fakeServer{})
	h := newHarness(testConfig())
	req := testRequest(0, "bob@example.com")
	req.Nexthop = fmt.Sprintf("[127.0.0.1]:%d, [127.0.0.1]:%d", first.port(), second.port())
	if reply := h.deliver(req); reply.Status != deliver.StatFinal {
		t.Errorf("reply %+v\n%s", reply, h.log)
	}
	wantDone(t, h, 100)
	if k := h.status.kinds(); k["bob@example.com"] != "sent" {
		t.Errorf("status calls %v", k)
	}
}

func TestFormatTV(t *testing.T) {
	for _, c := range []struct {
		us   int64
		want string
	}{
		{0, "0"}, {4000, "0"}, {5000, "0.01"}, {14900, "0.01"}, {15000, "0.02"}, {123000, "0.12"},
		{996000, "1"}, {1040000, "1"}, {1050000, "1.1"}, {1230000, "1.2"}, {9950000, "10"},
		{12500000, "13"}, {99500000, "100"}, {1234500000, "1235"},
	} {
		if got := formatTV(timeval{c.us / 1e6, c.us % 1e6}, 2); got != c.want {
			t.Errorf("formatTV(%dus) = %s, want %s", c.us, got, c.want)
		}
	}
}

func TestParseNexthop(t *testing.T) {
	for _, c := range []struct {
		in   string
		want destination
		err  bool
	}{
		{"[127.0.0.1]:2525", destination{"127.0.0.1", "127.0.0.1", 2525, "127.0.0.1", false, false, tlspolicy.Policy{}}, false},
		{"[127.0.0.1]", destination{"127.0.0.1", "127.0.0.1", 25, "127.0.0.1", false, false, tlspolicy.Policy{}}, false},
		{"inet:[127.0.0.1]:smtp", destination{"127.0.0.1", "127.0.0.1", 25, "127.0.0.1", false, false, tlspolicy.Policy{}}, false},
		{"[ipv6:::1]:26", destination{"::1", "::1", 26, "ipv6:::1", false, false, tlspolicy.Policy{}}, false},
		{"example.com", destination{}, true},
		{"[127.0.0.1]:x", destination{}, true},
	} {
		got, err := parseNexthop(c.in)
		if (err != nil) != c.err || !reflect.DeepEqual(got, c.want) {
			t.Errorf("parseNexthop(%q) = %+v, %v", c.in, got, err)
		}
	}
}

func TestQuoteAddr(t *testing.T) {
	for in, want := range map[string]string{
		"bob@example.com": "bob@example.com", "": "", "a b@x": `"a b"@x`, ".x@y": `".x"@y`, `a"b@x`: `"a\"b"@x`,
	} {
		if got := quoteAddr(in); got != want {
			t.Errorf("quoteAddr(%q) = %q, want %q", in, got, want)
		}
	}
	if got := xtext("a+b=c d", "="); got != "a+2Bb+3Dc+20d" {
		t.Errorf("xtext: %q", got)
	}
}

func TestLogLineFields(t *testing.T) {
	base := time.Unix(1700000000, 0)
	s := deliver.MsgStats{
		IncomingArrival: base,
		ActiveArrival:   base.Add(10 * time.Millisecond),
		AgentHandoff:    base.Add(50 * time.Millisecond),
		ConnSetupDone:   base.Add(60 * time.Millisecond),
		DeliverDone:     base.Add(61 * time.Millisecond),
	}
	r := deliver.Recipient{Address: "bob@example.com", OrigAddr: "Bob@Example.com"}
	got := logLine("D38D99840D3", r, "127.0.3.2[127.0.3.2]:13026", s, base.Add(time.Hour), 2, "2.0.0", "sent", "250 2.0.0 Ok")
	want := "D38D99840D3: to=<bob@example.com>, relay=127.0.3.2[127.0.3.2]:13026, delay=0.06, delays=0.01/0.04/0.01/0, dsn=2.0.0, status=sent (250 2.0.0 Ok)"
	if got != want {
		t.Errorf("\n got %s\nwant %s", got, want)
	}
	r.OrigAddr = "alias@example.com"
	if got := logLine("X", r, "none", s, base, 2, "4.4.1", "deferred", "r"); !strings.Contains(got, ", orig_to=<alias@example.com>, relay=none,") {
		t.Errorf("orig_to missing: %s", got)
	}
}

// An address probe from verify(8) stops after RCPT and reports to the
// verify service, never to the bounce or defer logs.
func TestVerifyProbe(t *testing.T) {
	srv := startServer(t, &fakeServer{rcpt: func(a string) string {
		if a == "bad@example.com" {
			return "550 5.1.1 User unknown"
		}
		return "250 2.1.5 Ok"
	}})
	h := newHarness(testConfig())
	req := testRequest(srv.port(), "good@example.com", "bad@example.com")
	req.Flags |= deliver.FlagMTAVerify
	if reply := h.deliver(req); reply.Status != deliver.StatFinal {
		t.Errorf("reply %+v\n%s", reply, h.log)
	}
	// Each RCPT reply settles its recipient as it is read.
	wantDone(t, h, 100, 200)
	if k := h.status.kinds(); k["good@example.com"] != "sent" || k["bad@example.com"] != "verify" {
		t.Errorf("status calls %v", k)
	}
	if cmds := srv.commands(); slices.Contains(cmds, "DATA") || !slices.Contains(cmds, "RSET") {
		t.Errorf("commands %q: want RSET and no DATA", cmds)
	}
	wantLog(t, h, `to=<bad@example.com>, .*status=undeliverable \(host`)
}

// parseNexthop, a test helper, accepts what can be reached without DNS: a
// bracketed address "[192.0.2.1]" or "[192.0.2.1]:2525" (what qmgr
// sends for relayhost = [192.0.2.1]:2525), optionally with the "inet:"
// prefix, or a bare address. The agent itself resolves next-hops with
// package resolve; tests use this to build destinations directly.
func parseNexthop(hop string) (destination, error) {
	h := strings.TrimPrefix(hop, "inet:")
	port := "smtp"
	host := h
	if strings.HasPrefix(h, "[") {
		end := strings.IndexByte(h, ']')
		if end < 0 {
			return destination{}, fmt.Errorf("malformed next-hop destination %s", hop)
		}
		host = h[1:end]
		rest := h[end+1:]
		if rest != "" {
			if rest[0] != ':' || len(rest) == 1 {
				return destination{}, fmt.Errorf("malformed next-hop destination %s", hop)
			}
			port = rest[1:]
		}
	} else if i := strings.LastIndexByte(h, ':'); i >= 0 && strings.Count(h, ":") == 1 {
		host, port = h[:i], h[i+1:]
	}
	domain := host
	host = strings.TrimPrefix(host, "ipv6:")
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return destination{}, fmt.Errorf("cannot deliver to %s: this smtp(8) supports only literal [address] destinations (no DNS lookups yet)", hop)
	}
	p, err := parsePort(port)
	if err != nil {
		return destination{}, fmt.Errorf("%s: %v", hop, err)
	}
	return destination{host: ip.String(), domain: domain, addr: ip.String(), port: p}, nil
}

// parsePort takes a number or one of the few service names an SMTP
// client meets; /etc/services is not available inside the chroot.
func parsePort(s string) (int, error) {
	switch s {
	case "smtp":
		return 25, nil
	case "lmtp":
		return 24, nil
	case "submission":
		return 587, nil
	case "smtps", "submissions":
		return 465, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n <= 0 || n > 65535 {
		return 0, fmt.Errorf("unknown service: %s/tcp", s)
	}
	return n, nil
}
