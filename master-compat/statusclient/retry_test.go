package statusclient

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"testing"
	"time"
)

const verifyAnnounce = "protocol\x00address_verification_prrotocol\x00\x00"

// TestVerifyConnectWait: mail_connect_wait warns after each of the first
// ten failures, pauses 10 s each time, and is fatal on the 11th.
func TestVerifyConnectWait(t *testing.T) {
	c, _, w, s := newTestClient(t, Config{})
	err := c.VerifyUpdate(context.Background(), "a@b", RcptStatOK, "ok")
	e := requireError(t, err, OpConnect, "connect #11 to subsystem private/verify: No such file or directory")
	if !e.Fatal || !IsFatal(err) {
		t.Error("not fatal")
	}
	var want []string
	for i := 1; i <= 10; i++ {
		want = append(want, fmt.Sprintf("connect #%d to subsystem private/verify: No such file or directory", i))
	}
	if !slices.Equal(w.all(), want) {
		t.Errorf("warnings %q", w.all())
	}
	if len(s.got) != 10 || slices.ContainsFunc(s.got, func(d time.Duration) bool { return d != 10*time.Second }) {
		t.Errorf("sleeps %v", s.got)
	}
}

// TestVerifyConnectRecovers: the server appears during the second pause.
func TestVerifyConnectRecovers(t *testing.T) {
	c, dir, w, s := newTestClient(t, Config{})
	srv := &fake{}
	s.hook = func(n int) {
		if n == 2 {
			srv.serve(t, dir, "private", "verify", srv.replay(verifyAnnounce, statusOK))
		}
	}
	if err := c.VerifyUpdate(context.Background(), "a@b", RcptStatOK, "ok"); err != nil {
		t.Fatal(err)
	}
	if len(w.all()) != 2 || len(s.got) != 2 || len(srv.got()) != 1 {
		t.Errorf("warnings %q sleeps %v requests %q", w.all(), s.got, srv.got())
	}
}

// TestCommandConnectPolicy: the one-attempt policy of bounce & co. can be
// replaced by a mail_connect_wait-style one.
func TestCommandConnectPolicy(t *testing.T) {
	c, _, w, s := newTestClient(t, Config{CommandConnect: Retry{Attempts: 3, Delay: 2 * time.Second}})
	err := c.BounceAppend(context.Background(), 0, "ABC", Recipient{}, DSN{})
	requireError(t, err, OpConnect, "connect #3 to subsystem private/bounce: No such file or directory")
	if !IsFatal(err) || len(w.all()) != 2 || !slices.Equal(s.got, []time.Duration{2 * time.Second, 2 * time.Second}) {
		t.Errorf("fatal %v warnings %q sleeps %v", IsFatal(err), w.all(), s.got)
	}
}

// TestConnectWaitCancelled: a context that ends during the pauses ends
// the wait without the fatal flag.
func TestConnectWaitCancelled(t *testing.T) {
	c, _, _, s := newTestClient(t, Config{})
	ctx, cancel := context.WithCancel(context.Background())
	s.hook = func(n int) {
		if n == 3 {
			cancel()
		}
	}
	err := c.VerifyUpdate(ctx, "a@b", RcptStatOK, "ok")
	// The connect error comes back inside verify's "problem talking".
	var e *Error
	if IsFatal(err) || !errors.As(errors.Unwrap(err), &e) || e.Op != OpConnect || e.Attempt != 3 || len(s.got) != 3 {
		t.Fatalf("error %v sleeps %v", err, s.got)
	}
}

// TestVerifyExchangeRetry: verify_clnt_update repeats a failed exchange
// on a new connection after a second, warning in between.
func TestVerifyExchangeRetry(t *testing.T) {
	c, dir, w, s := newTestClient(t, Config{})
	srv := &fake{}
	good := srv.replay(verifyAnnounce, statusOK)
	srv.serve(t, dir, "private", "verify", func(t *testing.T, n int, conn *net.UnixConn) {
		switch n {
		case 1: // wrong announcement: stock's errno is cleared, "Application error"
			conn.Write([]byte(string(fixture(t, "delivery-status-announce.bin"))))
		case 2: // reads the request, closes without a reply
			conn.Write([]byte(verifyAnnounce))
			srv.read(conn)
		default:
			good(t, n, conn)
		}
	})
	if err := c.VerifyUpdate(context.Background(), "vr@example.com", RcptStatOK, "250 2.1.5 Ok"); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"unexpected protocol delivery_status_protocol from private/verify socket (expected: address_verification_prrotocol)",
		"problem talking to service verify: Application error",
		"problem talking to service verify: Application error",
	}
	if !slices.Equal(w.all(), want) {
		t.Errorf("warnings %q", w.all())
	}
	if !slices.Equal(s.got, []time.Duration{time.Second, time.Second}) {
		t.Errorf("sleeps %v", s.got)
	}
	req := fixture(t, "verify-update.request.bin")
	if got := srv.got(); len(got) != 2 || !bytes.Equal(got[0], req) || !bytes.Equal(got[1], req) {
		t.Errorf("requests %q", got)
	}
}

