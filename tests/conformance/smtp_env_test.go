package conformance

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/postfix-go/postfix-go/tests/harness"
	"github.com/postfix-go/postfix-go/tests/scriptsink"
)

// The smtp(8) side-by-side run: one private instance whose master.cf has
// two delivery transports, "stocksmtp" (the stock binary) and "gosmtp"
// (ours), with identical fields. Every scenario has one scripted server
// per side (all started up front) and sends one message through each
// transport at the same time; a transport map routes by the recipient domain, which
// carries the side and its server's port ("r1@stk-PORT.test"), so each
// scenario gets a next hop of its own and a destination qmgr throttled in
// one scenario never suspends the next one. Notifications go to the
// envelope sender "snd@<side>-PORT.sender.test", routed through the
// default (stock) smtp to one collecting scripted server, so what the
// sender would get can be compared too.

// Bounds for the waits of the smtp run; they only limit how long a
// broken run hangs.
const (
	smtpCmdTimeout    = 30 * time.Second // sendmail
	smtpSettleTimeout = 30 * time.Second // deliveries and notifications
)

// smtpSide is one of the two delivery agents.
type smtpSide struct {
	label   string // "stock" or "ours"
	token   string // in addresses and the log tag; both 3 bytes so sizes match
	service string // master.cf service and transport name
	tag     string // maillog tag of its processes
}

// smtpEnv is the shared instance.
type smtpEnv struct {
	in        *harness.Instance
	sides     []smtpSide // stock first
	collector *scriptsink.Server
	servers   map[string][]*scriptsink.Server // case name to its servers, by side
}

