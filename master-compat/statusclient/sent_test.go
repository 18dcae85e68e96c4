package statusclient

import (
	"bytes"
	"context"
	"slices"
	"testing"
)

func TestPlanSent(t *testing.T) {
	ok := DSN{Status: "2.0.0", Action: "relayed", Reason: "250 Ok"}
	for _, tc := range []struct {
		name   string
		flags  int
		notify int
		dsn    DSN
		want   SentPlan
	}{
		{"plain", 0, 0, ok, SentPlan{DSN: ok}},
		{"empty action", 0, 0, DSN{Status: "2.0.0"}, SentPlan{DSN: DSN{Status: "2.0.0", Action: "delivered"}}},
		{"bad status", 0, 0, DSN{Status: "5.0.0", Action: "relayed"},
			SentPlan{DSN: DSN{Status: "2.0.0", Action: "relayed"}, StatusWarning: `sent: ignoring dsn code "5.0.0"`}},
		{"empty status", 0, 0, DSN{Action: "relayed"},
			SentPlan{DSN: DSN{Status: "2.0.0", Action: "relayed"}, StatusWarning: `sent: ignoring dsn code ""`}},
		{"notify success", 0, NotifySuccess, ok, SentPlan{DSN: ok, TraceSuccess: true}},
		{"record", FlagRecord, 0, ok, SentPlan{DSN: ok, TraceRecord: true}},
		{"record and success", FlagRecord, NotifySuccess | NotifyFailure, ok, SentPlan{DSN: ok, TraceRecord: true, TraceSuccess: true}},
		{"delay cleared, no notify", FlagRecDlySent, 0, ok, SentPlan{DSN: ok, TraceRecord: true}},
		{"delay cleared, notify delay", FlagRecDlySent, NotifyDelay, ok, SentPlan{DSN: ok, TraceRecord: true}},
		{"delay cleared, notify failure", FlagRecDlySent, NotifyFailure, ok, SentPlan{DSN: ok}},
		{"delay cleared, notify never", FlagRecDlySent, NotifyNever, ok, SentPlan{DSN: ok}},
		{"mta probe", FlagMTAVrfy | FlagRecord, NotifySuccess, ok,
			SentPlan{DSN: DSN{Status: "2.0.0", Action: "deliverable", Reason: "250 Ok"}, Verify: true}},
		{"user probe", FlagUsrVrfy | FlagRecord, NotifySuccess, ok,
			SentPlan{DSN: DSN{Status: "2.0.0", Action: "deliverable", Reason: "250 Ok"}, UserVerify: true}},
		{"both probes: mta wins", FlagMTAVrfy | FlagUsrVrfy, 0, ok,
			SentPlan{DSN: DSN{Status: "2.0.0", Action: "deliverable", Reason: "250 Ok"}, Verify: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := PlanSent(tc.flags, Recipient{NotifyFlags: tc.notify}, tc.dsn)
			if got != tc.want {
				t.Errorf("got  %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

// TestSent runs the composition against fake trace and verify servers.
func TestSent(t *testing.T) {
	const id = "2A6729841CC"
	const relay = "s3.test[private/lmtpsink]"
	rcpt := Recipient{Original: "ok1@lmtp.test", Address: "ok1@lmtp.test", Offset: 644,
		DSNOrig: "rfc822;ok1@lmtp.test", NotifyFlags: NotifySuccess}
	dsn := DSN{Status: "2.0.0", DiagType: "smtp", DiagText: "250 2.0.0 <ok1@lmtp.test> delivered",
		MTAType: "dns", MTAName: "s3.test", Action: "relayed", Reason: "250 2.0.0 <ok1@lmtp.test> delivered"}
	announce := "protocol\x00delivery_status_protocol\x00\x00"

	t.Run("notify success: the captured trace request", func(t *testing.T) {
		c, dir, w, _ := newTestClient(t, Config{})
		srv := &fake{}
		srv.serve(t, dir, "private", "trace", srv.replay(announce, statusOK))
		res, err := c.Sent(context.Background(), 0, id, rcpt, relay, dsn)
		if err != nil || res.LogStatus != "sent" || res.Defer != nil || res.DSN != dsn {
			t.Fatalf("%+v %v", res, err)
		}
		if got := srv.got(); len(got) != 1 || !bytes.Equal(got[0], fixture(t, "trace-append-relayed.request.bin")) {
			t.Errorf("requests %q", got)
		}
		if len(w.all()) != 0 {
			t.Errorf("warnings %q", w.all())
		}
	})
	t.Run("record and success: two traces", func(t *testing.T) {
		c, dir, _, _ := newTestClient(t, Config{})
		srv := &fake{}
		srv.serve(t, dir, "private", "trace", srv.replay(announce, statusOK))
		if _, err := c.Sent(context.Background(), FlagRecord, id, rcpt, relay, dsn); err != nil {
			t.Fatal(err)
		}
		if got := srv.got(); len(got) != 2 || !bytes.Equal(got[0], got[1]) {
			t.Errorf("requests %q", got)
		}
	})
	t.Run("no trace wanted: no connection", func(t *testing.T) {
		c, _, _, _ := newTestClient(t, Config{})
		r := rcpt
		r.NotifyFlags = 0
		res, err := c.Sent(context.Background(), 0, id, r, relay, dsn)
		if err != nil || res.LogStatus != "sent" {
			t.Fatalf("%+v %v", res, err)
		}
	})
	t.Run("trace fails: defer instead", func(t *testing.T) {
		c, dir, w, _ := newTestClient(t, Config{})
		srv := &fake{}
		srv.serve(t, dir, "private", "trace", srv.replay(announce, statusMinus))
		res, err := c.Sent(context.Background(), FlagRecord, id, rcpt, relay, dsn)
		if err == nil || res.LogStatus != "" || res.Defer == nil {
			t.Fatalf("%+v %v", res, err)
		}
		if res.Defer.Status != "4.3.0" || res.Defer.Reason != id+": trace service failed" {
			t.Errorf("defer DSN %+v", res.Defer)
		}
		if len(srv.got()) != 1 {
			t.Errorf("second trace after a failed first: %d requests", len(srv.got()))
		}
		if want := []string{id + ": trace service failure"}; !slices.Equal(w.all(), want) {
			t.Errorf("warnings %q", w.all())
		}
	})
	t.Run("trace service missing", func(t *testing.T) {
		c, _, w, _ := newTestClient(t, Config{})
		_, err := c.Sent(context.Background(), 0, id, rcpt, relay, dsn)
		if err == nil {
			t.Fatal("no error")
		}
		want := []string{"connect to private/trace: No such file or directory", id + ": trace service failure"}
		if !slices.Equal(w.all(), want) {
			t.Errorf("warnings %q", w.all())
		}
	})
	t.Run("user probe: the captured trace request", func(t *testing.T) {
		c, dir, _, _ := newTestClient(t, Config{})
		srv := &fake{}
		srv.serve(t, dir, "private", "trace", srv.replay(announce, statusOK))
		in := decodeAppend(t, fixture(t, "trace-append.request.bin"))
		d := in.dsn
		d.Reason = "250 2.1.5 Ok"
		d.Action = "whatever the agent said"
		res, err := c.Sent(context.Background(), in.flags, in.queueID, in.rcpt, "127.0.3.2[127.0.3.2]:13026", d)
		if err != nil || res.LogStatus != "deliverable" || res.DSN.Reason != "250 2.1.5 Ok" {
			t.Fatalf("%+v %v", res, err)
		}
		if got := srv.got(); len(got) != 1 || !bytes.Equal(got[0], fixture(t, "trace-append.request.bin")) {
			t.Errorf("requests %q", got)
		}
	})
	t.Run("mta probe: the captured verify update", func(t *testing.T) {
		c, dir, _, _ := newTestClient(t, Config{})
		srv := &fake{}
		srv.serve(t, dir, "private", "verify", srv.replay(verifyAnnounce, statusOK))
		r := Recipient{Original: "vr@example.com", Address: "vr@example.com", Offset: 259, DSNOrig: "rfc822;vr@example.com"}
		d := DSN{Status: "2.1.5", DiagType: "smtp", DiagText: "250 2.1.5 Ok", MTAType: "dns", MTAName: "127.0.3.2", Reason: "250 2.1.5 Ok"}
		res, err := c.Sent(context.Background(), FlagMTAVrfy, "9FD23984125", r, "127.0.3.2[127.0.3.2]:13026", d)
		if err != nil || res.LogStatus != "deliverable" {
			t.Fatalf("%+v %v", res, err)
		}
		if got := srv.got(); len(got) != 1 || !bytes.Equal(got[0], fixture(t, "verify-update.request.bin")) {
			t.Errorf("requests %q", got)
		}
	})
	t.Run("mta probe: verify failure", func(t *testing.T) {
		c, dir, w, _ := newTestClient(t, Config{})
		srv := &fake{}
		srv.serve(t, dir, "private", "verify", srv.replay(verifyAnnounce, "status\x004294967295\x00\x00"))
		_, err := c.Sent(context.Background(), FlagMTAVrfy, "ID1", Recipient{Address: "a@b"}, NoRelay, DSN{Status: "2.0.0"})
		if err == nil {
			t.Fatal("no error")
		}
		if want := []string{"ID1: verify service failure"}; !slices.Equal(w.all(), want) {
			t.Errorf("warnings %q", w.all())
		}
	})
	t.Run("bad status is warned about", func(t *testing.T) {
		c, _, w, _ := newTestClient(t, Config{})
		res, err := c.Sent(context.Background(), 0, id, Recipient{}, NoRelay, DSN{Status: "250"})
		if err != nil || res.DSN.Status != "2.0.0" {
			t.Fatalf("%+v %v", res, err)
		}
		if want := []string{`sent: ignoring dsn code "250"`}; !slices.Equal(w.all(), want) {
			t.Errorf("warnings %q", w.all())
		}
	})
}
