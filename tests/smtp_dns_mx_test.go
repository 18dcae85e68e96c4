package tests

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/postfix-go/postfix-go/tests/dnstest"
	"github.com/postfix-go/postfix-go/tests/harness"
)

// MX resolution by OUR smtp(8) against a loopback DNS server
// (tests/dnstest). relayhost = "example.test:PORT" is a domain next-hop:
// smtp looks up its MX records and uses PORT for every MX host (spec
// §6.1). The stock smtp never runs in these tests: it would query the
// real resolver in /etc/resolv.conf (harness.NewDNS enforces this).

const mxZone = "example.test"

var mxRecords = []string{
	"example.test. 60 IN MX 10 mx1.example.test.",
	"example.test. 60 IN MX 20 mx2.example.test.",
	"mx1.example.test. 60 IN A 127.0.0.11",
	"mx2.example.test. 60 IN A 127.0.0.12",
	// Equal preference: the address list is shuffled (spec §6.3 step 7).
	"spread.example.test. 60 IN MX 10 a.spread.example.test.",
	"spread.example.test. 60 IN MX 10 b.spread.example.test.",
	"a.spread.example.test. 60 IN A 127.0.0.21",
	"b.spread.example.test. 60 IN A 127.0.0.22",
}

// newMXInstance starts an instance whose relayhost is domain:SinkPort,
// resolved by our smtp through srv. extra overrides main.cf settings.
func newMXInstance(t *testing.T, srv *dnstest.Server, domain string, extra map[string]string) *harness.Instance {
	t.Helper()
	mainCF := map[string]string{
		"inet_protocols": "ipv4",
		// DNS on for smtp(8) only (it overrides the harness default
		// disable_dns_lookups = yes, which stays in force for every
		// other daemon), and only DNS for addresses: a native
		// (getaddrinfo style) lookup would bypass the test server.
		"smtp_dns_support_level": "enabled",
		"smtp_host_lookup":       "dns",
		// A cached session would skip the MX walk: every delivery must
		// resolve and connect afresh.
		"smtp_connection_cache_on_demand": "no",
	}
	for k, v := range extra {
		mainCF[k] = v
	}
	in := harness.NewDNS(t, srv.IP, harness.Options{
		NoStart: true,
		Replace: map[string]string{"smtp": harness.Daemon(t, "smtp")},
		MainCF:  mainCF,
	})
	if _, err := in.Postconf("-e", fmt.Sprintf("relayhost=%s:%d", domain, in.SinkPort)); err != nil {
		t.Fatal(err)
	}
	if err := in.Start(); err != nil {
		t.Fatal(err)
	}
	return in
}

// injectNull injects n messages with the null sender, so that a bounce
// creates no second message to confuse the counts.
func injectNull(t *testing.T, in *harness.Instance, n int) {
	t.Helper()
	in.Inject(t, harness.InjectOptions{Messages: n, Sessions: min(n, 4), Args: []string{"-f", ""}})
}

func firstID(msgs []harness.SinkMessage) string {
	if len(msgs) == 0 {
		return "none"
	}
	return msgs[0].QueueID
}

