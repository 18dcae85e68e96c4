// Command smtp is a drop-in replacement for Postfix's smtp(8) delivery
// agent (and, by name, lmtp(8)). master(8) starts it from master.cf
// ("smtp unix - - y - - smtp"); it takes one delivery request at a time
// from qmgr(8), delivers the message over SMTP and reports every
// recipient to the stock bounce/defer/trace services.
//
// Plain SMTP to next hops resolved through MX and address lookups
// (smtp/internal/resolve). See smtp/internal/agent for what is not done
// yet.
package main

import (
	"github.com/postfix-go/postfix-go/master-compat/server"
)

func main() {
	d := &daemon{}
	server.Run(server.Program{
		Model:      server.Single,
		LoadParams: d.loadParams,
		PreInit:    d.preInit,
		PostInit:   d.postInit,
	})
}
