package maillog

import (
	"errors"
	"fmt"
	"strings"
)

// Settings are the main.cf values logging depends on, already expanded by
// the caller's configuration layer (which also supplies Postfix's defaults:
// syslog_name "postfix", syslog_facility "mail", maillog_file_prefixes
// "/var, /dev/stdout"). Empty strings are taken literally.
type Settings struct {
	SyslogName          string // syslog_name: the tag in "<tag>/<process>"
	SyslogFacility      string // syslog_facility: mail, daemon, local0 …
	MaillogFile         string // maillog_file: non-empty selects postlog
	MaillogFilePrefixes string // maillog_file_prefixes, comma/space separated
	PostlogServicePath  string // $queue_directory/public/$postlog_service_name; "": $POSTLOG_SERVICE
	Hostname            string // myhostname (postlog records use its first label)
	Journald            bool   // log to journald instead of syslog (ignored with maillog_file)
	Stderr              bool   // -V: copy every record to Options.Stderr
	UTF8                bool   // smtputf8_enable: pass UTF-8 through instead of '?'
}

// Facility codes of glibc; "security" does not exist on Linux, so Postfix
// rejects it there too.
const facilityMail = 2 << 3

var facilities = map[string]int{
	"kern": 0 << 3, "user": 1 << 3, "mail": 2 << 3, "daemon": 3 << 3,
	"auth": 4 << 3, "syslog": 5 << 3, "lpr": 6 << 3, "news": 7 << 3,
	"uucp": 8 << 3, "cron": 9 << 3, "authpriv": 10 << 3, "ftp": 11 << 3,
	"local0": 16 << 3, "local1": 17 << 3, "local2": 18 << 3, "local3": 19 << 3,
	"local4": 20 << 3, "local5": 21 << 3, "local6": 22 << 3, "local7": 23 << 3,
}

// ErrNoPostlogPath is returned when maillog_file is set but neither the
// settings nor the environment name the postlog socket.
var ErrNoPostlogPath = errors.New("maillog_file is set but the postlog socket path is empty")

// Configure switches to the identity and channel main.cf selects and
// (re)connects the log socket; call it before chroot. On error nothing
// changes, so the caller's Fatal is still logged the pre-config way, as in
// Postfix. Error texts are Postfix's; syslog_facility errors lack the
// "file DIR/main.cf: " prefix the caller may add.
func (l *Logger) Configure(s Settings) error {
	facility, ok := facilities[s.SyslogFacility]
	if !ok {
		return fmt.Errorf("parameter syslog_facility: unrecognized value: %s", s.SyslogFacility)
	}
	if facility == 0 {
		// glibc's syslog() replaces facility 0 (kern) with the openlog()
		// default, which Postfix sets to LOG_MAIL.
		facility = facilityMail
	}
	postlog := s.MaillogFile != ""
	if postlog && !hasPrefix(s.MaillogFile, s.MaillogFilePrefixes) {
		return fmt.Errorf("maillog_file value '%s' does not match any prefix in maillog_file_prefixes", s.MaillogFile)
	}
	path := s.PostlogServicePath
	if path == "" {
		path = l.env(EnvPostlogService)
	}
	if postlog && path == "" {
		return ErrNoPostlogPath
	}
	journald := !postlog && s.Journald && l.journalUsable()

	l.mu.Lock()
	defer l.mu.Unlock()
	l.configured = true
	l.setIdent(s.SyslogName)
	l.facility, l.utf8, l.stderr, l.journald, l.postlog = facility, s.UTF8, s.Stderr, journald, postlog
	if postlog {
		l.host = s.Hostname
		if l.host == "" {
			l.host = l.env(EnvPostlogHostname)
		}
		if l.host == "" {
			l.host = "amnesiac"
		}
		if l.postSock != nil {
			l.postSock.close()
		}
		l.postSock = newPostlogSocket(path)
		l.postSock.connect()
		if l.syslogSock != nil {
			l.syslogSock.close()
			l.syslogSock = nil
		}
		return nil
	}
	if l.postSock != nil {
		l.postSock.close()
		l.postSock = nil
	}
	// Kept even with journald: it is the fallback inside the chroot jail.
	if l.syslogSock == nil {
		l.syslogSock = newSyslogSocket(l.opts.SyslogPath)
	}
	l.syslogSock.connect()
	return nil
}

// hasPrefix reports whether file starts with one of the listed prefixes
// (plain string prefixes, as Postfix compares them).
func hasPrefix(file, prefixes string) bool {
	for _, p := range strings.FieldsFunc(prefixes, func(r rune) bool { return strings.ContainsRune(", \t\r\n", r) }) {
		if strings.HasPrefix(file, p) {
			return true
		}
	}
	return false
}

// ExportEnv publishes what child processes need to log correctly before they
// read main.cf: MAIL_LOGTAG=$syslog_name once configured, and
// POSTLOG_SERVICE/POSTLOG_HOSTNAME in postlog mode (removed otherwise).
// Daemons pass os.Setenv and os.Unsetenv.
func (l *Logger) ExportEnv(setenv func(key, value string) error, unsetenv func(key string) error) error {
	l.mu.Lock()
	set := map[string]string{}
	if l.configured {
		set[EnvLogTag] = l.tag
	}
	if l.postlog {
		set[EnvPostlogService] = l.postSock.paths[0]
		set[EnvPostlogHostname] = l.host
	}
	l.mu.Unlock()

	for _, key := range []string{EnvLogTag, EnvPostlogService, EnvPostlogHostname} {
		if v, ok := set[key]; ok {
			if err := setenv(key, v); err != nil {
				return fmt.Errorf("export %s: %w", key, err)
			}
		} else if key != EnvLogTag {
			if err := unsetenv(key); err != nil {
				return fmt.Errorf("unset %s: %w", key, err)
			}
		}
	}
	return nil
}
