package main

import (
	"bufio"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/postfix-go/postfix-go/master-compat/attr"
	"github.com/postfix-go/postfix-go/scache/client"
)

// buildDaemon compiles this command once per test.
func buildDaemon(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "scache")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// instanceDir writes a minimal main.cf; the process runs unprivileged and
// unchrooted here, with its log on stderr (-V) for the assertions.
func instanceDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	cf := "queue_directory = " + dir + "\nmaillog_file =\nsyslog_name = sa-test\nconnection_cache_ttl_limit = 7s\n"
	if err := os.WriteFile(filepath.Join(dir, "main.cf"), []byte(cf), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestStandaloneServesOneClient runs the real binary in -S mode with a
// socket on stdin: start-up (main.cf, -o, logging), the announcement and
// a save/find exchange with a descriptor, then a clean exit on EOF.
func TestStandaloneServesOneClient(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the daemon")
	}
	bin, dir := buildDaemon(t), instanceDir(t)
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	stdin := os.NewFile(uintptr(fds[1]), "daemon-end")
	cmd := exec.Command(bin, "-S", "-V", "-o", "connection_cache_ttl_limit=3s")
	cmd.Env = []string{"MAIL_CONFIG=" + dir}
	cmd.Stdin = stdin
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	stdin.Close()
	f := os.NewFile(uintptr(fds[0]), "test-end")
	nc, err := net.FileConn(f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	nc.SetDeadline(time.Now().Add(20 * time.Second))
	r := bufio.NewReader(nc)
	sc := attr.NewScanner(r, "daemon", nil)
	if n, err := sc.Scan(attr.Strict, attr.Expect("protocol", client.Protocol)); n != 0 || err != nil {
		t.Fatalf("announcement: %d %v (stderr: %s)", n, err, stderr.String())
	}
	// A bad request first: the reply and the stderr copy of the warning.
	nc.Write(new(attr.List).Str("request", "bogus").Bytes())
	var status int
	if n, err := sc.Scan(attr.Strict, attr.Int("status", &status)); n != 1 || err != nil || status != client.StatBad {
		t.Fatalf("bogus: n=%d status=%d err=%v", n, status, err)
	}
	nc.Close()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("exit: %v\n%s", err, stderr.String())
		}
	case <-time.After(20 * time.Second):
		cmd.Process.Kill()
		t.Fatal("daemon did not exit after the client left")
	}
	if want := `sa-test/scache: warning: unrecognized request: "bogus", ignored`; !strings.Contains(stderr.String(), want) {
		t.Errorf("stderr lacks %q:\n%s", want, stderr.String())
	}
}

// TestStartupErrors checks the start-up checks of the skeletons: process
// limits, transport, options and parameter values.
func TestStartupErrors(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the daemon")
	}
	bin, dir := buildDaemon(t), instanceDir(t)
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"-t", "unix"}, "fatal: service scache requires a process limit of 1"},
		{[]string{"-l"}, "fatal: no transport type specified"},
		{[]string{"-Z"}, "invalid option -- 'Z'"},
		{[]string{"-l", "-t", "unix", "-o", "connection_cache_ttl_limit=0"}, "connection_cache_ttl_limit"},
	} {
		cmd := exec.Command(bin, append([]string{"-d", "-V"}, tt.args...)...)
		cmd.Env = []string{"MAIL_CONFIG=" + dir}
		out, err := cmd.CombinedOutput()
		if err == nil || !strings.Contains(string(out), tt.want) {
			t.Errorf("%v: err=%v, output %q, want %q", tt.args, err, out, tt.want)
		}
	}
}
