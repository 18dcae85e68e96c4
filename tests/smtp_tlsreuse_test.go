package tests

import (
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/postfix-go/postfix-go/tests/harness"
)

// TLS connection reuse through tlsproxy(8) with our smtp(8): every TLS
// session goes through private/tlsproxy, the smtp side of it is cached
// in scache, and later deliveries (any smtp process) reuse it. The
// receiving instance is stock smtpd with STARTTLS relaying to a
// recording sink; the pairings not tested elsewhere are our smtp with
// the stock tlsproxy and with ours (stock smtp with our tlsproxy is
// tlsproxy_client_test.go).

// tlsReuseCase is one sender configuration.
type tlsReuseCase struct {
	name            string
	ourProxy        bool
	ourScache       bool
	messages        int
	trust           string            // summary word expected from smtp
	settings        map[string]string // sender main.cf on top of the defaults
	policyForTarget string            // policy entry for the sink, if any
}

func TestSMTPTLSReuse(t *testing.T) {
	harness.Require(t)
	// One receiving instance for all cases: stock smtpd offering
	// STARTTLS with a certificate from a private CA, relaying to a sink
	// that keeps every message.
	recv := harness.New(t, harness.Options{NoStart: true})
	certs := harness.MakeTestCerts(t, recv.Dir, "mx.test.example")
	if _, err := recv.Postconf("-e", "smtpd_tls_security_level=may",
		"smtpd_tls_cert_file="+certs.CertFile, "smtpd_tls_key_file="+certs.KeyFile); err != nil {
		t.Fatal(err)
	}
	if err := recv.Start(); err != nil {
		t.Fatal(err)
	}
	sink := recv.StartSink(t, harness.SinkOptions{Save: true})
	target := fmt.Sprintf("[127.0.0.1]:%d", recv.SMTPDPort)
	for _, c := range []tlsReuseCase{
		{name: "stock-tlsproxy", messages: 500, trust: "Trusted",
			settings: map[string]string{"smtp_tls_security_level": "encrypt", "smtp_tls_connection_reuse": "yes"}},
		{name: "our-tlsproxy-our-scache", ourProxy: true, ourScache: true, messages: 500, trust: "Trusted",
			settings: map[string]string{"smtp_tls_security_level": "encrypt", "smtp_tls_connection_reuse": "yes"}},
		// connection_reuse from a policy entry, at a level that puts
		// the next-hop into the endpoint label.
		{name: "our-tlsproxy-verify", ourProxy: true, messages: 100, trust: "Verified",
			settings:        map[string]string{"smtp_tls_security_level": "may"},
			policyForTarget: "verify match=mx.test.example connection_reuse=yes"},
	} {
		t.Run(c.name, func(t *testing.T) { testTLSReuse(t, c, target, certs.CAFile, sink) })
	}
}