// checkQueries asserts that srv saw only questions inside its zone, and
// exactly the (name, type) pairs in want.
func checkQueries(t *testing.T, srv *dnstest.Server, want ...string) {
	t.Helper()
	got := map[string]bool{}
	for _, q := range srv.Queries() {
		if !srv.InZone(q.Name) {
			t.Errorf("DNS query outside the test zone: %s", q)
		}
		got[q.Name+"/"+q.Type] = true
	}
	keys := make([]string, 0, len(got))
	for k := range got {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	slices.Sort(want)
	if !slices.Equal(keys, want) {
		t.Errorf("DNS questions %v, want %v", keys, want)
	}
}

// TestSMTPDNSMXFailover: soft trouble at the primary MX (no listener,
// 4xx greeting, 4xx RCPT) sends the mail on to the backup MX; a hard
// RCPT reject bounces at once and the backup is never contacted.
func TestSMTPDNSMXFailover(t *testing.T) {
	harness.Require(t)
	srv := dnstest.Start(t, []string{mxZone}, mxRecords...)
	in := newMXInstance(t, srv, mxZone, nil)
	const (
		mx1      = `mx1\.example\.test\[127\.0\.0\.11\]`
		mx1Relay = "mx1.example.test[127.0.0.11]"
		mx2Relay = "mx2.example.test[127.0.0.12]"
	)
	for _, c := range []struct {
		name    string
		mx1Args []string // smtp-sink options at mx1; nil: nothing listens
		mx1Log  string   // info line about mx1; ID and PORT are substituted
		status  string
		relay   string // host[addr] in the delivery line
		dsn     string // DSN class
	}{
		{"refused", nil, `^connect to ` + mx1 + `:PORT: Connection refused$`, "sent", mx2Relay, "2"},
		{"greeting4xx", []string{"-r", "CONNECT"}, `^ID: host ` + mx1 + ` refused to talk to me: 4\d\d `, "sent", mx2Relay, "2"},
		{"rcpt4xx", []string{"-r", "RCPT"}, `^ID: host ` + mx1 + ` said: 4\d\d .*\(in reply to RCPT TO command\)$`, "sent", mx2Relay, "2"},
		{"rcpt5xx", []string{"-f", "RCPT"}, "", "bounced", mx1Relay, "5"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var sink1 *harness.Sink
			if c.mx1Args != nil {
				sink1 = in.StartSinkAt(t, "127.0.0.11", harness.SinkOptions{Args: c.mx1Args})
			}
			sink2 := in.StartSinkAt(t, "127.0.0.12", harness.SinkOptions{Save: true})
			mark := in.LogMark()
			injectNull(t, in, 1)
			// A soft failure at a non-final MX is not a delivery line,
			// so the first one is the outcome.
			l, err := in.WaitLogSince(mark, func(l harness.LogLine) bool {
				_, ok := harness.ParseDelivery(l)
				return ok && l.Program == "smtp"
			}, logTimeout)
			if err != nil {
				t.Fatal(err)
			}
			checkOurSMTP(t, in)
			d, _ := harness.ParseDelivery(l)
			port := fmt.Sprint(in.SinkPort)
			relay := c.relay + ":" + port
			if d.Status != c.status || d.Relay != relay || !strings.HasPrefix(d.DSN, c.dsn+".") {
				t.Errorf("delivery %s\nwant status=%s relay=%s", l.Raw, c.status, relay)
			}
			// The agent replied to qmgr once the message is removed:
			// whatever it did at mx2 for this request is over.
			if _, err := in.WaitLogSince(mark, func(l harness.LogLine) bool {
				return l.Program == "qmgr" && l.Text == d.QueueID+": removed"
			}, logTimeout); err != nil {
				t.Fatal(err)
			}
			lines, err := in.LogLinesSince(mark)
			if err != nil {
				t.Fatal(err)
			}
			if c.mx1Log != "" {
				re := strings.NewReplacer("ID", d.QueueID, "PORT", port).Replace(c.mx1Log)
				info := lines.Program("smtp").Match(re)
				if len(info) != 1 || info[0].Offset > l.Offset {
					t.Errorf("want one line /%s/ before the delivery line; smtp logged:\n%s", re, lines.Program("smtp"))
				}
			}
			if n := len(lines.Deliveries()); n != 1 {
				t.Errorf("%d delivery lines for one message, want 1:\n%s", n, lines)
			}
			c2, err := sink2.Counters()
			if err != nil {
				t.Fatal(err)
			}
			if c.status == "bounced" {
				if c2.Sessions != 0 {
					t.Errorf("mx2 saw %d sessions after a 5xx at mx1, want none", c2.Sessions)
				}
			} else {
				if err := sink2.WaitMessages(1, logTimeout); err != nil {
					t.Fatal(err)
				}
				msgs, err := sink2.Messages()
				if err != nil {
					t.Fatal(err)
				}
				if len(msgs) != 1 || msgs[0].QueueID != d.QueueID {
					t.Errorf("mx2 got %d messages (first: %s), want exactly queue id %s", len(msgs), firstID(msgs), d.QueueID)
				}
			}
			if sink1 != nil {
				if c1, err := sink1.Counters(); err != nil || c1.Messages != 0 {
					t.Errorf("mx1 counted %+v (err %v), want no message", c1, err)
				}
			}
		})
	}
	checkQueries(t, srv, "example.test/MX", "mx1.example.test/A", "mx2.example.test/A")
	checkNoSMTPProblems(t, in)
}

