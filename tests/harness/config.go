package harness

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// cmdTimeout bounds every Postfix command-line tool we run.
const cmdTimeout = 60 * time.Second

// defaults returns the main.cf settings every instance gets: its own
// directories, loopback only, log to a private file, and all mail to
// the sink. Options.MainCF is applied after these.
func (in *Instance) defaults() map[string]string {
	return map[string]string{
		"queue_directory":  in.Spool,
		"data_directory":   filepath.Join(in.Dir, "data"),
		"daemon_directory": in.Libexec,
		"maillog_file":     in.Maillog,
		// postlogd refuses to write outside these prefixes.
		"maillog_file_prefixes": in.Dir,
		"syslog_name":           in.SyslogName,
		"inet_interfaces":       "127.0.0.1",
		"inet_protocols":        "ipv4",
		"mynetworks":            "127.0.0.0/8",
		"compatibility_level":   "3.6",
		"myhostname":            "vm.example",
		"myorigin":              "vm.example",
		"mydestination":         "",
		"default_transport":     "smtp",
		"relay_transport":       "relay",
		"relayhost":             fmt.Sprintf("[127.0.0.1]:%d", in.SinkPort),
		// No TLS session cache: it would need tlsmgr and a database.
		"smtp_tls_session_cache_database": "",
		// Nothing is delivered locally; empty maps keep smtpd from
		// logging errors about /etc/aliases.db and NIS.
		"alias_maps":     "",
		"alias_database": "",
		// A reverse lookup of 127.0.0.1 must never wait for DNS
		// (there is no network here).
		"smtpd_peername_lookup": "no",
		// No daemon may ask this machine's resolver anything: tests
		// that need DNS run their own server on loopback and turn
		// lookups back on for our smtp only.
		"disable_dns_lookups": "yes",
	}
}

// configure lays out the instance directory and writes its config.
func (in *Instance) configure(o Options) error {
	for _, d := range []string{in.ConfigDir, in.Spool, in.Libexec, filepath.Join(in.Dir, "data")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return fmt.Errorf("mkdir: %w", err)
		}
	}
	ids, err := PostfixUser()
	if err != nil {
		return err
	}
	// data_directory must belong to mail_owner (postfix-script check).
	if err := os.Chown(filepath.Join(in.Dir, "data"), ids.UID, ids.GID); err != nil {
		return fmt.Errorf("chown data dir: %w", err)
	}
	if err := copyFile(stockMainCF, filepath.Join(in.ConfigDir, "main.cf"), 0o644); err != nil {
		return err
	}
	masterCF := stockMasterCF
	if _, err := os.Stat(masterCF); err != nil {
		masterCF = fallbackMasterCF
	}
	if err := copyFile(masterCF, filepath.Join(in.ConfigDir, "master.cf"), 0o644); err != nil {
		return err
	}
	if err := in.populateLibexec(o.Replace); err != nil {
		return err
	}
	settings := in.defaults()
	for k, v := range o.MainCF {
		settings[k] = v
	}
	if _, err := in.Postconf(append([]string{"-e"}, sortedSettings(settings)...)...); err != nil {
		return err
	}
	// Replace the system-wide "smtp inet" listener (port 25 on every
	// interface) with one on our loopback port.
	edits := [][]string{
		{"-MX", "smtp/inet"},
		{"-Me", fmt.Sprintf("127.0.0.1:%d/inet=127.0.0.1:%d inet n - y - - smtpd", in.SMTPDPort, in.SMTPDPort)},
	}
	for _, e := range o.MasterEntries {
		edits = append(edits, []string{"-Me", e})
	}
	for _, f := range o.MasterFields {
		edits = append(edits, []string{"-Fe", f})
	}
	for _, p := range o.MasterParams {
		edits = append(edits, []string{"-Pe", p})
	}
	for _, e := range edits {
		if _, err := in.Postconf(e...); err != nil {
			return err
		}
	}
	return nil
}

// populateLibexec fills daemon_directory with the stock daemons, then
// puts our replacements over them. Hard links (copies across file
// systems) rather than symlinks, because postfix-script warns about
// symlinks leaving the directory and tests look for warnings.
func (in *Instance) populateLibexec(replace map[string]string) error {
	ents, err := os.ReadDir(StockDaemonDir)
	if err != nil {
		return fmt.Errorf("list stock daemons: %w", err)
	}
	for _, e := range ents {
		src, dst := filepath.Join(StockDaemonDir, e.Name()), filepath.Join(in.Libexec, e.Name())
		if os.Link(src, dst) == nil {
			continue
		}
		if err := copyFile(src, dst, 0o755); err != nil {
			return err
		}
	}
	for name, bin := range replace {
		if name != filepath.Base(name) || name == "" {
			return fmt.Errorf("Replace: bad daemon name %q", name)
		}
		dst := filepath.Join(in.Libexec, name)
		if err := os.Remove(dst); err != nil && !os.IsNotExist(err) {
			return fmt.Errorf("replace %s: %w", name, err)
		}
		if err := copyFile(bin, dst, 0o755); err != nil {
			return fmt.Errorf("replace %s: %w", name, err)
		}
	}
	return nil
}

func copyFile(src, dst string, mode os.FileMode) error {
	in, err := os.Open(src)
	if err != nil {
		return fmt.Errorf("copy %s: %w", src, err)
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, mode)
	if err != nil {
		return fmt.Errorf("copy to %s: %w", dst, err)
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return fmt.Errorf("copy %s to %s: %w", src, dst, err)
	}
	if err := out.Close(); err != nil {
		return fmt.Errorf("copy to %s: %w", dst, err)
	}
	// OpenFile's mode is filtered by the umask; master needs 0755.
	return os.Chmod(dst, mode)
}

func sortedSettings(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k, v := range m {
		out = append(out, k+"="+v)
	}
	sort.Strings(out)
	return out
}

// Postconf runs "postconf -c <instance config> args..." and returns its
// standard output, e.g. Postconf("-h", "relayhost") or
// Postconf("-e", "smtp_connection_cache_time_limit=5s"). Changes reach
// running daemons only after Reload.
func (in *Instance) Postconf(args ...string) (string, error) {
	return in.run("postconf", append([]string{"-c", in.ConfigDir}, args...)...)
}

// run executes a Postfix tool against this instance with a deadline,
// no stdin (postfix(1) must not find a tty) and MAIL_CONFIG set so that
// helpers it spawns (postsuper, postlog) use our config too.
func (in *Instance) run(name string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), cmdTimeout)
	defer cancel()
	// Output goes to files, not pipes: "postfix reload" leaves a
	// postsuper running in the background that inherits the output
	// descriptors, and with pipes Wait would block until it finishes.
	stdout, err := os.CreateTemp("", "postfix-go-out-")
	if err != nil {
		return "", fmt.Errorf("run %s: %w", name, err)
	}
	defer os.Remove(stdout.Name())
	defer stdout.Close()
	stderr, err := os.CreateTemp("", "postfix-go-err-")
	if err != nil {
		return "", fmt.Errorf("run %s: %w", name, err)
	}
	defer os.Remove(stderr.Name())
	defer stderr.Close()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = append(os.Environ(), "MAIL_CONFIG="+in.ConfigDir)
	cmd.Stdout, cmd.Stderr = stdout, stderr
	runErr := cmd.Run()
	out, _ := os.ReadFile(stdout.Name())
	if runErr != nil {
		msg, _ := os.ReadFile(stderr.Name())
		return string(out), fmt.Errorf("%s %s: %v: %s", name, strings.Join(args, " "), runErr, strings.TrimSpace(string(msg)))
	}
	return string(out), nil
}