func testTLSReuse(t *testing.T, c tlsReuseCase, target, caFile string, sink *harness.Sink) {
	cf := map[string]string{
		"relayhost":                          target,
		"smtp_tls_CAfile":                    caFile,
		"smtp_tls_loglevel":                  "1",
		"smtp_connection_cache_destinations": "127.0.0.1",
	}
	for k, v := range c.settings {
		cf[k] = v
	}
	if c.policyForTarget != "" {
		cf["smtp_tls_policy_maps"] = "inline:{ { " + target + " = " + c.policyForTarget + " } }"
	}
	opts := harness.Options{MainCF: cf, MasterEntries: []string{harness.TLSProxyEntry},
		Replace: map[string]string{"smtp": harness.Daemon(t, "smtp")}}
	if c.ourProxy {
		opts.Replace["tlsproxy"] = harness.Daemon(t, "tlsproxy")
	}
	if c.ourScache {
		opts.Replace["scache"] = harness.Daemon(t, "scache")
	}
	send := harness.New(t, opts)
	send.Inject(t, harness.InjectOptions{Messages: c.messages, Sessions: 8})
	if c.ourProxy {
		// While the mail flows: tlsproxy may run as several processes
		// and leaves when idle, so requireDaemon does not fit.
		requireOurs(t, send, "tlsproxy")
	}
	if err := send.WaitQueueEmpty(time.Minute); err != nil {
		t.Fatal(err)
	}
	ds := waitDeliveries(t, send, c.messages)
	reused := checkTLSReuseOnce(t, ds, sink, c.messages)
	lines, err := send.LogLines()
	if err != nil {
		t.Fatal(err)
	}
	smtp := lines.Program("smtp")
	namaddr := regexp.QuoteMeta(strings.Trim(strings.Split(target, "]")[0], "[")) // 127.0.0.1
	// Stock tlsproxy (OpenSSL) picks AES-256, ours (Go) AES-128; a
	// resumed handshake has no server digest.
	sum := fmt.Sprintf(` TLS connection %%s to %s\[%s\]:%s: TLSv1\.3 with cipher TLS_AES_\d+_GCM_SHA\d+ \(\d+/\d+ bits\) key-exchange X25519 server-signature RSA-PSS \(2048 bits\)( server-digest SHA256)?$`,
		namaddr, namaddr, strings.Split(target, ":")[1])
	est := smtp.Match("^" + c.trust + fmt.Sprintf(sum, "established"))
	use := smtp.Match("^" + c.trust + fmt.Sprintf(sum, "reused"))
	tp := lines.Program("tlsproxy")
	conns := tp.Match(`^CONNECT to \[127\.0\.0\.1\]:\d+$`)
	t.Logf("%d deliveries, %d with conn_use >= 2; smtp: %d established, %d reused; tlsproxy: %d CONNECT",
		len(ds), reused, len(est), len(use), len(conns))
	if reused == 0 {
		t.Error("no delivery reused a cached TLS connection (conn_use >= 2)")
	}
	if len(est) == 0 || len(use) == 0 {
		t.Errorf("smtp logged %d established and %d reused TLS summaries, want both", len(est), len(use))
	} else {
		t.Logf("%s\n%s", est[0].Raw, use[0].Raw)
	}
	// Every TLS session was a tlsproxy one, and each one logged its
	// summary in smtp once, whether stock's or ours did the handshake.
	if len(conns) != len(est) {
		t.Errorf("tlsproxy made %d connections, smtp logged %d established", len(conns), len(est))
	}
	if p := smtp.Problems(); len(p) > 0 {
		t.Errorf("smtp problems:\n%s", p)
	}
	serverOff := func(l harness.LogLine) bool { return !strings.Contains(l.Text, "TLS server role is disabled") }
	if p := tp.Problems().Filter(serverOff); len(p) > 0 {
		t.Errorf("tlsproxy problems:\n%s", p)
	}
	checkNoScacheProblems(t, lines)
}

// requireOurs checks that every running process of program is our
// binary, and that there is one.
func requireOurs(t *testing.T, in *harness.Instance, program string) {
	t.Helper()
	pids, err := in.WaitPIDs(program, procTimeout)
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.Stat(in.DaemonPath(program))
	if err != nil {
		t.Fatal(err)
	}
	for _, pid := range pids {
		if exe, err := os.Stat(fmt.Sprintf("/proc/%d/exe", pid)); err == nil && !os.SameFile(exe, want) {
			t.Fatalf("%s pid %d does not run %s", program, pid, in.DaemonPath(program))
		}
	}
}

// sinkQueueIDRE finds the sender's queue id in the Received header the
// sender's smtpd added (plain SMTP from smtp-source); the one on top is
// the relaying instance's (ESMTPS).
var sinkQueueIDRE = regexp.MustCompile(`(?m)^\s+by \S+ \(Postfix\) with SMTP id ([0-9A-Za-z]+)`)

// checkTLSReuseOnce asserts exactly-once delivery through the relaying
// instance: one status=sent line per queue id, and one message at the
// sink per queue id. It returns how many deliveries reused a session.
func checkTLSReuseOnce(t *testing.T, ds []harness.Delivery, sink *harness.Sink, messages int) int {
	t.Helper()
	sent := map[string]int{}
	reused := 0
	for _, d := range ds {
		if d.Status != "sent" || d.Line.Program != "smtp" {
			t.Errorf("unexpected delivery: %s", d.Line.Raw)
		}
		sent[d.QueueID]++
		if d.ConnUse >= 2 {
			reused++
		}
	}
	if len(sent) != messages {
		t.Errorf("%d queue ids delivered, want %d", len(sent), messages)
	}
	got := map[string]int{}
	err := harness.WaitFor(logTimeout, func() (bool, error) {
		msgs, err := sink.Messages()
		got = map[string]int{}
		for _, m := range msgs {
			if sm := sinkQueueIDRE.FindStringSubmatch(m.Content); sm != nil && sent[sm[1]] > 0 {
				got[sm[1]]++
			}
		}
		return len(got) >= len(sent), err
	}, func() string { return fmt.Sprintf("sink has %d of %d messages", len(got), len(sent)) })
	if err != nil {
		t.Fatal(err)
	}
	for id, n := range sent {
		if n != 1 || got[id] != 1 {
			t.Errorf("queue id %s: %d sent lines, %d messages at the sink", id, n, got[id])
		}
	}
	return reused
}
