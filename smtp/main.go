// Command smtp is a drop-in replacement for Postfix's smtp(8) delivery
// agent (and, by name, lmtp(8)). master(8) starts it from master.cf
// ("smtp unix - - y - - smtp"); it takes one delivery request at a time
// from qmgr(8), delivers the message over SMTP or LMTP and reports every
// recipient to the stock bounce/defer/trace/verify services. See
// man/smtp.8 and smtp/internal/agent.
package main

import (
	"os"
	"runtime"
	"runtime/debug"

	"github.com/postfix-go/postfix-go/master-compat/server"
)

func main() {
	tuneRuntime()
	d := &daemon{}
	server.Run(server.Program{
		Model:      server.Single,
		LoadParams: d.loadParams,
		PreInit:    d.preInit,
		PostInit:   d.postInit,
		// smtp.c pre_accept: exit when a local policy table changed.
		PreAccept: func(*server.Runtime) bool { return d.localTables.check() },
	})
}

// tuneRuntime sizes the Go runtime for a process that handles one
// delivery at a time and of which master runs dozens: a second P only
// adds idle spinning and wake-ups (measured: CPU per message and
// RssAnon both drop with one), and a live heap of a few hundred KiB does
// not need Go's default 4 MiB before the first collection. The
// environment (GOMAXPROCS, GOGC via import_environment) still wins.
func tuneRuntime() {
	if _, set := os.LookupEnv("GOMAXPROCS"); !set {
		runtime.GOMAXPROCS(1)
	}
	if _, set := os.LookupEnv("GOGC"); !set {
		debug.SetGCPercent(25)
	}
}
