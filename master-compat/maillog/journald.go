package maillog

import (
	"strconv"

	"github.com/coreos/go-systemd/v22/journal"
)

// sendJournal sends one record with the fields journald itself stores for a
// syslog record, so journalctl -t/-p and the syslog view look the same. The
// caller falls back to syslog when this fails (e.g. inside a chroot jail).
func (l *Logger) sendJournal(sev severity, text string) error {
	return l.opts.JournalSend(body(sev, text), journal.Priority(sev.syslogLevel()), map[string]string{
		"SYSLOG_IDENTIFIER": l.ident,
		"SYSLOG_PID":        strconv.Itoa(l.pid),
		"SYSLOG_FACILITY":   strconv.Itoa(l.facility >> 3),
	})
}

// journalUsable decides at Configure time (before chroot) whether journald
// is worth trying. With the real sender this also creates go-systemd's
// client socket while the file system is still the real one.
func (l *Logger) journalUsable() bool {
	if l.journalInjected {
		return true
	}
	return journal.Enabled()
}
