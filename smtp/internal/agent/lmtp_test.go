package agent

import (
	"bufio"
	"fmt"
	"net"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/postfix-go/postfix-go/smtp/internal/deliver"
)

// fakeLMTP is a scripted LMTP server for one session: after the end of
// data it answers once per accepted recipient with dot(addr).
type fakeLMTP struct {
	rcpt func(addr string) string // nil: 250
	dot  func(addr string) string // nil: 250
	// hangupAfter: close the connection after this many end-of-data
	// replies (0: never).
	hangupAfter int

	ln   net.Listener
	mu   sync.Mutex
	cmds []string
	done chan struct{}
}

func startLMTP(t *testing.T, network, addr string, s *fakeLMTP) *fakeLMTP {
	t.Helper()
	s.ln, s.done = serveOnce(t, network, addr, s.session)
	return s
}

func (s *fakeLMTP) log(cmd string) { s.mu.Lock(); s.cmds = append(s.cmds, cmd); s.mu.Unlock() }

func (s *fakeLMTP) commands() []string {
	<-s.done
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.cmds...)
}

func (s *fakeLMTP) session(c net.Conn) {
	br := bufio.NewReader(c)
	say := func(text string) { fmt.Fprintf(c, "%s\r\n", text) }
	say("220 lmtp.test LMTP")
	var accepted []string
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			return
		}
		cmd := strings.TrimRight(line, "\r\n")
		s.log(cmd)
		verb := strings.ToUpper(strings.SplitN(strings.SplitN(cmd, ":", 2)[0], " ", 2)[0])
		switch verb {
		case "LHLO":
			say("250-lmtp.test\r\n250-PIPELINING\r\n250-ENHANCEDSTATUSCODES\r\n250 8BITMIME")
		case "MAIL":
			say("250 2.1.0 Ok")
		case "RCPT":
			addr := cmd[strings.IndexByte(cmd, '<')+1 : strings.IndexByte(cmd, '>')]
			r := "250 2.1.5 Ok"
			if s.rcpt != nil {
				r = s.rcpt(addr)
			}
			if strings.HasPrefix(r, "2") {
				accepted = append(accepted, addr)
			}
			say(r)
		case "DATA":
			say("354 End data with <CR><LF>.<CR><LF>")
			for {
				l, err := br.ReadString('\n')
				if err != nil {
					return
				}
				if l == ".\r\n" {
					break
				}
			}
			s.log(".")
			for n, a := range accepted {
				if s.hangupAfter > 0 && n == s.hangupAfter {
					return
				}
				r := "250 2.0.0 <" + a + "> delivered"
				if s.dot != nil {
					r = s.dot(a)
				}
				say(r)
			}
		case "QUIT":
			say("221 2.0.0 Bye")
			return
		default:
			say("502 5.5.2 Error: command not recognized")
		}
	}
}

func lmtpConfig() Config {
	cfg := testConfig()
	cfg.LMTP = true
	cfg.SkipQuitResponse = false
	return cfg
}

// The vector smtp-lmtp-per-rcpt: one reply per accepted recipient after
// the end of data, each deciding its own recipient.
func TestLMTPPerRecipientReplies(t *testing.T) {
	srv := startLMTP(t, "tcp", "127.0.0.1:0", &fakeLMTP{
		dot: func(a string) string {
			switch a {
			case "d4@x.test":
				return "452 4.2.2 <d4@x.test>: mailbox temporarily full"
			case "d5@x.test":
				return "552 5.2.2 <d5@x.test>: mailbox full"
			}
			return "250 2.0.0 <" + a + "> delivered"
		},
	})
	h := newHarness(lmtpConfig())
	req := testRequest(0, "ok1@x.test", "d4@x.test", "d5@x.test", "ok2@x.test")
	req.Nexthop = fmt.Sprintf("inet:127.0.0.1:%d", srv.ln.Addr().(*net.TCPAddr).Port)
	reply := h.deliver(req)
	if reply.Status != deliver.StatDefer || reply.HopStatus != (deliver.DSN{}) {
		t.Errorf("reply %+v, want defer without hop status\n%s", reply, h.log)
	}
	wantDone(t, h, 100, 300, 400)
	k := h.status.kinds()
	if k["ok1@x.test"] != "sent" || k["ok2@x.test"] != "sent" || k["d4@x.test"] != "defer" || k["d5@x.test"] != "bounce" {
		t.Errorf("status calls %v", k)
	}
	relay := fmt.Sprintf(`127\.0\.0\.1\[127\.0\.0\.1\]:%d`, srv.ln.Addr().(*net.TCPAddr).Port)
	wantLog(t, h, `to=<d4@x\.test>, relay=`+relay+`, .*dsn=4\.2\.2, status=deferred \(host 127\.0\.0\.1\[127\.0\.0\.1\] said: 452 4\.2\.2 <d4@x\.test>: mailbox temporarily full \(in reply to end of DATA command\)\)`)
	wantLog(t, h, `to=<d5@x\.test>, .*dsn=5\.2\.2, status=bounced \(host 127\.0\.0\.1\[127\.0\.0\.1\] said: 552 5\.2\.2 <d5@x\.test>: mailbox full \(in reply to end of DATA command\)\)`)
	wantLog(t, h, `to=<ok2@x\.test>, relay=`+relay+`, .*dsn=2\.0\.0, status=sent \(250 2\.0\.0 <ok2@x\.test> delivered\)`)
	want := []string{
		"LHLO client.test",
		"MAIL FROM:<alice@example.com> BODY=8BITMIME",
		"RCPT TO:<ok1@x.test>", "RCPT TO:<d4@x.test>", "RCPT TO:<d5@x.test>", "RCPT TO:<ok2@x.test>",
		"DATA", ".", "QUIT",
	}
	if got := srv.commands(); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("commands\n got %q\nwant %q", got, want)
	}
}

