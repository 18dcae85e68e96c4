package statusclient

import (
	"context"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/postfix-go/postfix-go/master-compat/attr"
	"github.com/postfix-go/postfix-go/tests/harness"
)

// The proof that matters: our requests against the stock bounce (as
// bounce, defer and trace), verify and flush daemons of a private
// instance, checked through what those daemons store and log.
// harness.New skips unless root with Postfix installed (and in -short).

const itTimeout = 30 * time.Second

// realInstance starts an instance whose cleanup holds every message
// (so that a submitted message waits in the hold queue for our status
// records) and whose flush service accepts flush.test.
func realInstance(t *testing.T) (*harness.Instance, *Client, *warnings) {
	in := harness.New(t, harness.Options{MainCF: map[string]string{
		"fast_flush_domains": "flush.test",
		"header_checks":      "static:HOLD",
	}})
	w := &warnings{}
	c := New(Config{Dir: in.Spool, Timeout: itTimeout, Warn: w.warn})
	return in, c, w
}

func TestIntegrationFlush(t *testing.T) {
	in, c, w := realInstance(t)
	ctx := context.Background()
	const id = "4A1B2C3D4E"
	for _, tc := range []struct {
		site, id string
		want     int
	}{
		{"flush.test", id, FlushStatOK},        // eligible: logged
		{"elsewhere.test", id, FlushStatDeny},  // not in fast_flush_domains
		{"flush.test", "bad/id", FlushStatBad}, // queue ID refused
	} {
		status, err := c.FlushAdd(ctx, tc.site, tc.id)
		if err != nil || status != tc.want {
			t.Errorf("FlushAdd(%q, %q) = %d, %v; want %d", tc.site, tc.id, status, err, tc.want)
		}
	}
	// flush(8) appends the queue ID to the site's log, named after the
	// site with non-alphanumerics masked.
	b, err := os.ReadFile(filepath.Join(in.Spool, "flush", "flush_test"))
	if err != nil || string(b) != id+"\n" {
		t.Errorf("flush log: %q %v", b, err)
	}
	if _, err := os.Stat(filepath.Join(in.Spool, "flush", "elsewhere_test")); !os.IsNotExist(err) {
		t.Errorf("denied site was logged: %v", err)
	}
	checkLogs(t, in, nil)
	if len(w.all()) != 0 {
		t.Errorf("client warnings %q", w.all())
	}
}

func TestIntegrationVerify(t *testing.T) {
	in, c, w := realInstance(t)
	ctx := context.Background()
	const reason = "250 2.1.5 Ok (statusclient integration)"
	if err := c.VerifyUpdate(ctx, "probe@verify.test", RcptStatOK, reason); err != nil {
		t.Fatal(err)
	}
	// Two updates for a rewritten probe address.
	rcpt := Recipient{Original: "orig@verify.test", Address: "final@verify.test"}
	if word, err := c.VerifyAppend(ctx, rcpt, RcptStatBounce, "undeliverable", "550 5.1.1 no such user"); err != nil || word != "undeliverable" {
		t.Fatalf("VerifyAppend: %q %v", word, err)
	}
	for addr, want := range map[string]verifyEntry{
		"probe@verify.test": {RcptStatOK, reason},
		"orig@verify.test":  {RcptStatBounce, "550 5.1.1 no such user"},
		"final@verify.test": {RcptStatBounce, "550 5.1.1 no such user"},
	} {
		if got := verifyQuery(t, in.Spool, addr); got != want {
			t.Errorf("verify(8) has %s as %+v, want %+v", addr, got, want)
		}
	}

	// A status verify(8) does not know: it answers VRFY_STAT_BAD and
	// logs why; a completed exchange, so no retry.
	err := c.VerifyUpdate(ctx, "bad@verify.test", 7, "x")
	var se *StatusError
	if !errors.As(err, &se) || se.Status != VerifyStatBad {
		t.Errorf("bad status: %v", err)
	}

	// The strict announcement check against a real server of the wrong
	// kind: verify pointed at the defer service.
	wrong := New(Config{Dir: in.Spool, Timeout: itTimeout, VerifyService: "defer",
		VerifyExchange: Retry{Attempts: 1}, Warn: w.warn})
	err = wrong.VerifyUpdate(ctx, "x@verify.test", RcptStatOK, "x")
	requireError(t, err, OpVerify, "problem talking to service defer: Application error")
	want := []string{
		"unexpected protocol delivery_status_protocol from private/defer socket (expected: address_verification_prrotocol)",
		"problem talking to service defer: Application error",
	}
	if !slices.Equal(w.all(), want) {
		t.Errorf("client warnings %q", w.all())
	}
	checkLogs(t, in, []string{
		`^warning: bad recipient status 7 for recipient bad@verify\.test$`,
		// bounce(8) reads our silence after the announcement as a bad request.
		`^warning: malformed request$`,
	})
}