// TestSMTPDNSQueryTypes: address lookups use A, and AAAA only when
// inet_protocols includes IPv6 (spec §6.3 step 4); MX only for the
// domain. Nothing outside the zone is ever asked.
func TestSMTPDNSQueryTypes(t *testing.T) {
	harness.Require(t)
	for _, c := range []struct {
		protocols string
		types     []string
	}{
		{"ipv4", []string{"A"}},
		{"all", []string{"A", "AAAA"}},
	} {
		t.Run(c.protocols, func(t *testing.T) {
			srv := dnstest.Start(t, []string{mxZone}, mxRecords...)
			in := newMXInstance(t, srv, mxZone, map[string]string{"inet_protocols": c.protocols})
			in.StartSinkAt(t, "127.0.0.12", harness.SinkOptions{})
			injectNull(t, in, 1)
			if err := in.WaitQueueEmpty(deliverTimeout); err != nil {
				t.Fatal(err)
			}
			checkOurSMTP(t, in)
			for _, d := range waitDeliveries(t, in, 1) {
				if d.Status != "sent" || !strings.HasPrefix(d.Relay, "mx2.example.test[127.0.0.12]:") {
					t.Errorf("unexpected delivery: %s", d.Line.Raw)
				}
			}
			want := []string{"example.test/MX"}
			for _, ty := range c.types {
				want = append(want, "mx1.example.test/"+ty, "mx2.example.test/"+ty)
			}
			checkQueries(t, srv, want...)
		})
	}
}

// TestSMTPDNSEqualPreference: two MX hosts of equal preference share
// the load. Without connection caching every delivery resolves and
// picks a random host; 60 messages give each far more than 10% unless
// the order is fixed (the chance of <6 of 60 at p=0.5 is ~1e-11).
func TestSMTPDNSEqualPreference(t *testing.T) {
	harness.Require(t)
	const messages = 60
	srv := dnstest.Start(t, []string{mxZone}, mxRecords...)
	in := newMXInstance(t, srv, "spread."+mxZone, map[string]string{
		"smtp_randomize_addresses":           "yes",
		"smtp_connection_cache_destinations": "",
	})
	sinks := map[string]*harness.Sink{}
	for _, h := range []struct{ name, ip string }{{"a", "127.0.0.21"}, {"b", "127.0.0.22"}} {
		relay := fmt.Sprintf("%s.spread.example.test[%s]:%d", h.name, h.ip, in.SinkPort)
		sinks[relay] = in.StartSinkAt(t, h.ip, harness.SinkOptions{Save: true})
	}
	injectNull(t, in, messages)
	if err := in.WaitQueueEmpty(deliverTimeout); err != nil {
		t.Fatal(err)
	}
	checkOurSMTP(t, in)
	byRelay := map[string]map[string]bool{}
	for _, d := range waitDeliveries(t, in, messages) {
		if d.Status != "sent" || sinks[d.Relay] == nil || d.ConnUse != 1 {
			t.Errorf("unexpected delivery (want a fresh connection to an equal-preference MX): %s", d.Line.Raw)
			continue
		}
		if byRelay[d.Relay] == nil {
			byRelay[d.Relay] = map[string]bool{}
		}
		byRelay[d.Relay][d.QueueID] = true
	}
	total := 0
	for relay, sink := range sinks {
		msgs, err := sink.Messages()
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range msgs {
			if !byRelay[relay][m.QueueID] {
				t.Errorf("%s received queue id %s, which the maillog says went elsewhere", relay, m.QueueID)
			}
		}
		if len(msgs) != len(byRelay[relay]) || len(msgs) < messages/10 {
			t.Errorf("%s: %d messages at the sink, %d logged; want equal and >= %d", relay, len(msgs), len(byRelay[relay]), messages/10)
		}
		total += len(msgs)
		t.Logf("%s: %d of %d messages", relay, len(msgs), messages)
	}
	if total != messages {
		t.Errorf("sinks got %d messages, want %d", total, messages)
	}
	checkQueries(t, srv, "spread.example.test/MX", "a.spread.example.test/A", "b.spread.example.test/A")
	checkNoSMTPProblems(t, in)
}
