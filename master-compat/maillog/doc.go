// Package maillog logs the way Postfix 3.7 daemons do, so that the records of
// our daemons are indistinguishable from those of the stock ones in
// syslog, in maillog_file (via postlogd(8)) and on stderr.
//
// A daemon creates one Logger from the environment alone (New), reads
// main.cf, then calls Configure, all before it enters the chroot jail:
//
//	log := maillog.New(maillog.Options{ProcessName: os.Args[0]})
//	... read main.cf and argv ...
//	if err := log.Configure(settings); err != nil {
//		log.Fatal(err.Error()) // logged with the pre-config identity, like Postfix
//	}
//	_ = log.ExportEnv(os.Setenv, os.Unsetenv) // MAIL_LOGTAG, POSTLOG_* for children
//
// # Identity
//
// Every record is tagged "<tag>/<process name>[pid]". Before Configure the
// tag is $MAIL_LOGTAG (inherited from master) or "postfix"; afterwards it is
// syslog_name. Postfix re-exports MAIL_LOGTAG=$syslog_name after reading
// main.cf; ExportEnv does that and keeps POSTLOG_SERVICE/POSTLOG_HOSTNAME in
// step with the chosen channel. Configure does not touch the process
// environment itself so that tests and -race runs stay free of global state.
//
// # Channels
//
// Exactly one "system" channel is active, as in Postfix's maillog_client.c
// (two at once could make postlogd(8) loop):
//
//   - postlog: before Configure iff $POSTLOG_SERVICE is non-empty; after it
//     iff maillog_file is non-empty. One datagram per record, no PRI, no
//     newline, zero-padded day, first label of myhostname.
//   - journald (Settings.Journald, only when maillog_file is empty): native
//     protocol through github.com/coreos/go-systemd/v22/journal.
//   - syslog otherwise: glibc's wire format on /dev/log.
//
// A copy to stderr (-V, Settings.Stderr) can be added to any of them.
//
// # Chroot
//
// Sockets are connected in New and Configure, which must run before chroot.
// A connected datagram socket keeps working inside the jail. What happens
// when a socket must be reopened there:
//
//   - syslog reconnects (like glibc) after a failed send, by the configured
//     path and then by the same path made relative ("dev/log"), which inside
//     the jail resolves to $queue_directory/dev/log as set up by Debian's
//     rsyslog configuration. Without it records are dropped silently.
//   - postlog retries the absolute socket path on each record while it has no
//     connection, which fails inside the jail; records are then dropped, as
//     in Postfix. Normally this never happens because master(8) keeps the
//     bound socket across postlogd restarts.
//   - journald: the go-systemd package addresses every datagram to
//     /run/systemd/journal/socket by path instead of keeping a connected
//     socket, so inside the jail it only works when that path exists there
//     (e.g. a bind mount). When a journald send fails the record goes to the
//     syslog socket instead, which Configure keeps connected for this reason.
//
// Local time is loaded in New, because after chroot /etc/localtime is gone
// (Postfix calls tzset() for the same reason).
//
// # Termination
//
// Fatal logs, runs the cleanup hooks (last added first), sleeps one second and
// exits with status 1; Panic logs, sleeps and dies by SIGABRT, which master(8)
// reports as "killed by signal 6". The 13th Error is followed by
// "fatal: too many errors - program terminated". Exit, sleep and abort are
// injectable through Options so tests can observe them.
package maillog
