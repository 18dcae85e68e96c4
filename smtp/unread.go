package main

import (
	"strings"

	"github.com/postfix-go/postfix-go/master-compat/config"
)

// warnUnread names every parameter of this personality (prefix "smtp_"
// or "lmtp_") that the administrator set to a value other than its
// default but that this agent never loaded: a setting it does not act
// on must not be ignored silently. Call it after every parameter has
// been read. Names in the unsupported list are left to warnUnsupported.
func warnUnread(cfg *config.Dict, prefix, process string, warn func(string)) {
	listed := map[string]bool{}
	for _, suffix := range unsupported {
		listed[prefix+suffix] = true
	}
	for _, name := range cfg.Names() {
		if !strings.HasPrefix(name, prefix) || listed[name] || cfg.WasRead(name) {
			continue
		}
		def, known := config.BuiltinDefault(name)
		if !known {
			continue // not a Postfix parameter: stock ignores it too
		}
		raw, _ := cfg.Lookup(name)
		if strings.TrimSpace(raw) == strings.TrimSpace(def) {
			continue
		}
		warn(name + " = " + raw + " is not supported by this " + process + " yet and is ignored")
	}
}
