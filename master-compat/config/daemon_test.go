package config

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

const smtpDaemon = "/usr/lib/postfix/sbin/smtp"

// TestAgainstSmtpDaemon runs the real Postfix smtp(8) in a private
// instance (spec §3.4 recipe) and compares how it expands smtp_helo_name
// with this package after the same start-up sequence. It needs root and
// an installed Postfix; otherwise it is skipped.
func TestAgainstSmtpDaemon(t *testing.T) {
	if _, err := os.Stat(smtpDaemon); err != nil || os.Geteuid() != 0 {
		t.Skip("needs root and " + smtpDaemon)
	}
	dir := t.TempDir()
	for _, sub := range []string{"etc", "spool", "data"} {
		if err := os.Mkdir(filepath.Join(dir, sub), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	mainCF := "compatibility_level = 3.6\nqueue_directory = " + dir + "/spool\ndata_directory = " + dir +
		"/data\nmaillog_file = " + dir + "/maillog\nmaillog_file_prefixes = " + dir + "\nempty =\n"
	if err := os.WriteFile(filepath.Join(dir, "etc/main.cf"), []byte(mainCF), 0o644); err != nil {
		t.Fatal(err)
	}
	exprs := []string{
		"A$smtpd_client_connection_rate_limit.B$max_idle.C${undefined_thing:dflt}",
		"[${empty: spaced}]",
		"$mail_name/$smtpd_banner/$process_name/$service_name",
		"${{$compatibility_level} <level {3.6} ? {old} : {new}}|$mynetworks_style|$relay_domains",
		"$myhostname|$mydomain|$myorigin|$smtputf8_enable",
		"${{10} > {9}}${{10} > {9x}}$$x",
	}
	for _, expr := range exprs {
		cmd := exec.Command(smtpDaemon, "-S", "-d", "-V", "-v", "-v", "-o", "smtp_helo_name="+expr)
		cmd.Dir = filepath.Join(dir, "spool")
		cmd.Env = []string{"MAIL_CONFIG=" + dir + "/etc", "PATH=/usr/bin:/bin"}
		out, _ := cmd.CombinedOutput()
		prefix := "dict_eval: expand " + expr + " -> "
		want, found := "", false
		for _, line := range strings.Split(string(out), "\n") {
			if i := strings.Index(line, prefix); i >= 0 {
				want, found = line[i+len(prefix):], true
				break
			}
			// A value without $ is logged as "const".
			if i := strings.Index(line, "dict_eval: const  "+expr); i >= 0 && strings.HasSuffix(line, expr) {
				want, found = expr, true
				break
			}
		}
		if !found {
			t.Fatalf("smtp did not log the expansion of %q:\n%s", expr, out)
		}

		d, err := Load(dir + "/etc")
		if err != nil {
			t.Fatal(err)
		}
		d.Set(ParamProcessName, "smtp")
		if err := d.Override("smtp_helo_name=" + expr); err != nil {
			t.Fatal(err)
		}
		d.Set(ParamServiceName, "smtp")
		if _, err := d.LoadGeneric(); err != nil {
			t.Fatal(err)
		}
		got, err := d.Str("smtp_helo_name")
		if err != nil || got != want {
			t.Errorf("%q: got %q, %v; smtp(8) says %q", expr, got, err, want)
		}
	}
}