// TestIntegrationQueueFile: a message held in the queue, then defer,
// trace and bounce records for it, read back the ways Postfix reads them.
func TestIntegrationQueueFile(t *testing.T) {
	in, c, w := realInstance(t)
	ctx := context.Background()
	id := submitHeld(t, in, "rcpt@example.com")

	rcpt := Recipient{Original: "rcpt@example.com", Address: "rcpt@example.com",
		DSNOrig: "rfc822;rcpt@example.com"}
	const deferReason = "connect to 192.0.2.1[192.0.2.1]:25: Connection refused (statusclient)"
	if err := c.DeferAppend(ctx, 0, id, rcpt, DSN{Status: "4.4.1", Action: "delayed", Reason: deferReason}); err != nil {
		t.Fatal(err)
	}
	remote := DSN{Status: "5.1.1", DiagType: "smtp", DiagText: "550 5.1.1 <rcpt@example.com>: unknown",
		MTAType: "dns", MTAName: "mx.example.com", Action: "failed",
		Reason: "host mx.example.com[192.0.2.2] said: 550 5.1.1 <rcpt@example.com>: unknown (in reply to RCPT TO command)"}
	if err := c.BounceAppend(ctx, 0, id, rcpt, remote); err != nil {
		t.Fatal(err)
	}
	ok := DSN{Status: "2.0.0", Action: "delivered", Reason: "250 2.0.0 Ok"}
	if err := c.TraceAppend(ctx, FlagRecord, id, rcpt, "mx.example.com[192.0.2.2]:25", ok); err != nil {
		t.Fatal(err)
	}

	// The logfiles bounce(8) wrote (defer is hashed by queue ID). Each
	// record starts with the pre-2.3 "<addr>: reason" line
	// (backwards_bounce_logfile_compatibility = yes).
	checkLogfile(t, in.Spool, "defer", id, "<rcpt@example.com>: "+deferReason+"\nrecipient=rcpt@example.com\ndsn_orig_rcpt=rfc822;rcpt@example.com\nstatus=4.4.1\naction=delayed\nreason="+deferReason+"\n")
	checkLogfile(t, in.Spool, "bounce", id, "<rcpt@example.com>: "+remote.Reason+"\nrecipient=rcpt@example.com\ndsn_orig_rcpt=rfc822;rcpt@example.com\nstatus=5.1.1\naction=failed\n"+
		"diag_type=smtp\ndiag_text=550 5.1.1 <rcpt@example.com>: unknown\nmta_type=dns\nmta_mname=mx.example.com\nreason="+remote.Reason+"\n")
	checkLogfile(t, in.Spool, "trace", id, "<rcpt@example.com>: delivery via mx.example.com[192.0.2.2]:25: 250 2.0.0 Ok\nrecipient=rcpt@example.com\ndsn_orig_rcpt=rfc822;rcpt@example.com\nstatus=2.0.0\naction=delivered\n"+
		"reason=delivery via mx.example.com[192.0.2.2]:25: 250 2.0.0 Ok\n")

	// showq (postqueue -j) reads the defer logfile: our reason is the
	// held message's delay reason.
	q, err := in.Queue()
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(q, func(e harness.QueueEntry) bool { return e.QueueID == id })
	if i < 0 || q[i].QueueName != "hold" || len(q[i].Recipients) != 1 ||
		q[i].Recipients[0].Address != "rcpt@example.com" || q[i].Recipients[0].DelayReason != deferReason {
		t.Errorf("postqueue -j: %+v", q)
	}

	// A status other than 0 from the real service: a malformed queue ID.
	err = c.DeferAppend(ctx, 0, "bad/id", rcpt, DSN{Status: "4.0.0", Action: "delayed", Reason: "x"})
	var se *StatusError
	if !errors.As(err, &se) || se.Status != -1 {
		t.Errorf("malformed queue id: %v", err)
	}
	checkLogs(t, in, []string{`^warning: malformed queue id: bad/id$`})
	if len(w.all()) != 0 {
		t.Errorf("client warnings %q", w.all())
	}
}

