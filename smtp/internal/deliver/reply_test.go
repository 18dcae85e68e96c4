package deliver

import (
	"bytes"
	"errors"
	"net"
	"os"
	"reflect"
	"testing"
	"time"
)

func replyFixtures() []struct {
	file  string
	reply Reply
} {
	return []struct {
		file  string
		reply Reply
	}{
		{"smtp-deliver-reply.bin", Reply{Status: StatFinal}},
		{"smtp-deliver-reply-defer.bin", Reply{Status: StatDefer}},
		{"smtp-deliver-reply-site-defer.bin", Reply{
			HopStatus: DSN{Status: "4.4.1", Reason: "connect to 127.0.3.2[127.0.3.2]:13026: Connection refused"},
			Status:    StatDefer,
		}},
	}
}

func TestReplyBytes(t *testing.T) {
	for _, tt := range replyFixtures() {
		t.Run(tt.file, func(t *testing.T) {
			want := fixture(t, tt.file)
			if got := tt.reply.AppendTo(nil); !bytes.Equal(got, want) {
				t.Errorf("AppendTo\n%q\nwant\n%q", got, want)
			}
			var buf bytes.Buffer
			if err := WriteReply(&buf, tt.reply); err != nil || !bytes.Equal(buf.Bytes(), want) {
				t.Errorf("WriteReply: %q, %v", buf.Bytes(), err)
			}
			// The client side reads it back.
			sc, warns := scanner(want)
			got, err := ReadReply(sc)
			if err != nil || !reflect.DeepEqual(got, tt.reply) || len(*warns) != 0 {
				t.Errorf("ReadReply = %+v, %v, warnings %q", got, err, *warns)
			}
		})
	}
}

// All seven DSN fields, in dsn_print order, spliced without a terminator.
func TestDSNAttrs(t *testing.T) {
	d := DSN{Status: "5.1.1", DiagType: "smtp", DiagText: "550 5.1.1 unknown", MTAType: "dns",
		MTAName: "mx.example.com", Action: "failed", Reason: "host said: no"}
	want := "status\x005.1.1\x00diag_type\x00smtp\x00diag_text\x00550 5.1.1 unknown\x00mta_type\x00dns\x00" +
		"mta_mname\x00mx.example.com\x00action\x00failed\x00reason\x00host said: no\x00"
	if got := string(d.AppendAttrs([]byte("x"))); got != "x"+want {
		t.Errorf("AppendAttrs = %q", got)
	}
	var back DSN
	sc, _ := scanner([]byte(want + "\x00"))
	if n, err := sc.Scan(0, back.Wants()...); n != 7 || err != nil || back != d {
		t.Errorf("Wants: n=%d err=%v %+v", n, err, back)
	}
}

func TestReadReplyMalformed(t *testing.T) {
	for _, in := range []string{
		"status\x00\x00\x00",  // DSN cut short
		"status\x000\x00\x00", // qmgr-style status only
		"status\x00\x00diag_type\x00\x00diag_text\x00\x00mta_type\x00\x00mta_mname\x00\x00action\x00\x00reason\x00\x00status\x00x\x00\x00",
		"status\x00\x00diag_type\x00\x00diag_text\x00\x00mta_type\x00\x00mta_mname\x00\x00action\x00\x00reason\x00\x00", // EOF
		"",
	} {
		sc, warns := scanner([]byte(in))
		if _, err := ReadReply(sc); err == nil || len(*warns) == 0 || (*warns)[len(*warns)-1] != "smtp socket: malformed response" {
			t.Errorf("ReadReply(%q): %v, warnings %q", in, err, *warns)
		}
	}
}

