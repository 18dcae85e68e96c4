package agent

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/postfix-go/postfix-go/smtp/internal/deliver"
	"github.com/postfix-go/postfix-go/smtp/internal/resolve"
)

// fakeZone answers for example.test on a loopback UDP port:
// mx.example.test has MX 10 mx1 (127.0.0.2, nothing listens there) and
// MX 20 mx2 (127.0.0.1); all-fail.example.test has MX 10 mx1 and MX 20
// mx3 (127.0.0.3); nx.example.test does not exist; fail.example.test
// gets SERVFAIL.
func fakeZone(w dns.ResponseWriter, q *dns.Msg) {
	m := new(dns.Msg)
	m.SetReply(q)
	name, qtype := strings.ToLower(q.Question[0].Name), q.Question[0].Qtype
	rr := func(s string) {
		r, err := dns.NewRR(s)
		if err == nil {
			m.Answer = append(m.Answer, r)
		}
	}
	switch {
	case name == "fail.example.test.":
		m.Rcode = dns.RcodeServerFailure
	case name == "mx.example.test." && qtype == dns.TypeMX:
		rr("mx.example.test. 60 IN MX 10 mx1.example.test.")
		rr("mx.example.test. 60 IN MX 20 mx2.example.test.")
	case name == "all-fail.example.test." && qtype == dns.TypeMX:
		rr("all-fail.example.test. 60 IN MX 10 mx1.example.test.")
		rr("all-fail.example.test. 60 IN MX 20 mx3.example.test.")
	case name == "mx1.example.test." && qtype == dns.TypeA:
		rr("mx1.example.test. 60 IN A 127.0.0.2")
	case name == "mx2.example.test." && qtype == dns.TypeA:
		rr("mx2.example.test. 60 IN A 127.0.0.1")
	case name == "mx3.example.test." && qtype == dns.TypeA:
		rr("mx3.example.test. 60 IN A 127.0.0.3")
	case strings.HasSuffix(name, "example.test.") && name != "nx.example.test.":
		// NODATA
	default:
		m.Rcode = dns.RcodeNameError
	}
	w.WriteMsg(m)
}

func dnsResolver(t *testing.T) *resolve.Resolver {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	started := make(chan struct{})
	srv := &dns.Server{PacketConn: pc, Handler: dns.HandlerFunc(fakeZone), NotifyStartedFunc: func() { close(started) }}
	go srv.ActivateAndServe()
	<-started
	t.Cleanup(func() { srv.Shutdown() })
	cfg := resolve.DefaultConfig()
	cfg.Servers = []string{pc.LocalAddr().String()}
	cfg.Timeout, cfg.Attempts = 2*time.Second, 1
	cfg.Protocols = resolve.IPv4
	cfg.Randomize = false
	return resolve.New(cfg)
}

func dnsHarness(t *testing.T, cfg Config) *harness {
	h := newHarness(cfg)
	h.agent.Resolver = dnsResolver(t)
	return h
}

func closedPort(t *testing.T) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	return port
}

// The first MX refuses the connection; the second takes the mail.
func TestMXBackup(t *testing.T) {
	srv := startServer(t, &fakeServer{})
	h := dnsHarness(t, testConfig())
	req := testRequest(0, "bob@example.com")
	req.Nexthop = fmt.Sprintf("mx.example.test:%d", srv.port())
	if reply := h.deliver(req); reply.Status != deliver.StatFinal {
		t.Fatalf("reply %+v\n%s", reply, h.log)
	}
	wantDone(t, h, 100)
	wantLog(t, h, "(?m)^"+regexp.QuoteMeta(fmt.Sprintf("connect to mx1.example.test[127.0.0.2]:%d: Connection refused", srv.port()))+"$")
	wantLog(t, h, regexp.QuoteMeta(fmt.Sprintf("to=<bob@example.com>, relay=mx2.example.test[127.0.0.1]:%d, ", srv.port()))+`.*status=sent`)
}

// Every MX fails: the recipient is deferred with the last reason and
// that reason is the hop status.
func TestMXAllFail(t *testing.T) {
	port := closedPort(t)
	h := dnsHarness(t, testConfig())
	req := testRequest(0, "bob@example.com")
	req.Nexthop = fmt.Sprintf("all-fail.example.test:%d", port)
	reply := h.deliver(req)
	reason := fmt.Sprintf("connect to mx3.example.test[127.0.0.3]:%d: Connection refused", port)
	if reply.Status != deliver.StatDefer || reply.HopStatus != (deliver.DSN{Status: "4.4.1", Reason: reason}) {
		t.Errorf("reply %+v\n%s", reply, h.log)
	}
	wantLog(t, h, regexp.QuoteMeta(fmt.Sprintf("connect to mx1.example.test[127.0.0.2]:%d: Connection refused", port)))
	wantLog(t, h, regexp.QuoteMeta("relay=none, ")+".*"+regexp.QuoteMeta("dsn=4.4.1, status=deferred ("+reason+")"))
	wantDone(t, h)
}

