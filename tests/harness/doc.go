// Package harness runs private, throw-away Postfix 3.7 instances so that
// integration tests can exercise our daemons (scache, smtp/lmtp, tlsproxy)
// under the stock master(8) and next to the stock daemons.
//
// Each instance lives in its own 0755 directory under os.TempDir() (the
// postfix user must be able to traverse it, which rules out t.TempDir()),
// listens on 127.0.0.1 only, logs to its own maillog file through
// postlogd, and never touches the system instance in /etc/postfix. Our
// daemons are swapped in by replacing files in the instance's private
// daemon_directory, because master.cf command names are resolved relative
// to it.
//
// Everything that waits polls observable state (maillog lines, queue
// files, /proc) with a deadline; nothing sleeps and hopes.
//
// The integration tests need root and an installed Postfix; New skips
// the test otherwise.
package harness
