package main

import (
	"strings"
	"testing"

	"github.com/postfix-go/postfix-go/master-compat/config"
	"github.com/postfix-go/postfix-go/master-compat/daemonargs"
	"github.com/postfix-go/postfix-go/master-compat/server"
)

func runtimeFor(name string, rest ...string) *server.Runtime {
	return &server.Runtime{
		Args:    &daemonargs.Args{ProcessName: name, ServiceName: name, Rest: rest},
		Config:  config.New(),
		Generic: &config.Generic{Myhostname: "host.test", LineLengthLimit: 2048},
	}
}

// Every parameter name must exist in Postfix 3.7 for both personalities:
// an unknown one is fatal at start-up, which master reports as "bad
// command startup" and throttles the whole transport.
func TestLoadParamsBothPersonalities(t *testing.T) {
	for _, name := range []string{"smtp", "lmtp"} {
		d := &daemon{}
		if err := d.loadParams(runtimeFor(name, "flags=R")); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		c := d.cfg
		if c.LMTP != (name == "lmtp") || c.HeloName != "host.test" || c.SMTPLineLimit != 998 ||
			c.Timeouts.DataDone == 0 || !c.QuoteEnvelope || d.flags != "R" {
			t.Errorf("%s: config %+v", name, c)
		}
		if c.SkipQuitResponse != (name == "smtp") {
			t.Errorf("%s: skip_quit_response %v", name, c.SkipQuitResponse)
		}
	}
}

func TestLoadParamsRejects(t *testing.T) {
	d := &daemon{}
	if err := d.loadParams(runtimeFor("relay")); err == nil || !strings.Contains(err.Error(), "unexpected process name") {
		t.Errorf("process name relay: %v", err)
	}
	if err := d.loadParams(runtimeFor("smtp", "foo=bar")); err == nil || err.Error() != "unknown attribute name: foo=bar" {
		t.Errorf("argument foo=bar: %v", err)
	}
}