// submitHeld submits a message with sendmail(1) and returns its queue ID
// once cleanup(8) has put it in the hold queue.
func submitHeld(t *testing.T, in *harness.Instance, to string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), itTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "sendmail", "-C", in.ConfigDir, "-f", "sender@vm.example", "-i", to)
	cmd.Stdin = strings.NewReader("Subject: statusclient integration\n\nbody\n")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("sendmail: %v: %s", err, out)
	}
	var id string
	err := harness.WaitFor(itTimeout, func() (bool, error) {
		ids, err := queueFiles(filepath.Join(in.Spool, "hold"))
		if len(ids) == 1 {
			id = ids[0]
		}
		return len(ids) == 1, err
	}, func() string { return "no message in the hold queue" })
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// queueFiles lists the queue IDs below a queue directory.
func queueFiles(dir string) ([]string, error) {
	var ids []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			ids = append(ids, d.Name())
		}
		return err
	})
	return ids, err
}

// checkLogfile compares one bounce-service logfile with the record
// bounce_append_service writes for our request.
func checkLogfile(t *testing.T, spool, queue, id, record string) {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(spool, queue, "*", id))
	if err == nil && len(paths) == 0 {
		paths, err = filepath.Glob(filepath.Join(spool, queue, id))
	}
	if err != nil || len(paths) != 1 {
		t.Errorf("%s logfile for %s: %v %v", queue, id, paths, err)
		return
	}
	b, err := os.ReadFile(paths[0])
	if want := "\n" + record + "\n"; err != nil || string(b) != want {
		t.Errorf("%s logfile:\n got %q\nwant %q (%v)", queue, b, want, err)
	}
}

// checkLogs requires that each of the wanted patterns matches a warning
// (or worse) in the maillog, and that every such line matches one of
// them. postlogd writes asynchronously, so the wanted lines are waited for.
func checkLogs(t *testing.T, in *harness.Instance, wanted []string) {
	t.Helper()
	res := make([]*regexp.Regexp, len(wanted))
	for i, w := range wanted {
		res[i] = regexp.MustCompile(w)
		_, err := in.WaitLogSince(0, func(l harness.LogLine) bool {
			return l.Severity() != "" && res[i].MatchString(l.Text)
		}, itTimeout)
		if err != nil {
			t.Errorf("maillog: %v", err)
		}
	}
	lines, err := in.LogLines()
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range lines.Problems() {
		if !slices.ContainsFunc(res, func(re *regexp.Regexp) bool { return re.MatchString(l.Text) }) {
			t.Errorf("unexpected maillog line: %s", l.Raw)
		}
	}
}

// verifyEntry is what verify(8) answers to a query.
type verifyEntry struct {
	status int
	reason string
}

// verifyQuery asks verify(8) what it stored for addr (verify_clnt_query's
// request; stock clients use it before probing). Only addresses we
// updated are queried: an unknown one would make verify send a probe.
func verifyQuery(t *testing.T, spool, addr string) verifyEntry {
	t.Helper()
	conn, err := net.DialTimeout("unix", filepath.Join(spool, "private", "verify"), itTimeout)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(itTimeout))
	sc := attr.NewScanner(conn, "private/verify socket", func(s string) { t.Error(s) })
	if n, err := sc.Scan(attr.Strict, attr.Expect("protocol", ProtoVerify)); err != nil || n != 0 {
		t.Fatalf("announcement: %d %v", n, err)
	}
	if _, err := conn.Write(new(attr.List).Str("request", "query").Str("address", addr).Bytes()); err != nil {
		t.Fatal(err)
	}
	var status int
	var e verifyEntry
	if n, err := sc.Scan(attr.Strict, attr.Int("status", &status), attr.Int("recipient_status", &e.status), attr.Str("reason", &e.reason)); err != nil || n != 3 || status != VerifyStatOK {
		t.Fatalf("query %s: %d %v status %d", addr, n, err, status)
	}
	return e
}