// newSMTPEnv configures and starts the instance. Our binary goes to
// $daemon_directory/go/smtp so that its process name is "smtp" like the
// stock one's (stock smtp derives SMTP/LMTP mode from argv[0], and both
// must log as ".../smtp"); a per-service syslog_name tells their lines
// apart.
func newSMTPEnv(t *testing.T, cases []smtpCase) *smtpEnv {
	harness.Require(t)
	ours := harness.Daemon(t, "smtp")
	collector, err := scriptsink.Start(0, scriptsink.Script{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(collector.Stop)
	in := harness.New(t, harness.Options{
		NoStart: true,
		MainCF: map[string]string{
			"disable_dns_lookups": "yes",
			// One message per connection: no conn_use variance, no
			// session shared between scenarios or notifications.
			"smtp_connection_cache_on_demand": "no",
			// Explicit, so neither side's result depends on a default
			// that ours might not implement; no script offers STARTTLS.
			"smtp_tls_security_level": "none",
		},
	})
	e := &smtpEnv{in: in, collector: collector}
	for _, s := range []smtpSide{
		{label: "stock", token: "stk", service: "stocksmtp"},
		{label: "ours", token: "our", service: "gosmtp"},
	} {
		s.tag = in.SyslogName + "/" + s.token + "/smtp"
		e.sides = append(e.sides, s)
	}
	goDir := filepath.Join(in.Libexec, "go")
	if err := os.MkdirAll(goDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := copyExecutable(ours, filepath.Join(goDir, "smtp")); err != nil {
		t.Fatal(err)
	}
	// One next hop per case and side, all listening from the start, so
	// that the transport map is written once. (regexp tables may not
	// substitute into transport_maps results, hence the explicit list.)
	// The map lives in the instance directory: user postfix must read it.
	rules := fmt.Sprintf(".sender.test smtp:[127.0.0.1]:%d\n", collector.Port)
	e.servers = map[string][]*scriptsink.Server{}
	for _, c := range cases {
		for _, s := range e.sides {
			srv, err := scriptsink.Start(0, c.script)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(srv.Stop)
			e.servers[c.name] = append(e.servers[c.name], srv)
			rules += fmt.Sprintf("%s-%d.test %s:[127.0.0.1]:%d\n", s.token, srv.Port, s.service, srv.Port)
		}
	}
	tmap := filepath.Join(in.Dir, "transport")
	if err := os.WriteFile(tmap, []byte(rules), 0o644); err != nil {
		t.Fatal(err)
	}
	edits := [][]string{{"-e", "transport_maps=texthash:" + tmap}}
	for i, s := range e.sides {
		cmd := []string{"smtp", "go/smtp"}[i]
		edits = append(edits, []string{"-Me", fmt.Sprintf("%s/unix=%s unix - - y - - %s -o syslog_name=%s/%s",
			s.service, s.service, cmd, in.SyslogName, s.token)})
	}
	for _, ed := range edits {
		if _, err := in.Postconf(ed...); err != nil {
			t.Fatal(err)
		}
	}
	if err := in.Start(); err != nil {
		t.Fatal(err)
	}
	return e
}

func copyExecutable(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o755)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Close(); err != nil {
		return err
	}
	return os.Chmod(dst, 0o755) // past the umask
}

// smtpRun is one side's part of one scenario.
type smtpRun struct {
	side   smtpSide
	srv    *scriptsink.Server
	domain string // "stk-PORT"; the recipients' domain is domain+".test"
	sender string
	rcpts  []string
	qid    string
	mark   harness.LogMark
}

// submit sends the scenario's message with sendmail(1). It returns an
// error rather than failing t because it runs in a goroutine.
func (e *smtpEnv) submit(r *smtpRun, c smtpCase) error {
	args := append([]string{"-f", r.sender}, c.sendmail...)
	args = append(append(args, "--"), r.rcpts...)
	ctx, cancel := context.WithTimeout(context.Background(), smtpCmdTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "sendmail", args...)
	cmd.Env = append(os.Environ(), "MAIL_CONFIG="+e.in.ConfigDir)
	cmd.Stdin = strings.NewReader(c.message())
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("%s: sendmail %s: %v\n%s", r.side.label, strings.Join(args, " "), err, out)
	}
	return nil
}

// findQID finds the message's queue id in pickup's log line; the sender
// is unique to the run.
func (e *smtpEnv) findQID(t *testing.T, r *smtpRun) {
	t.Helper()
	want := "uid=0 from=<" + r.sender + ">"
	l, err := e.in.WaitLogSince(r.mark, func(l harness.LogLine) bool {
		return l.Program == "pickup" && strings.HasSuffix(l.Text, want)
	}, smtpSettleTimeout)
	if err != nil {
		t.Fatalf("%s: no pickup line: %v", r.side.label, err)
	}
	r.qid, _, _ = strings.Cut(l.Text, ":")
}

// settle waits until both agents have logged a status for every
// recipient, qmgr is done with both messages (removed, or moved to the
// deferred queue), every notification about them has been delivered and
// no server session is open. qmgr has bounce(8) create notifications
// before it lets go of the message, so once the message is done, the
// "sender ... notification: NQID" lines are all there.
func (e *smtpEnv) settle(t *testing.T, runs []*smtpRun) {
	t.Helper()
	for _, r := range runs {
		prefix := r.qid + ": to=<"
		_, err := e.in.WaitLogCount(r.mark, func(l harness.LogLine) bool {
			return l.Tag == r.side.tag && strings.HasPrefix(l.Text, prefix)
		}, len(r.rcpts), smtpSettleTimeout)
		if err != nil {
			t.Fatalf("%s: delivery status lines for %s: %v", r.side.label, r.qid, err)
		}
	}
	var waiting string
	err := harness.WaitFor(smtpSettleTimeout, func() (bool, error) {
		lines, err := e.in.LogLinesSince(runs[0].mark)
		if err != nil {
			return false, err
		}
		removed := map[string]bool{}
		for _, l := range lines.Program("qmgr") {
			if id, ok := strings.CutSuffix(l.Text, ": removed"); ok {
				removed[id] = true
			}
		}
		for _, r := range runs {
			deferred, _ := filepath.Glob(filepath.Join(e.in.Spool, "deferred", "*", r.qid))
			if !removed[r.qid] && len(deferred) == 0 {
				waiting = r.side.label + " message " + r.qid
				return false, nil
			}
			if !r.srv.Idle() {
				waiting = r.side.label + " server session"
				return false, nil
			}
		}
		for _, l := range lines.Program("bounce") {
			f := strings.Fields(l.Text)
			if strings.Contains(l.Text, " notification: ") && !removed[f[len(f)-1]] {
				waiting = "notification " + f[len(f)-1]
				return false, nil
			}
		}
		waiting = "collector session"
		return e.collector.Idle(), nil
	}, func() string { return "still waiting for " + waiting })
	if err != nil {
		t.Fatal(err)
	}
}
