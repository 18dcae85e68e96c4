package statusclient

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"slices"
	"strings"
	"testing"
	"time"
)

// call runs one Client method the way the delivery agent would.
type call func(c *Client, ctx context.Context) error

// appendCall calls the method for f with the inputs decoded from its
// fixture, so the client must re-create the captured bytes on the wire.
func appendCall(t *testing.T, f appendFixture) call {
	in := decodeAppend(t, fixture(t, f.file))
	return func(c *Client, ctx context.Context) error {
		switch f.service {
		case "bounce":
			return c.BounceAppend(ctx, in.flags, in.queueID, in.rcpt, in.dsn)
		case "defer":
			return c.DeferAppend(ctx, in.flags, in.queueID, in.rcpt, in.dsn)
		}
		dsn := in.dsn
		dsn.Reason = strings.TrimPrefix(dsn.Reason, "delivery via "+f.relay+": ")
		return c.TraceAppend(ctx, in.flags, in.queueID, in.rcpt, f.relay, dsn)
	}
}

// TestExchangesReplayFixtures: every request against a server that
// replays the captured announcement and reply; the server must receive
// the captured request bytes.
func TestExchangesReplayFixtures(t *testing.T) {
	announce := string(fixture(t, "delivery-status-announce.bin"))
	for _, f := range appendFixtures {
		t.Run(f.file, func(t *testing.T) {
			c, dir, w, _ := newTestClient(t, Config{})
			srv := &fake{}
			reply := strings.Replace(f.file, "-utf8", "", 1)
			reply = strings.Replace(reply, "-noreply", "", 1)
			reply = strings.Replace(reply, "-relayed", "", 1)
			reply = strings.Replace(reply, ".request.", ".reply.", 1)
			srv.serve(t, dir, "private", f.service, srv.replay(announce, string(fixture(t, reply))))
			if err := appendCall(t, f)(c, context.Background()); err != nil {
				t.Fatal(err)
			}
			if got := srv.got(); len(got) != 1 || !bytes.Equal(got[0], fixture(t, f.file)) {
				t.Errorf("server received %q", got)
			}
			if len(w.all()) != 0 {
				t.Errorf("warnings: %q", w.all())
			}
		})
	}
	t.Run("verify", func(t *testing.T) {
		c, dir, _, _ := newTestClient(t, Config{})
		srv := &fake{}
		srv.serve(t, dir, "private", "verify", srv.replay(string(fixture(t, "verify-announce.bin")), string(fixture(t, "verify-update.reply.bin"))))
		if err := c.VerifyUpdate(context.Background(), "vr@example.com", RcptStatOK, "250 2.1.5 Ok"); err != nil {
			t.Fatal(err)
		}
		if got := srv.got(); len(got) != 1 || !bytes.Equal(got[0], fixture(t, "verify-update.request.bin")) {
			t.Errorf("server received %q", got)
		}
	})
	t.Run("flush", func(t *testing.T) {
		// flush lives in public/, unlike the others.
		c, dir, _, _ := newTestClient(t, Config{})
		srv := &fake{}
		srv.serve(t, dir, "public", "flush", srv.replay(string(fixture(t, "flush-announce.bin")), string(fixture(t, "flush-add.reply.bin"))))
		status, err := c.FlushAdd(context.Background(), "example.com", "10901984142")
		if err != nil || status != FlushStatOK {
			t.Fatalf("FlushAdd: %d %v", status, err)
		}
		if got := srv.got(); len(got) != 1 || !bytes.Equal(got[0], fixture(t, "flush-add.request.bin")) {
			t.Errorf("server received %q", got)
		}
	})
}

