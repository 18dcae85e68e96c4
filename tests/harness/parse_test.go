package harness

import (
	"net/netip"
	"os"
	"slices"
	"testing"
	"time"
)

// These unit tests need neither root nor Postfix.

func TestParseLogLine(t *testing.T) {
	now := time.Date(2026, 11, 29, 8, 0, 0, 0, time.Local)
	l, ok := ParseLogLine("Nov  9 07:36:00 vm pft1a2b3c/smtp[4942]: 334A598424E: to=<b@example.com>, status=sent (250 2.0.0 Ok)", now)
	if !ok {
		t.Fatal("not parsed")
	}
	if l.Host != "vm" || l.Tag != "pft1a2b3c/smtp" || l.Program != "smtp" || l.PID != 4942 {
		t.Errorf("got %+v", l)
	}
	if want := time.Date(2026, 11, 9, 7, 36, 0, 0, time.Local); !l.Time.Equal(want) {
		t.Errorf("time %v, want %v", l.Time, want)
	}
	if l.Text != "334A598424E: to=<b@example.com>, status=sent (250 2.0.0 Ok)" {
		t.Errorf("text %q", l.Text)
	}

	// A December line read in January belongs to last year.
	l, _ = ParseLogLine("Dec 31 23:59:59 vm x/master[1]: warning: something", time.Date(2027, 1, 1, 0, 0, 5, 0, time.Local))
	if l.Time.Year() != 2026 || l.Severity() != "warning" || l.Program != "master" {
		t.Errorf("got %+v severity %q", l, l.Severity())
	}

	if _, ok := ParseLogLine("garbage", now); ok {
		t.Error("garbage parsed")
	}
}

func TestParseDelivery(t *testing.T) {
	for _, tc := range []struct {
		text string
		want Delivery
	}{{
		text: "37EF1984251: to=<b@example.com>, relay=127.0.0.1[127.0.0.1]:32525, conn_use=2, delay=0.17, delays=0.01/0.16/0/0, dsn=2.0.0, status=sent (250 2.0.0 Ok)",
		want: Delivery{QueueID: "37EF1984251", To: "b@example.com", Relay: "127.0.0.1[127.0.0.1]:32525", ConnUse: 2,
			Delay: "0.17", Delays: "0.01/0.16/0/0", DSN: "2.0.0", Status: "sent", Reason: "250 2.0.0 Ok"},
	}, {
		text: "ABC: to=<x, y@z>, orig_to=<o@p>, relay=none, delay=0.1, delays=0/0/0.1/0, dsn=4.4.1, status=deferred (connect to 127.0.0.1[127.0.0.1]:1: Connection refused)",
		want: Delivery{QueueID: "ABC", To: "x, y@z", OrigTo: "o@p", Relay: "none", ConnUse: 1,
			Delay: "0.1", Delays: "0/0/0.1/0", DSN: "4.4.1", Status: "deferred", Reason: "connect to 127.0.0.1[127.0.0.1]:1: Connection refused"},
	}} {
		d, ok := ParseDelivery(LogLine{Text: tc.text})
		if !ok {
			t.Errorf("not parsed: %s", tc.text)
			continue
		}
		d.Fields, d.Line, tc.want.Line = nil, LogLine{}, LogLine{}
		if d.QueueID != tc.want.QueueID || d.To != tc.want.To || d.OrigTo != tc.want.OrigTo || d.Relay != tc.want.Relay ||
			d.ConnUse != tc.want.ConnUse || d.Delay != tc.want.Delay || d.Delays != tc.want.Delays ||
			d.DSN != tc.want.DSN || d.Status != tc.want.Status || d.Reason != tc.want.Reason {
			t.Errorf("got  %+v\nwant %+v", d, tc.want)
		}
	}
	if _, ok := ParseDelivery(LogLine{Text: "334A598424E: removed"}); ok {
		t.Error("non-delivery line parsed")
	}
}

func TestParseSinkDump(t *testing.T) {
	dump := "X-Client-Addr: 127.0.0.1\nX-Client-Proto: ESMTP\nX-Helo-Args: vm.example\n" +
		"X-Mail-Args: <a@x.test> SIZE=348\nX-Rcpt-Args: <b@example.com> ORCPT=rfc822;b@example.com\nX-Rcpt-Args: <c@example.com>\n" +
		"Received: from vm.example ([127.0.0.1])\n\tby smtp-sink (smtp-sink) with ESMTP id 05461cc3;\n\tSun, 29 Nov 2026 07:36:00 +0000 (UTC)\n" +
		"Received: from vm (unknown [127.0.0.1])\n\tby vm.example (Postfix) with ESMTP id 40376984256\n\tfor <b@example.com>; Sun, 29 Nov 2026 07:36:00 +0000 (UTC)\n" +
		"Message-Id: <1345.0005.000a@vm>\n\nLa de da\n"
	m := parseSinkDump("f", dump)
	if m.ClientAddr != "127.0.0.1" || m.Proto != "ESMTP" || m.Helo != "vm.example" || m.MailArgs != "<a@x.test> SIZE=348" {
		t.Errorf("headers: %+v", m)
	}
	if got := m.Rcpts(); !slices.Equal(got, []string{"b@example.com", "c@example.com"}) {
		t.Errorf("rcpts %q", got)
	}
	if m.QueueID != "40376984256" || m.MessageID != "1345.0005.000a@vm" {
		t.Errorf("queue id %q message id %q", m.QueueID, m.MessageID)
	}
	if m.Content[:len("Received: from vm ")] != "Received: from vm " {
		t.Errorf("content starts %q", m.Content[:20])
	}
}

func TestParseTCPLine(t *testing.T) {
	c, err := parseTCPLine("   3: 0100007F:A4B1 0100007F:7EC5 01 00000000:00000000 00:00000000 00000000   102        0 123456 1 0000000000000000 20 4 30 10 -1")
	if err != nil {
		t.Fatal(err)
	}
	if c.Local != netip.MustParseAddrPort("127.0.0.1:42161") || c.Remote != netip.MustParseAddrPort("127.0.0.1:32453") ||
		!c.Established() || c.Inode != 123456 {
		t.Errorf("got %+v", c)
	}
	c, err = parseTCPLine("   0: 00000000000000000000000001000000:0019 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 99 1 0 100 0 0 10 0")
	if err != nil {
		t.Fatal(err)
	}
	if c.Local != netip.MustParseAddrPort("[::1]:25") || c.State != tcpListen {
		t.Errorf("got %+v", c)
	}
}

func TestProcStatusSelf(t *testing.T) {
	st, err := ProcStatus(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Threads) == 0 || st.FDs == 0 || st.Root != "/" {
		t.Errorf("got %+v", st)
	}
	for _, th := range st.Threads {
		if th.UID.Effective != os.Geteuid() || th.GID.Effective != os.Getegid() {
			t.Errorf("thread %d: %+v", th.TID, th)
		}
	}
	if !Alive(os.Getpid()) {
		t.Error("we are not alive")
	}
}

func TestWithinAndSanitize(t *testing.T) {
	if !within("/tmp/a/b", "/tmp/a") || within("/tmp/ab", "/tmp/a") || within("", "/tmp/a") {
		t.Error("within")
	}
	if got := sanitize("TestX/sub name"); got != "TestX_sub_name" {
		t.Errorf("sanitize: %q", got)
	}
}