func TestAnnounce(t *testing.T) {
	var buf bytes.Buffer
	if err := Announce(&buf); err != nil {
		t.Fatal(err)
	}
	if want := fixture(t, "delivery-request-announce.bin"); !bytes.Equal(buf.Bytes(), want) {
		t.Errorf("Announce wrote %q, want %q", buf.Bytes(), want)
	}
	sc, _ := scanner(buf.Bytes())
	if err := ReadAnnounce(sc); err != nil {
		t.Errorf("ReadAnnounce: %v", err)
	}
	for _, in := range []string{"protocol\x00connection_cache_protocol\x00\x00", "other\x00x\x00\x00", "protocol\x00", ""} {
		sc, warns := scanner([]byte(in))
		if err := ReadAnnounce(sc); err == nil || len(*warns) == 0 {
			t.Errorf("ReadAnnounce(%q) accepted, warnings %q", in, *warns)
		}
	}
	// Stock quirk kept: an empty list converts nothing, like a good one.
	sc, warns := scanner([]byte("\x00"))
	if err := ReadAnnounce(sc); err != nil || len(*warns) != 1 {
		t.Errorf("ReadAnnounce(empty list) = %v, warnings %q", err, *warns)
	}
}

// socketPair returns two connected UNIX stream sockets, the kind of
// connection qmgr and the agent share.
func socketPair(t *testing.T) (agent, qmgr net.Conn) {
	t.Helper()
	dir := t.TempDir()
	ln, err := net.Listen("unix", dir+"/s")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	done := make(chan net.Conn, 1)
	go func() {
		c, _ := ln.Accept()
		done <- c
	}()
	qmgr, err = net.Dial("unix", dir+"/s")
	if err != nil {
		t.Fatal(err)
	}
	agent = <-done
	if agent == nil {
		t.Fatal("accept failed")
	}
	t.Cleanup(func() { agent.Close(); qmgr.Close() })
	return agent, qmgr
}

func TestAwaitClose(t *testing.T) {
	t.Run("peer closes", func(t *testing.T) {
		agent, qmgr := socketPair(t)
		go func() {
			time.Sleep(20 * time.Millisecond)
			qmgr.Close()
		}()
		start := time.Now()
		if err := AwaitClose(agent, 5*time.Second); err != nil {
			t.Errorf("AwaitClose: %v", err)
		}
		if time.Since(start) < 15*time.Millisecond {
			t.Error("returned before the peer closed")
		}
		// The deadline is cleared again.
		if err := agent.SetReadDeadline(time.Time{}); err != nil {
			t.Error(err)
		}
	})
	t.Run("byte arrives", func(t *testing.T) {
		agent, qmgr := socketPair(t)
		qmgr.Write([]byte("x"))
		if err := AwaitClose(agent, 5*time.Second); err != nil {
			t.Errorf("AwaitClose: %v", err)
		}
	})
	t.Run("timeout", func(t *testing.T) {
		agent, _ := socketPair(t)
		err := AwaitClose(agent, 30*time.Millisecond)
		if !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Errorf("AwaitClose = %v, want a deadline error", err)
		}
	})
	t.Run("no limit", func(t *testing.T) {
		agent, qmgr := socketPair(t)
		qmgr.Close()
		if err := AwaitClose(agent, 0); err != nil {
			t.Errorf("AwaitClose: %v", err)
		}
	})
}

// The whole exchange over a socket, as master's single server runs it:
// announce, read, reply, wait for the close.
func TestExchange(t *testing.T) {
	agent, qmgr := socketPair(t)
	req := fixture(t, "smtp-deliver-request-2rcpt.bin")
	qmgrDone := make(chan error, 1)
	go func() {
		sc := NewScanner(qmgr, "smtp", nil)
		if err := ReadAnnounce(sc); err != nil {
			qmgrDone <- err
			return
		}
		if _, err := qmgr.Write(req); err != nil {
			qmgrDone <- err
			return
		}
		r, err := ReadReply(sc)
		if err == nil && r.Status != StatFinal {
			err = errors.New("unexpected status")
		}
		qmgr.Close()
		qmgrDone <- err
	}()
	if err := Announce(agent); err != nil {
		t.Fatal(err)
	}
	sc := NewScanner(agent, "smtp", nil)
	got, err := Read(sc)
	if err != nil || len(got.Recipients) != 2 {
		t.Fatalf("Read: %+v, %v", got, err)
	}
	if err := WriteReply(agent, Reply{Status: StatFinal}); err != nil {
		t.Fatal(err)
	}
	if err := AwaitClose(agent, 5*time.Second); err != nil {
		t.Error(err)
	}
	if err := <-qmgrDone; err != nil {
		t.Errorf("qmgr side: %v", err)
	}
}