// TestServiceNames: configured names choose the sockets.
func TestServiceNames(t *testing.T) {
	c, dir, _, _ := newTestClient(t, Config{DeferService: "defer2", FlushService: "flush2"})
	srv := &fake{}
	srv.serve(t, dir, "private", "defer2", srv.replay("protocol\x00"+ProtoDeliveryStatus+"\x00\x00", statusOK))
	if err := c.DeferAppend(context.Background(), 0, "ABC", Recipient{}, DSN{}); err != nil {
		t.Fatal(err)
	}
	srv2 := &fake{}
	srv2.serve(t, dir, "public", "flush2", srv2.replay("protocol\x00"+ProtoFlush+"\x00\x00", "status\x004\x00\x00"))
	status, err := c.FlushAdd(context.Background(), "x.test", "ABC")
	if err != nil || status != FlushStatDeny {
		t.Fatalf("FlushAdd: %d %v", status, err)
	}
	cfg := c.Config()
	if cfg.BounceService != "bounce" || cfg.TraceService != "trace" || cfg.VerifyService != "verify" {
		t.Errorf("defaults: %+v", cfg)
	}
}

// requireError checks the stock wording and the stage of a failure.
func requireError(t *testing.T, err error, op, text string) *Error {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T), want *Error", err, err)
	}
	if e.Op != op || err.Error() != text {
		t.Fatalf("error %q (op %q), want %q (op %q)", err, e.Op, text, op)
	}
	return e
}

func TestWrongAnnouncement(t *testing.T) {
	c, dir, w, _ := newTestClient(t, Config{})
	srv := &fake{}
	// A flush server where the bounce service should be.
	srv.serve(t, dir, "private", "bounce", srv.replay(string(fixture(t, "flush-announce.bin")), statusOK))
	err := c.BounceAppend(context.Background(), 0, "ABC", Recipient{}, DSN{})
	requireError(t, err, OpRead, "read private/bounce socket: Application error")
	want := []string{"unexpected protocol queue_flush_protocol from private/bounce socket (expected: delivery_status_protocol)"}
	if !slices.Equal(w.all(), want) {
		t.Errorf("warnings %q, want %q", w.all(), want)
	}
	time.Sleep(50 * time.Millisecond)
	if len(srv.got()) != 0 {
		t.Errorf("request sent after a wrong announcement: %q", srv.got())
	}

	// verify must insist on its misspelt name; the correct spelling is wrong.
	c2, dir2, w2, _ := newTestClient(t, Config{VerifyExchange: Retry{Attempts: 1}})
	srv2 := &fake{}
	srv2.serve(t, dir2, "private", "verify", srv2.replay("protocol\x00address_verification_protocol\x00\x00", statusOK))
	err = c2.VerifyUpdate(context.Background(), "a@b", RcptStatOK, "ok")
	requireError(t, err, OpVerify, "problem talking to service verify: Application error")
	want = []string{
		"unexpected protocol address_verification_protocol from private/verify socket (expected: address_verification_prrotocol)",
		"problem talking to service verify: Application error",
	}
	if !slices.Equal(w2.all(), want) {
		t.Errorf("warnings %q, want %q", w2.all(), want)
	}
}

// TestMalformedAnnouncement: stock accepts these and fails later (or not
// at all); we refuse them at once.
func TestMalformedAnnouncement(t *testing.T) {
	for name, tc := range map[string]struct{ announce, warning string }{
		"empty list": {"\x00", "missing attribute protocol in input from private/trace socket"},
		"extra attribute": {"protocol\x00delivery_status_protocol\x00extra\x00x\x00\x00",
			"unexpected attribute extra from private/trace socket (expecting: (list terminator))"},
		"other name": {"proto\x00delivery_status_protocol\x00\x00",
			"unexpected attribute proto from private/trace socket (expecting: protocol)"},
	} {
		t.Run(name, func(t *testing.T) {
			c, dir, w, _ := newTestClient(t, Config{})
			srv := &fake{}
			srv.serve(t, dir, "private", "trace", srv.replay(tc.announce, statusOK))
			err := c.TraceAppend(context.Background(), 0, "ABC", Recipient{}, NoRelay, DSN{})
			requireError(t, err, OpRead, "read private/trace socket: Application error")
			if !slices.Equal(w.all(), []string{tc.warning}) {
				t.Errorf("warnings %q", w.all())
			}
		})
	}
}

