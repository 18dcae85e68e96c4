package tests

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/postfix-go/postfix-go/tests/harness"
)

// Our smtp(8) resolves next-hop names. Without a reachable DNS server
// (loopback only) the test uses disable_dns_lookups = yes: no MX
// lookups, host addresses from the chroot's etc/hosts through the
// native lookup, exactly where stock getaddrinfo() looks.

const sinkHost = "sink.postfix-go.test"

// newDNSInstance starts an instance whose relayhost is the unbracketed
// name relay:PORT (a host lookup), with $spool/etc/hosts naming the sink.
// bin is our smtp, or "" for the stock one.
func newDNSInstance(t *testing.T, bin, relay string) *harness.Instance {
	t.Helper()
	opts := harness.Options{
		NoStart: true,
		MainCF:  map[string]string{"disable_dns_lookups": "yes"},
		// The test relies on the chroot: make sure both transports use it.
		MasterFields: []string{"smtp/unix/chroot=y", "relay/unix/chroot=y"},
	}
	if bin != "" {
		opts.Replace = map[string]string{"smtp": bin}
	}
	in := harness.New(t, opts)
	etc := filepath.Join(in.Spool, "etc")
	if err := os.MkdirAll(etc, 0o755); err != nil {
		t.Fatal(err)
	}
	files := map[string]string{
		"hosts":         "127.0.0.1 localhost\n127.0.0.1 " + sinkHost + "\n",
		"nsswitch.conf": "hosts: files\n",
	}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(etc, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := in.Postconf("-e", fmt.Sprintf("relayhost=%s:%d", relay, in.SinkPort)); err != nil {
		t.Fatal(err)
	}
	if err := in.Start(); err != nil {
		t.Fatal(err)
	}
	return in
}

// TestSMTPHostLookup delivers 20 messages to relayhost = name:port.
func TestSMTPHostLookup(t *testing.T) {
	harness.Require(t)
	const messages = 20
	in := newDNSInstance(t, harness.Daemon(t, "smtp"), sinkHost)
	sink := in.StartSink(t, harness.SinkOptions{})
	in.Inject(t, harness.InjectOptions{Messages: messages, Sessions: 2})
	if err := in.WaitQueueEmpty(deliverTimeout); err != nil {
		t.Fatal(err)
	}
	checkOurSMTP(t, in)
	relay := fmt.Sprintf("%s[127.0.0.1]:%d", sinkHost, in.SinkPort)
	sent := map[string]bool{}
	for _, d := range waitDeliveries(t, in, messages) {
		if d.Status != "sent" || d.Line.Program != "smtp" || d.Relay != relay {
			t.Errorf("unexpected delivery (want relay=%s): %s", relay, d.Line.Raw)
		}
		sent[d.QueueID] = true
	}
	if len(sent) != messages {
		t.Errorf("%d queue ids sent, want %d", len(sent), messages)
	}
	if c, err := sink.Counters(); err != nil || c.Messages != messages {
		t.Errorf("sink counted %+v (err %v), want %d messages", c, err, messages)
	}
	checkNoSMTPProblems(t, in)
}

// TestSMTPUnknownHost: a relayhost name that does not resolve defers
// the mail as a relayhost configuration problem (5.4.4 made 4.3.5), with
// stock's getaddrinfo() text and relay=none.
//
// No stock run here: stock's getaddrinfo() uses the NSS configuration
// and resolv.conf read before the chroot, so for an unknown name it
// would query the host's real name server (observed once:
// "dsn=4.4.4, status=deferred (unable to look up host ...: Temporary
// failure in name resolution)" because that server is unreachable).
func TestSMTPUnknownHost(t *testing.T) {
	harness.Require(t)
	const unknown = "nohost.postfix-go.test"
	in := newDNSInstance(t, harness.Daemon(t, "smtp"), unknown)
	d := deliverOne(t, in, "deferred")
	checkOurSMTP(t, in)
	if _, err := in.WaitLog(`smtp\[\d+\]: warning: relayhost configuration problem`, logTimeout); err != nil {
		t.Errorf("no relayhost warning: %v", err)
	}
	want := "unable to look up host " + unknown + ": Name or service not known"
	if d.DSN != "4.3.5" || d.Relay != "none" || d.Reason != want {
		t.Errorf("deferral %s\nwant relay=none, dsn=4.3.5, status=deferred (%s)", d.Line.Raw, want)
	}
	err := harness.WaitFor(logTimeout, func() (bool, error) {
		q, err := in.Queue()
		return err == nil && len(q) == 1 && q[0].QueueName == "deferred", err
	}, func() string { return "message " + d.QueueID + " not in the deferred queue" })
	if err != nil {
		t.Error(err)
	}
}
