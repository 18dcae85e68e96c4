package tests

import (
	"fmt"
	"regexp"
	"testing"
	"time"

	"github.com/postfix-go/postfix-go/tests/harness"
)

// hashPolicySender starts a sender instance with our smtp whose
// smtp_tls_policy_maps is a hash: table built by postmap(1) in its
// config dir. proxied selects "proxy:hash:..." (looked up through the
// stock proxymap(8), approved by the default proxy_read_maps) or plain
// "hash:..." (NOT in proxy_read_maps: read by smtp with postmap -s
// before the chroot, as stock smtp opens it itself). It also returns
// the table's name.
func hashPolicySender(t *testing.T, sink *harness.Instance, ca, entry string, proxied bool) (*harness.Instance, string) {
	t.Helper()
	in := harness.New(t, harness.Options{NoStart: true, Replace: map[string]string{"smtp": harness.Daemon(t, "smtp")},
		MainCF: map[string]string{
			"relayhost":         fmt.Sprintf("[127.0.0.1]:%d", sink.SMTPDPort),
			"smtp_tls_loglevel": "1",
			"smtp_tls_CAfile":   ca,
		}})
	table := postmapTable(t, in, "tls_policy", fmt.Sprintf("[127.0.0.1]:%d %s\n", sink.SMTPDPort, entry))
	settings := []string{"smtp_tls_policy_maps=proxy:" + table}
	if !proxied {
		settings = []string{"smtp_tls_policy_maps=" + table}
	}
	if _, err := in.Postconf(append([]string{"-e"}, settings...)...); err != nil {
		t.Fatal(err)
	}
	if err := in.Start(); err != nil {
		t.Fatal(err)
	}
	return in, table
}

func TestSMTPTLSPolicyHashTable(t *testing.T) {
	harness.Require(t)
	sink, ca := tlsSink(t)
	namaddr := regexp.QuoteMeta(fmt.Sprintf("127.0.0.1[127.0.0.1]:%d", sink.SMTPDPort))

	t.Run("encrypt", func(t *testing.T) {
		in, _ := hashPolicySender(t, sink, ca, "encrypt", true)
		d := deliverOne(t, in, "sent")
		checkOurSMTP(t, in)
		if d.DSN != "2.0.0" {
			t.Errorf("delivery line: %s", d.Line.Raw)
		}
		if _, err := in.WaitLog(`smtp\[\d+\]: Trusted TLS connection established to `+namaddr+`: TLSv1\.3`, logTimeout); err != nil {
			t.Error(err)
		}
		checkNoSMTPProblems(t, in)
	})

	// A plain hash: table, not approved in proxy_read_maps: read with
	// postmap -s at start-up; rebuilding it makes the process that
	// sees the change restart after its delivery.
	t.Run("plain-encrypt", func(t *testing.T) {
		in, table := hashPolicySender(t, sink, ca, "encrypt", false)
		d := deliverOne(t, in, "sent")
		checkOurSMTP(t, in)
		if d.DSN != "2.0.0" {
			t.Errorf("delivery line: %s", d.Line.Raw)
		}
		if _, err := in.WaitLog(`smtp\[\d+\]: Trusted TLS connection established to `+namaddr+`: TLSv1\.3`, logTimeout); err != nil {
			t.Error(err)
		}
		checkNoSMTPProblems(t, in)
		if lines, err := in.LogLines(); err != nil || len(lines.Program("proxymap")) != 0 {
			t.Errorf("proxymap was used (%v): %v", err, lines.Program("proxymap"))
		}
		time.Sleep(1100 * time.Millisecond)
		postmapTable(t, in, "tls_policy", fmt.Sprintf("[127.0.0.1]:%d encrypt\n", sink.SMTPDPort))
		deliverOne(t, in, "sent")
		if _, err := in.WaitLog(`smtp\[\d+\]: table `+regexp.QuoteMeta(table)+`\(0,lock\|fold_fix\|utf8_request\) has changed -- restarting$`, logTimeout); err != nil {
			t.Error(err)
		}
	})

	t.Run("wrong-name", func(t *testing.T) {
		in, _ := hashPolicySender(t, sink, ca, "verify match=wrong.name", false)
		d := deliverOne(t, in, "deferred")
		checkOurSMTP(t, in)
		if d.DSN != "4.7.5" || d.Reason != "Server certificate not verified" {
			t.Errorf("deferral line: %s", d.Line.Raw)
		}
		if _, err := in.WaitLog(`smtp\[\d+\]: server certificate verification failed for `+namaddr+`: num=62:hostname mismatch$`, logTimeout); err != nil {
			t.Error(err)
		}
	})
}
