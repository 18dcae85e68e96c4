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
// the test otherwise (and in -short mode).
//
// A typical test:
//
//	in := harness.New(t, harness.Options{
//		Replace: map[string]string{
//			"smtp": harness.Daemon(t, "smtp"), // also runs the "relay" service
//			"lmtp": harness.Daemon(t, "lmtp"), // the same binary
//		},
//		MainCF:       map[string]string{"smtp_connection_cache_destinations": "$relayhost"},
//		MasterParams: []string{"scache/unix/max_idle=12s"},
//	})
//	sink := in.StartSink(t, harness.SinkOptions{Save: true}) // where relayhost points
//	in.Inject(t, harness.InjectOptions{Messages: 100, Sessions: 4})
//	if err := in.WaitQueueEmpty(time.Minute); err != nil {
//		t.Fatal(err)
//	}
//	lines, _ := in.LogLines()
//	for _, d := range lines.Deliveries() { ... }
//
// Set POSTFIX_GO_KEEP=1 to keep instance directories of passing tests;
// those of failing tests are always kept and their path is logged.
package harness