// A RCPT reject is disposed of at once; the end-of-data replies then
// belong to the accepted recipients only. UNIX-domain servers are
// shown as $myhostname[path] and are always final.
func TestLMTPUnixRcptReject(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "lmtp")
	srv := startLMTP(t, "unix", path, &fakeLMTP{
		rcpt: func(a string) string {
			if a == "r5@x.test" {
				return "550 5.1.1 <r5@x.test>: User unknown"
			}
			if a == "r4@x.test" {
				return "450 4.2.0 <r4@x.test>: try later"
			}
			return "250 2.1.5 Ok"
		},
	})
	h := newHarness(lmtpConfig())
	req := testRequest(0, "r5@x.test", "ok@x.test", "r4@x.test")
	req.Nexthop = "unix:" + path
	reply := h.deliver(req)
	if reply.Status != deliver.StatDefer {
		t.Errorf("reply %+v\n%s", reply, h.log)
	}
	wantDone(t, h, 100, 200)
	k := h.status.kinds()
	if k["ok@x.test"] != "sent" || k["r5@x.test"] != "bounce" || k["r4@x.test"] != "defer" {
		t.Errorf("status calls %v", k)
	}
	relay := `client\.test\[` + strings.ReplaceAll(path, ".", `\.`) + `\]`
	wantLog(t, h, `to=<ok@x\.test>, relay=`+relay+`, .*status=sent`)
	wantLog(t, h, `to=<r5@x\.test>, relay=`+relay+`, .*status=bounced \(host `+relay+` said: 550 5\.1\.1 <r5@x\.test>: User unknown \(in reply to RCPT TO command\)\)`)
	if got := srv.commands(); got[0] != "LHLO client.test" {
		t.Errorf("commands %q", got)
	}
}

// A connection lost half-way through the end-of-data replies: the
// recipients whose replies arrived keep them (no duplicate delivery),
// the others are deferred.
func TestLMTPHangupMidReplies(t *testing.T) {
	srv := startLMTP(t, "tcp", "127.0.0.1:0", &fakeLMTP{hangupAfter: 1})
	h := newHarness(lmtpConfig())
	req := testRequest(0, "a@x.test", "b@x.test")
	req.Nexthop = fmt.Sprintf("inet:[127.0.0.1]:%d", srv.ln.Addr().(*net.TCPAddr).Port)
	reply := h.deliver(req)
	if reply.Status != deliver.StatDefer {
		t.Errorf("reply %+v\n%s", reply, h.log)
	}
	wantDone(t, h, 100)
	if k := h.status.kinds(); k["a@x.test"] != "sent" || k["b@x.test"] != "defer" {
		t.Errorf("status calls %v\n%s", k, h.log)
	}
	wantLog(t, h, `to=<b@x\.test>, .*status=deferred \(lost connection with 127\.0\.0\.1\[127\.0\.0\.1\] while sending end of data`)
}

// No LMTP server at the UNIX-domain path: everything is deferred.
func TestLMTPUnixConnectFails(t *testing.T) {
	h := newHarness(lmtpConfig())
	req := testRequest(0, "a@x.test")
	req.Nexthop = "unix:" + filepath.Join(t.TempDir(), "none")
	if reply := h.deliver(req); reply.Status != deliver.StatDefer {
		t.Errorf("reply %+v", reply)
	}
	wantDone(t, h)
	wantLog(t, h, `status=deferred \(connect to client\.test\[[^]]*/none\]: No such file or directory\)`)
}

// LMTP defaults to port 24 (lmtp_tcp_port) and never falls back to HELO.
func TestLMTPLHLORejected(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	got := make(chan []string, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			got <- nil
			return
		}
		defer c.Close()
		br := bufio.NewReader(c)
		fmt.Fprintf(c, "220 x\r\n")
		var cmds []string
		for {
			l, err := br.ReadString('\n')
			if err != nil {
				break
			}
			cmds = append(cmds, strings.TrimRight(l, "\r\n"))
			if strings.HasPrefix(l, "QUIT") {
				fmt.Fprintf(c, "221 bye\r\n")
				break
			}
			fmt.Fprintf(c, "500 5.5.1 what\r\n")
		}
		got <- cmds
	}()
	h := newHarness(lmtpConfig())
	req := testRequest(0, "a@x.test")
	req.Nexthop = fmt.Sprintf("[127.0.0.1]:%d", ln.Addr().(*net.TCPAddr).Port)
	h.deliver(req)
	// A 5xx LHLO reply at the final server bounces, as in stock.
	if k := h.status.kinds(); k["a@x.test"] != "bounce" {
		t.Errorf("status calls %v", k)
	}
	if cmds := <-got; strings.Join(cmds, "|") != "LHLO client.test|QUIT" {
		t.Errorf("commands %q", cmds)
	}
}