// TestVerifyExchangeLimit: a bounded exchange policy gives up with the
// last "problem talking" error.
func TestVerifyExchangeLimit(t *testing.T) {
	c, dir, w, s := newTestClient(t, Config{VerifyExchange: Retry{Attempts: 2}})
	srv := &fake{}
	srv.serve(t, dir, "private", "verify", func(*testing.T, int, *net.UnixConn) {})
	err := c.VerifyUpdate(context.Background(), "a@b", RcptStatOK, "ok")
	requireError(t, err, OpVerify, "problem talking to service verify: Application error")
	if len(w.all()) != 2 || len(s.got) != 1 {
		t.Errorf("warnings %q sleeps %v", w.all(), s.got)
	}
}

// TestVerifyQuietErrnos: the verify client does not warn for EPIPE and
// ENOENT. A one-attempt connect policy makes a missing socket (ENOENT)
// reach the exchange loop, which retries it silently.
func TestVerifyQuietErrnos(t *testing.T) {
	c, _, w, s := newTestClient(t, Config{VerifyConnect: Retry{Attempts: 1}, VerifyExchange: Retry{Attempts: 3}})
	err := c.VerifyUpdate(context.Background(), "a@b", RcptStatOK, "ok")
	requireError(t, err, OpVerify, "problem talking to service verify: No such file or directory")
	if IsFatal(err) || len(w.all()) != 0 || len(s.got) != 2 {
		t.Errorf("fatal %v warnings %q sleeps %v", IsFatal(err), w.all(), s.got)
	}
	broken := &Error{Op: OpVerify, Path: "verify", Err: &Error{Op: OpWrite, Err: epipe}}
	if broken.errno() != epipe || broken.Error() != "problem talking to service verify: Broken pipe" {
		t.Errorf("%q", broken.Error())
	}
}

// TestVerifyAppend: one probe result becomes one or two updates.
func TestVerifyAppend(t *testing.T) {
	req := func(addr string, st int, why string) []byte { return verifyUpdateRequest(addr, st, why).Bytes() }
	for _, tc := range []struct {
		name    string
		noNeg   bool
		rcpt    Recipient
		status  int
		want    [][]byte
		logWord string
	}{
		{"same address", false, Recipient{Original: "a@x", Address: "a@x"}, RcptStatOK,
			[][]byte{req("a@x", 0, "why")}, "deliverable"},
		{"rewritten", false, Recipient{Original: "a@x", Address: "b@y"}, RcptStatBounce,
			[][]byte{req("a@x", 2, "why"), req("b@y", 2, "why")}, "deliverable"},
		{"no original", false, Recipient{Address: "b@y"}, RcptStatDefer,
			[][]byte{req("b@y", 1, "why")}, "deliverable"},
		{"not cached", true, Recipient{Original: "a@x", Address: "b@y"}, RcptStatDefer,
			nil, "undeliverable-but-not-cached"},
		{"ok without negative cache", true, Recipient{Original: "a@x", Address: "a@x"}, RcptStatOK,
			[][]byte{req("a@x", 0, "why")}, "deliverable"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, dir, _, _ := newTestClient(t, Config{NoNegativeCache: tc.noNeg})
			srv := &fake{}
			srv.serve(t, dir, "private", "verify", srv.replay(verifyAnnounce, statusOK))
			word, err := c.VerifyAppend(context.Background(), tc.rcpt, tc.status, "deliverable", "why")
			if err != nil || word != tc.logWord {
				t.Fatalf("%q %v", word, err)
			}
			if got := srv.got(); !slices.EqualFunc(got, tc.want, bytes.Equal) {
				t.Errorf("requests %q, want %q", got, tc.want)
			}
		})
	}
}
