package maillog

import (
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

const (
	stockMaster   = "/usr/lib/postfix/sbin/master"
	stockPostlogd = "/usr/lib/postfix/sbin/postlogd"
)

// TestStockPostlogd sends records to a real postlogd(8) run by a private
// stock master(8) and checks what lands in maillog_file: each datagram
// verbatim plus a newline.
func TestStockPostlogd(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a Postfix instance")
	}
	if os.Geteuid() != 0 {
		t.Skip("master(8) must run as root")
	}
	for _, p := range []string{stockMaster, stockPostlogd} {
		if _, err := os.Stat(p); err != nil {
			t.Skipf("stock Postfix not installed: %v", err)
		}
	}
	owner, err := user.Lookup("postfix")
	if err != nil {
		t.Skipf("no postfix user: %v", err)
	}
	uid, _ := strconv.Atoi(owner.Uid)

	dir := shortDir(t)
	// master binds public/postlog as mail_owner, who must reach it.
	for _, d := range []string{"", "etc", "spool", "spool/pid", "spool/public", "data"} {
		p := filepath.Join(dir, d)
		if err := os.MkdirAll(p, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, d := range []string{"spool/public", "data"} {
		if err := os.Chown(filepath.Join(dir, d), uid, -1); err != nil {
			t.Fatal(err)
		}
	}
	maillog := filepath.Join(dir, "maillog")
	mainCf := strings.Join([]string{
		"compatibility_level = 3.6",
		"queue_directory = " + dir + "/spool",
		"data_directory = " + dir + "/data",
		"maillog_file = " + maillog,
		"maillog_file_prefixes = " + dir,
		"myhostname = vm.example",
		"syslog_name = itest",
		"inet_interfaces = loopback-only",
	}, "\n") + "\n"
	writeFile(t, filepath.Join(dir, "etc", "main.cf"), mainCf)
	writeFile(t, filepath.Join(dir, "etc", "master.cf"), "postlog unix-dgram n - n - 1 postlogd\n")

	// -d: stay in the foreground so we own the process; -e: exit on its own
	// should this test die before its cleanup.
	master := exec.Command(stockMaster, "-c", filepath.Join(dir, "etc"), "-d", "-e", "120")
	master.Dir = dir
	if err := master.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = master.Process.Signal(syscall.SIGTERM)
		_ = master.Wait()
	})
	socket := filepath.Join(dir, "spool", "public", "postlog")
	waitFor(t, func() bool { _, err := os.Stat(socket); return err == nil }, "postlog socket")

	l := New(Options{ProcessName: "/usr/lib/postfix/sbin/smtp", Pid: 4242, LookupEnv: fakeEnv(nil),
		Now: fixedClock(stamp), SyslogPath: filepath.Join(dir, "nolog")})
	defer l.Close()
	err = l.Configure(Settings{SyslogName: "itest", SyslogFacility: "mail", MaillogFile: maillog,
		MaillogFilePrefixes: dir, PostlogServicePath: socket, Hostname: "vm.example"})
	if err != nil {
		t.Fatal(err)
	}
	long := strings.Repeat("y", RecordLimit+10)
	l.Info("5BACB984264: to=<b@example.com>, status=sent (250 2.0.0 Ok)")
	l.Warnf("%s", long)
	want := []string{
		"Nov 29 05:35:55 vm itest/smtp[4242]: 5BACB984264: to=<b@example.com>, status=sent (250 2.0.0 Ok)",
		"Nov 29 05:35:55 vm itest/smtp[4242]: warning: " + long[:RecordLimit],
	}
	var got []string
	waitFor(t, func() bool {
		got = got[:0]
		data, _ := os.ReadFile(maillog)
		for _, line := range strings.Split(string(data), "\n") {
			if strings.Contains(line, "itest/smtp[") {
				got = append(got, line)
			}
		}
		return len(got) >= len(want)
	}, "records in maillog_file")
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("line %d:\n got %q\nwant %q", i, got[i], want[i])
		}
	}
}

func writeFile(t *testing.T, path, data string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

// waitFor polls until cond holds; the limit only bounds a hang.
func waitFor(t *testing.T, cond func() bool, what string) {
	t.Helper()
	for end := time.Now().Add(20 * time.Second); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("timed out waiting for %s", what)
}
