package maillog

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestPostlogFixtures checks the datagrams byte for byte against records
// captured from stock Postfix 3.7.11 daemons, both when the channel comes
// from the environment (before main.cf) and from Settings (after).
func TestPostlogFixtures(t *testing.T) {
	tests := []struct {
		fixture string
		argv0   string
		pid     int
	}{
		{"postlog-smtp-sent.bin", "smtp", 17534},
		{"postlog-qmgr-queue-active.bin", "/usr/lib/postfix/sbin/qmgr", 17518},
		{"postlog-smtpd-connect.bin", "smtpd", 17527},
	}
	for _, tc := range tests {
		want, err := os.ReadFile(filepath.Join("testdata", tc.fixture))
		if err != nil {
			t.Fatal(err)
		}
		_, text, ok := strings.Cut(string(want), "]: ")
		if !ok {
			t.Fatalf("%s: no ident in fixture", tc.fixture)
		}
		for _, configured := range []bool{false, true} {
			dir := shortDir(t)
			s := listen(t, filepath.Join(dir, "public", "postlog"))
			env := map[string]string{EnvPostlogService: s.path, EnvPostlogHostname: "vm", EnvLogTag: "s1a"}
			if configured {
				env = map[string]string{EnvLogTag: "postfix"} // overridden by Configure
			}
			l := New(Options{ProcessName: tc.argv0, Pid: tc.pid, LookupEnv: fakeEnv(env), Now: fixedClock(stamp)})
			if configured {
				err := l.Configure(Settings{
					SyslogName: "s1a", SyslogFacility: "mail", Hostname: "vm.example.org",
					MaillogFile: dir + "/maillog", MaillogFilePrefixes: "/var, " + dir, PostlogServicePath: s.path,
				})
				if err != nil {
					t.Fatal(err)
				}
			}
			l.Info(text)
			if got := s.recv(t); got != string(want) {
				t.Errorf("%s configured=%v:\n got %q\nwant %q", tc.fixture, configured, got, want)
			}
			l.Close()
		}
	}
}

func TestRecordFormats(t *testing.T) {
	day9 := time.Date(2025, time.November, 9, 7, 3, 1, 0, time.UTC)
	long := strings.Repeat("x", RecordLimit+500)
	tests := []struct {
		name     string
		sev      severity
		facility int
		text     string
		syslog   string
		postlog  string
		stderr   string
	}{
		{"info", sevInfo, facilityMail, "hello",
			"<22>Nov  9 07:03:01 postfix/smtp[42]: hello",
			"Nov 09 07:03:01 mx postfix/smtp[42]: hello",
			"postfix/smtp: hello\n"},
		{"warning", sevWarn, facilityMail, "w",
			"<20>Nov  9 07:03:01 postfix/smtp[42]: warning: w",
			"Nov 09 07:03:01 mx postfix/smtp[42]: warning: w",
			"postfix/smtp: warning: w\n"},
		{"error", sevError, facilities["local3"], "e",
			"<155>Nov  9 07:03:01 postfix/smtp[42]: error: e",
			"Nov 09 07:03:01 mx postfix/smtp[42]: error: e",
			"postfix/smtp: error: e\n"},
		{"fatal", sevFatal, facilities["daemon"], "f",
			"<26>Nov  9 07:03:01 postfix/smtp[42]: fatal: f",
			"Nov 09 07:03:01 mx postfix/smtp[42]: fatal: f",
			"postfix/smtp: fatal: f\n"},
		{"panic", sevPanic, facilityMail, "p",
			"<18>Nov  9 07:03:01 postfix/smtp[42]: panic: p",
			"Nov 09 07:03:01 mx postfix/smtp[42]: panic: p",
			"postfix/smtp: panic: p\n"},
		{"truncated", sevWarn, facilityMail, long,
			"<20>Nov  9 07:03:01 postfix/smtp[42]: warning: " + long[:RecordLimit],
			"Nov 09 07:03:01 mx postfix/smtp[42]: warning: " + long[:RecordLimit],
			"postfix/smtp: warning: " + long + "\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := string(syslogRecord(day9, tc.facility, "postfix/smtp", 42, tc.sev, tc.text)); got != tc.syslog {
				t.Errorf("syslog\n got %q\nwant %q", got, tc.syslog)
			}
			if got := string(postlogRecord(day9, "mx.example.com", "postfix/smtp", 42, tc.sev, tc.text)); got != tc.postlog {
				t.Errorf("postlog\n got %q\nwant %q", got, tc.postlog)
			}
			if got := string(stderrRecord("postfix/smtp", tc.sev, tc.text)); got != tc.stderr {
				t.Errorf("stderr\n got %q\nwant %q", got, tc.stderr)
			}
		})
	}
}

func TestSanitize(t *testing.T) {
	tests := []struct{ in, ascii, utf8 string }{
		{"plain text ~", "plain text ~", "plain text ~"},
		{"a\nb\tc\x00d\x7f", "a?b?c?d?", "a?b?c?d?"},
		{"caf\xc3\xa9 \xe2\x82\xac", "caf?? ???", "caf\xc3\xa9 \xe2\x82\xac"},
		{"bad \xff \x80 \xc3", "bad ? ? ?", "bad ? ? ?"},
	}
	for _, tc := range tests {
		if got := sanitize(tc.in, false); got != tc.ascii {
			t.Errorf("sanitize(%q, false) = %q, want %q", tc.in, got, tc.ascii)
		}
		if got := sanitize(tc.in, true); got != tc.utf8 {
			t.Errorf("sanitize(%q, true) = %q, want %q", tc.in, got, tc.utf8)
		}
	}
}

func TestProcessName(t *testing.T) {
	for in, want := range map[string]string{
		"smtp": "smtp", "/usr/lib/postfix/sbin/smtp": "smtp", "": "unknown", "odd/": "odd/",
	} {
		if got := processName(in); got != want {
			t.Errorf("processName(%q) = %q, want %q", in, got, want)
		}
	}
}
