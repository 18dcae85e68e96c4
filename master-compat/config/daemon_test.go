package config

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
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
		want, err := smtpExpansion(dir, expr)
		if err != nil {
			t.Fatal(err)
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

// smtpExpansion starts smtp(8) in stand-alone mode with
// -o smtp_helo_name=expr and returns what it logs as the expansion. The
// daemon keeps waiting for work after start-up, so it is killed as soon
// as the line is seen (or after a time limit).
func smtpExpansion(dir, expr string) (string, error) {
	cmd := exec.Command(smtpDaemon, "-S", "-d", "-V", "-v", "-v", "-o", "smtp_helo_name="+expr)
	cmd.Dir = filepath.Join(dir, "spool")
	cmd.Env = []string{"MAIL_CONFIG=" + dir + "/etc", "PATH=/usr/bin:/bin"}
	pr, pw := io.Pipe()
	cmd.Stdout, cmd.Stderr = pw, pw
	if err := cmd.Start(); err != nil {
		return "", err
	}
	timer := time.AfterFunc(20*time.Second, func() { _ = cmd.Process.Kill() })
	defer timer.Stop()
	go func() { _ = cmd.Wait(); pw.Close() }()
	defer func() { _ = cmd.Process.Kill(); _, _ = io.Copy(io.Discard, pr) }()

	expand := "dict_eval: expand " + expr + " -> "
	constant := "dict_eval: const  " + expr
	var log strings.Builder
	sc := bufio.NewScanner(pr)
	for sc.Scan() {
		line := sc.Text()
		log.WriteString(line + "\n")
		if i := strings.Index(line, expand); i >= 0 {
			return line[i+len(expand):], nil
		}
		// A value without $ references is logged as "const".
		if strings.HasSuffix(line, constant) {
			return expr, nil
		}
	}
	return "", fmt.Errorf("smtp did not log the expansion of %q:\n%s", expr, log.String())
}