// smtp_mx_address_limit = 1: the second MX is not tried.
func TestMXAddressLimit(t *testing.T) {
	srv := startServer(t, &fakeServer{})
	cfg := testConfig()
	cfg.MXAddressLimit = 1
	h := dnsHarness(t, cfg)
	req := testRequest(0, "bob@example.com")
	req.Nexthop = fmt.Sprintf("mx.example.test:%d", srv.port())
	if reply := h.deliver(req); reply.Status != deliver.StatDefer {
		t.Fatalf("reply %+v\n%s", reply, h.log)
	}
	wantLog(t, h, `relay=none, .*dsn=4\.4\.1, status=deferred \(connect to mx1\.example\.test\[127\.0\.0\.2\]`)
}

// smtp_mx_session_limit = 1: after one session past EHLO that got a
// soft error, the next MX is not tried.
func TestMXSessionLimit(t *testing.T) {
	addrs := []resolve.Addr{
		{Host: "a.example.test", IP: mustAddr("127.0.0.1"), Pref: 10},
		{Host: "b.example.test", IP: mustAddr("127.0.0.1"), Pref: 20},
	}
	for _, limit := range []int{1, 2} {
		first := startServer(t, &fakeServer{rcpt: func(string) string { return "451 4.3.0 busy" }})
		second := startServer(t, &fakeServer{})
		cfg := testConfig()
		cfg.MXSessionLimit = limit
		h := newHarness(cfg)
		h.agent.Resolver = fixedResolver{Addrs: addrs}
		ports := []int{first.port(), second.port()}
		n := 0
		h.agent.Dial = func(ctx context.Context, network, _ string) (net.Conn, error) {
			p := ports[n%2]
			n++
			return (&net.Dialer{}).DialContext(ctx, network, fmt.Sprintf("127.0.0.1:%d", p))
		}
		req := testRequest(0, "bob@example.com")
		req.Nexthop = "example.test"
		reply := h.deliver(req)
		if limit == 1 && (reply.Status != deliver.StatDefer || n != 1) {
			t.Errorf("limit 1: reply %+v after %d connections\n%s", reply, n, h.log)
		}
		if limit == 2 && (reply.Status != deliver.StatFinal || n != 2) {
			t.Errorf("limit 2: reply %+v after %d connections\n%s", reply, n, h.log)
		}
		if limit == 1 {
			wantLog(t, h, `dsn=4\.3\.0, status=deferred \(host a\.example\.test\[127\.0\.0\.1\] said: 451 4\.3\.0 busy`)
		} else {
			wantLog(t, h, `(?m)^ABC123: host a\.example\.test\[127\.0\.0\.1\] said: 451`)
		}
	}
}

func TestDNSErrors(t *testing.T) {
	cases := []struct {
		hop, kind, dsn, reason string
		status                 int
	}{
		{"nx.example.test", "bounce", "5.4.4",
			"Host or domain name not found. Name service error for name=nx.example.test type=A: Host not found", deliver.StatFinal},
		{"fail.example.test", "defer", "4.4.3",
			"Host or domain name not found. Name service error for name=fail.example.test type=MX: Host not found, try again", deliver.StatDefer},
	}
	for _, c := range cases {
		t.Run(c.hop, func(t *testing.T) {
			h := dnsHarness(t, testConfig())
			req := testRequest(0, "bob@example.com")
			req.Nexthop = c.hop
			reply := h.deliver(req)
			if reply.Status != c.status || (c.kind == "defer" && reply.HopStatus.Status != c.dsn) {
				t.Errorf("reply %+v\n%s", reply, h.log)
			}
			d, ok := h.status.find(c.kind, "bob@example.com")
			if !ok || d.Status != c.dsn || d.Reason != c.reason {
				t.Errorf("%s: %+v, want %s (%s)\n%s", c.kind, d, c.dsn, c.reason, h.log)
			}
			wantLog(t, h, regexp.QuoteMeta("relay=none, "))
		})
	}
}

// A hard lookup failure of the relayhost is a configuration problem:
// deferred with 4.3.5, not bounced.
func TestRelayhostProblem(t *testing.T) {
	cfg := testConfig()
	cfg.Relayhost = "nx.example.test"
	h := dnsHarness(t, cfg)
	req := testRequest(0, "bob@example.com")
	req.Nexthop = "nx.example.test"
	if reply := h.deliver(req); reply.Status != deliver.StatDefer {
		t.Errorf("reply %+v", reply)
	}
	wantLog(t, h, `relayhost configuration problem`)
	wantLog(t, h, `dsn=4\.3\.5, status=deferred \(Host or domain name not found`)
}

// A fallback relay takes what the primary could not resolve.
func TestFallbackRelay(t *testing.T) {
	srv := startServer(t, &fakeServer{})
	cfg := testConfig()
	cfg.FallbackRelay = fmt.Sprintf("[127.0.0.1]:%d", srv.port())
	h := dnsHarness(t, cfg)
	req := testRequest(0, "bob@example.com")
	req.Nexthop = "fail.example.test"
	if reply := h.deliver(req); reply.Status != deliver.StatFinal {
		t.Errorf("reply %+v\n%s", reply, h.log)
	}
	wantDone(t, h, 100)
}

type fixedResolver resolve.Result

func (f fixedResolver) Resolve(context.Context, resolve.Nexthop) resolve.Result {
	return resolve.Result(f)
}

func mustAddr(s string) netip.Addr { return netip.MustParseAddr(s) }
