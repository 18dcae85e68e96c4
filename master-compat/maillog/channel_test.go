package maillog

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/coreos/go-systemd/v22/journal"
)

func TestSyslogWire(t *testing.T) {
	tests := []struct {
		name     string
		env      map[string]string
		settings *Settings
		log      func(*Logger)
		want     string
	}{
		{"no logtag", nil, nil, func(l *Logger) { l.Info("started") },
			"<22>Nov 29 05:35:55 postfix/smtp[7]: started"},
		{"logtag from master", map[string]string{EnvLogTag: "s1a"}, nil, func(l *Logger) { l.Warn("w") },
			"<20>Nov 29 05:35:55 s1a/smtp[7]: warning: w"},
		{"empty postlog service means syslog", map[string]string{EnvPostlogService: ""}, nil, func(l *Logger) { l.Infof("n=%d", 3) },
			"<22>Nov 29 05:35:55 postfix/smtp[7]: n=3"},
		{"configured name and facility", map[string]string{EnvLogTag: "s1a"},
			&Settings{SyslogName: "postfix/relay", SyslogFacility: "local0"}, func(l *Logger) { l.Error("e") },
			"<131>Nov 29 05:35:55 postfix/relay/smtp[7]: error: e"},
		{"kern falls back to mail", nil,
			&Settings{SyslogName: "postfix", SyslogFacility: "kern"}, func(l *Logger) { l.Info("k") },
			"<22>Nov 29 05:35:55 postfix/smtp[7]: k"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := listen(t, filepath.Join(shortDir(t), "dev", "log"))
			l := New(Options{ProcessName: "smtp", Pid: 7, LookupEnv: fakeEnv(tc.env), Now: fixedClock(stamp), SyslogPath: s.path})
			defer l.Close()
			if tc.settings != nil {
				if err := l.Configure(*tc.settings); err != nil {
					t.Fatal(err)
				}
			}
			tc.log(l)
			if got := s.recv(t); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

// TestSyslogReconnect: like glibc, a failed send reopens the socket and
// resends, which is how logging recovers from a syslogd restart.
func TestSyslogReconnect(t *testing.T) {
	path := filepath.Join(shortDir(t), "log")
	s := listen(t, path)
	l := New(Options{ProcessName: "smtp", Pid: 1, LookupEnv: fakeEnv(nil), Now: fixedClock(stamp), SyslogPath: path})
	defer l.Close()
	l.Info("one")
	if got := s.recv(t); !strings.HasSuffix(got, ": one") {
		t.Fatalf("got %q", got)
	}
	s.close()
	s = listen(t, path)
	l.Info("two")
	if got := s.recv(t); !strings.HasSuffix(got, ": two") {
		t.Fatalf("after restart got %q", got)
	}
}

// TestSyslogRelativeFallback: inside a chroot jail only dev/log relative to
// the jail can exist, so reconnects also try the relative path.
func TestSyslogRelativeFallback(t *testing.T) {
	dir := shortDir(t)
	t.Chdir(dir)
	s := listen(t, filepath.Join(dir, "ml-absent", "dev", "log"))
	l := New(Options{ProcessName: "smtp", Pid: 1, LookupEnv: fakeEnv(nil), Now: fixedClock(stamp), SyslogPath: "/ml-absent/dev/log"})
	defer l.Close()
	l.Info("jailed")
	if got := s.recv(t); !strings.HasSuffix(got, ": jailed") {
		t.Fatalf("got %q", got)
	}
}

// TestSyslogStream: glibc falls back to SOCK_STREAM and ends records with NUL.
func TestSyslogStream(t *testing.T) {
	path := filepath.Join(shortDir(t), "log")
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	l := New(Options{ProcessName: "smtp", Pid: 1, LookupEnv: fakeEnv(nil), Now: fixedClock(stamp), SyslogPath: path})
	defer l.Close()
	c, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	l.Info("s")
	want := "<22>Nov 29 05:35:55 postfix/smtp[1]: s\x00"
	buf := make([]byte, len(want))
	if _, err := c.Read(buf); err != nil || string(buf) != want {
		t.Fatalf("got %q (%v), want %q", buf, err, want)
	}
}

// TestPostlogLateSocket: records are dropped while postlogd's socket is
// missing, and the next record connects once it exists.
func TestPostlogLateSocket(t *testing.T) {
	path := filepath.Join(shortDir(t), "postlog")
	env := map[string]string{EnvPostlogService: path}
	l := New(Options{ProcessName: "scache", Pid: 5, LookupEnv: fakeEnv(env), Now: fixedClock(stamp)})
	defer l.Close()
	l.Warn("dropped")
	s := listen(t, path)
	l.Info("kept")
	if got, want := s.recv(t), "Nov 29 05:35:55 amnesiac postfix/scache[5]: kept"; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}

func TestConfigureErrors(t *testing.T) {
	tests := []struct {
		name string
		s    Settings
		want string
	}{
		{"facility", Settings{SyslogName: "x", SyslogFacility: "security"},
			"parameter syslog_facility: unrecognized value: security"},
		{"prefix", Settings{SyslogName: "x", SyslogFacility: "mail", MaillogFile: "/tmp/maillog",
			MaillogFilePrefixes: "/var, /dev/stdout", PostlogServicePath: "/p"},
			"maillog_file value '/tmp/maillog' does not match any prefix in maillog_file_prefixes"},
		{"no prefixes", Settings{SyslogName: "x", SyslogFacility: "mail", MaillogFile: "/var/log/m", PostlogServicePath: "/p"},
			"maillog_file value '/var/log/m' does not match any prefix in maillog_file_prefixes"},
		{"no socket", Settings{SyslogName: "x", SyslogFacility: "mail", MaillogFile: "/var/log/m", MaillogFilePrefixes: "/var"},
			ErrNoPostlogPath.Error()},
	}
	for _, tc := range tests {
		ev := &events{}
		l, buf := stderrLogger(t, ev)
		if err := l.Configure(tc.s); err == nil || err.Error() != tc.want {
			t.Errorf("%s: got %v, want %q", tc.name, err, tc.want)
		}
		// Nothing changed: the caller's fatal still uses the old identity.
		l.Info("after")
		if got := buf.String(); got != "postfix/smtp: after\n" {
			t.Errorf("%s: after failed Configure logged %q", tc.name, got)
		}
	}
}

func TestExportEnv(t *testing.T) {
	dir := shortDir(t)
	s := listen(t, filepath.Join(dir, "postlog"))
	postlog := Settings{SyslogName: "s1a", SyslogFacility: "mail", MaillogFile: "/dev/stdout",
		MaillogFilePrefixes: "/var, /dev/stdout", PostlogServicePath: s.path, Hostname: "vm.example"}
	syslog := Settings{SyslogName: "s1a", SyslogFacility: "mail"}
	tests := []struct {
		name string
		s    *Settings
		want string
	}{
		{"before config, syslog", nil, "unset POSTLOG_SERVICE,unset POSTLOG_HOSTNAME"},
		{"postlog", &postlog, "MAIL_LOGTAG=s1a,POSTLOG_SERVICE=" + s.path + ",POSTLOG_HOSTNAME=vm.example"},
		{"syslog", &syslog, "MAIL_LOGTAG=s1a,unset POSTLOG_SERVICE,unset POSTLOG_HOSTNAME"},
	}
	for _, tc := range tests {
		l := New(Options{ProcessName: "smtp", LookupEnv: fakeEnv(nil), SyslogPath: filepath.Join(dir, "none")})
		if tc.s != nil {
			if err := l.Configure(*tc.s); err != nil {
				t.Fatal(err)
			}
		}
		var got []string
		err := l.ExportEnv(
			func(k, v string) error { got = append(got, k+"="+v); return nil },
			func(k string) error { got = append(got, "unset "+k); return nil })
		if err != nil || strings.Join(got, ",") != tc.want {
			t.Errorf("%s: got %q (%v), want %q", tc.name, got, err, tc.want)
		}
		l.Close()
	}
	l := New(Options{ProcessName: "smtp", LookupEnv: fakeEnv(nil), SyslogPath: filepath.Join(dir, "none")})
	defer l.Close()
	errBoom := errors.New("boom")
	if err := l.ExportEnv(os.Setenv, func(string) error { return errBoom }); !errors.Is(err, errBoom) {
		t.Errorf("unsetenv failure: got %v", err)
	}
}

func TestJournald(t *testing.T) {
	s := listen(t, filepath.Join(shortDir(t), "log"))
	type sent struct {
		msg  string
		pri  journal.Priority
		vars map[string]string
	}
	var got []sent
	fail := false
	l := New(Options{ProcessName: "tlsproxy", Pid: 99, LookupEnv: fakeEnv(nil), Now: fixedClock(stamp), SyslogPath: s.path,
		JournalSend: func(m string, p journal.Priority, v map[string]string) error {
			if fail {
				return errors.New("no journald in the jail")
			}
			got = append(got, sent{m, p, v})
			return nil
		}})
	defer l.Close()
	if err := l.Configure(Settings{SyslogName: "postfix", SyslogFacility: "mail", Journald: true}); err != nil {
		t.Fatal(err)
	}
	l.Warn("to journal")
	if len(got) != 1 || got[0].msg != "warning: to journal" || got[0].pri != journal.PriWarning ||
		got[0].vars["SYSLOG_IDENTIFIER"] != "postfix/tlsproxy" || got[0].vars["SYSLOG_PID"] != "99" ||
		got[0].vars["SYSLOG_FACILITY"] != "2" {
		t.Fatalf("journal got %+v", got)
	}
	fail = true
	l.Info("fallback")
	if r := s.recv(t); r != "<22>Nov 29 05:35:55 postfix/tlsproxy[99]: fallback" {
		t.Fatalf("fallback got %q", r)
	}
}