func TestServerClosesEarly(t *testing.T) {
	t.Run("before announcing", func(t *testing.T) {
		c, dir, w, _ := newTestClient(t, Config{})
		srv := &fake{}
		srv.serve(t, dir, "private", "defer", func(*testing.T, int, *net.UnixConn) {})
		err := c.DeferAppend(context.Background(), 0, "ABC", Recipient{}, DSN{})
		requireError(t, err, OpRead, "read private/defer socket: Application error")
		if !errors.Is(err, io.EOF) {
			t.Errorf("cause %v, want EOF", errors.Unwrap(err))
		}
		if len(w.all()) != 0 {
			t.Errorf("warnings %q", w.all())
		}
	})
	t.Run("after the request", func(t *testing.T) {
		c, dir, w, _ := newTestClient(t, Config{})
		srv := &fake{}
		srv.serve(t, dir, "private", "defer", func(t *testing.T, _ int, conn *net.UnixConn) {
			conn.Write([]byte("protocol\x00delivery_status_protocol\x00\x00"))
			srv.read(conn)
		})
		err := c.DeferAppend(context.Background(), 0, "ABC", Recipient{}, DSN{})
		requireError(t, err, OpReply, "write/read private/defer socket: Application error")
		if len(srv.got()) != 1 || len(w.all()) != 0 {
			t.Errorf("requests %q warnings %q", srv.got(), w.all())
		}
	})
	t.Run("mid reply", func(t *testing.T) {
		c, dir, w, _ := newTestClient(t, Config{})
		srv := &fake{}
		srv.serve(t, dir, "private", "defer", func(t *testing.T, _ int, conn *net.UnixConn) {
			conn.Write([]byte("protocol\x00delivery_status_protocol\x00\x00"))
			srv.read(conn)
			conn.Write([]byte("status\x000"))
		})
		err := c.DeferAppend(context.Background(), 0, "ABC", Recipient{}, DSN{})
		requireError(t, err, OpReply, "write/read private/defer socket: Application error")
		want := []string{"unexpected end-of-input from private/defer socket while reading input attribute value"}
		if !slices.Equal(w.all(), want) {
			t.Errorf("warnings %q", w.all())
		}
	})
	t.Run("after announcing", func(t *testing.T) {
		// The request may still fit in the socket buffer (then the
		// reply read fails) or meet the closed peer (then the write
		// fails): both are what a stock client could see.
		c, dir, _, _ := newTestClient(t, Config{})
		srv := &fake{}
		srv.serve(t, dir, "private", "defer", func(t *testing.T, _ int, conn *net.UnixConn) {
			conn.Write([]byte("protocol\x00delivery_status_protocol\x00\x00"))
		})
		err := c.DeferAppend(context.Background(), 0, "ABC", Recipient{}, DSN{})
		var e *Error
		if !errors.As(err, &e) || (e.Op != OpWrite && e.Op != OpReply) {
			t.Fatalf("error %v", err)
		}
	})
}

func TestStatusNotZero(t *testing.T) {
	c, dir, w, _ := newTestClient(t, Config{})
	srv := &fake{}
	srv.serve(t, dir, "private", "bounce", srv.replay("protocol\x00delivery_status_protocol\x00\x00", statusMinus))
	err := c.BounceAppend(context.Background(), 0, "ABC", Recipient{}, DSN{})
	var se *StatusError
	if !errors.As(err, &se) || se.Status != -1 || err.Error() != "private/bounce socket: server status -1" {
		t.Fatalf("error %v", err)
	}
	if len(w.all()) != 0 {
		t.Errorf("warnings %q", w.all())
	}

	// flush: the status is data, not an error.
	srv2 := &fake{}
	srv2.serve(t, dir, "public", "flush", srv2.replay("protocol\x00queue_flush_protocol\x00\x00", "status\x003\x00\x00"))
	if status, err := c.FlushAdd(context.Background(), "x", "ABC"); err != nil || status != FlushStatBad {
		t.Fatalf("FlushAdd: %d %v", status, err)
	}

	// verify: the reply is read without EXTRA, as verify_clnt does.
	srv3 := &fake{}
	srv3.serve(t, dir, "private", "verify", srv3.replay("protocol\x00address_verification_prrotocol\x00\x00", "status\x004294967294\x00junk\x00x\x00\x00"))
	err = c.VerifyUpdate(context.Background(), "a@b", 7, "x")
	if !errors.As(err, &se) || se.Status != VerifyStatBad {
		t.Fatalf("VerifyUpdate: %v", err)
	}
	if len(w.all()) != 0 {
		t.Errorf("warnings %q", w.all())
	}
}

