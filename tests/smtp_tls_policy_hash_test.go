package tests

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/postfix-go/postfix-go/tests/harness"
)

// hashPolicySender starts a sender instance with our smtp whose
// smtp_tls_policy_maps is a hash: table built by postmap(1) in its
// config dir, looked up through the stock proxymap(8). proxied selects
// "proxy:hash:..." (approved by the default proxy_read_maps) or plain
// "hash:..." plus an explicit proxy_read_maps entry.
func hashPolicySender(t *testing.T, sink *harness.Instance, ca, entry string, proxied bool) *harness.Instance {
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
		// Keep the default list (smtpd needs proxy:unix:passwd.byname).
		def, err := in.Postconf("-dh", "proxy_read_maps")
		if err != nil {
			t.Fatal(err)
		}
		settings = []string{"smtp_tls_policy_maps=" + table, "proxy_read_maps=" + strings.TrimSpace(def) + " proxy:" + table}
	}
	if _, err := in.Postconf(append([]string{"-e"}, settings...)...); err != nil {
		t.Fatal(err)
	}
	if err := in.Start(); err != nil {
		t.Fatal(err)
	}
	return in
}

func TestSMTPTLSPolicyHashTable(t *testing.T) {
	harness.Require(t)
	sink, ca := tlsSink(t)
	namaddr := regexp.QuoteMeta(fmt.Sprintf("127.0.0.1[127.0.0.1]:%d", sink.SMTPDPort))

	t.Run("encrypt", func(t *testing.T) {
		in := hashPolicySender(t, sink, ca, "encrypt", true)
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

	t.Run("wrong-name", func(t *testing.T) {
		in := hashPolicySender(t, sink, ca, "verify match=wrong.name", false)
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