// TestReplyExtraAttribute: the mail_command_client reply is read with
// STRICT, which warns about an extra attribute but, like stock, still
// counts the status.
func TestReplyExtraAttribute(t *testing.T) {
	c, dir, w, _ := newTestClient(t, Config{})
	srv := &fake{}
	srv.serve(t, dir, "private", "trace", srv.replay("protocol\x00delivery_status_protocol\x00\x00", "status\x000\x00junk\x00x\x00\x00"))
	if err := c.TraceAppend(context.Background(), 0, "ABC", Recipient{}, NoRelay, DSN{}); err != nil {
		t.Fatal(err)
	}
	want := []string{"unexpected attribute junk from private/trace socket (expecting: (list terminator))"}
	if !slices.Equal(w.all(), want) {
		t.Errorf("warnings %q", w.all())
	}
}

func TestTimeout(t *testing.T) {
	c, dir, w, _ := newTestClient(t, Config{Timeout: 100 * time.Millisecond})
	srv := &fake{}
	silent := make(chan struct{})
	srv.serve(t, dir, "private", "trace", func(*testing.T, int, *net.UnixConn) { <-silent })
	t.Cleanup(func() { close(silent) }) // before the server's cleanup waits
	start := time.Now()
	err := c.TraceAppend(context.Background(), 0, "ABC", Recipient{}, NoRelay, DSN{})
	requireError(t, err, OpRead, "read private/trace socket: Connection timed out")
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("took %v", d)
	}
	want := []string{"timeout on private/trace socket while reading input attribute name"}
	if !slices.Equal(w.all(), want) {
		t.Errorf("warnings %q", w.all())
	}
}

func TestContextCancel(t *testing.T) {
	c, dir, _, _ := newTestClient(t, Config{})
	srv := &fake{}
	silent := make(chan struct{})
	srv.serve(t, dir, "private", "trace", func(*testing.T, int, *net.UnixConn) { <-silent })
	t.Cleanup(func() { close(silent) }) // before the server's cleanup waits
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	err := c.TraceAppend(ctx, 0, "ABC", Recipient{}, NoRelay, DSN{})
	requireError(t, err, OpRead, "read private/trace socket: Operation canceled")
	if !errors.Is(err, context.Canceled) {
		t.Errorf("cause %v", err)
	}

	ctx2, cancel2 := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel2()
	err = c.TraceAppend(ctx2, 0, "ABC", Recipient{}, NoRelay, DSN{})
	requireError(t, err, OpRead, "read private/trace socket: Connection timed out")
}

// TestConnectOnce: mail_command_client tries once and says so in its
// own words, with no retry and no pause.
func TestConnectOnce(t *testing.T) {
	c, _, w, s := newTestClient(t, Config{})
	err := c.DeferAppend(context.Background(), 0, "ABC", Recipient{}, DSN{})
	e := requireError(t, err, OpConnect, "connect to private/defer: No such file or directory")
	if e.Fatal || IsFatal(err) || len(s.got) != 0 || len(w.all()) != 0 {
		t.Errorf("fatal %v sleeps %v warnings %q", e.Fatal, s.got, w.all())
	}
	if _, err := c.FlushAdd(context.Background(), "x", "ABC"); err == nil || err.Error() != "connect to public/flush: No such file or directory" {
		t.Errorf("flush: %v", err)
	}
}
