package main

import (
	"strings"
	"testing"

	"github.com/postfix-go/postfix-go/master-compat/config"
	"github.com/postfix-go/postfix-go/master-compat/daemonargs"
	"github.com/postfix-go/postfix-go/master-compat/server"
	"github.com/postfix-go/postfix-go/smtp/internal/agent"
	"github.com/postfix-go/postfix-go/smtp/internal/resolve"
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
			c.Timeouts.DataDone == 0 || !c.QuoteEnvelope || c.Flags != (agent.CLIFlags{ReturnPath: true}) {
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
	if err := d.loadParams(runtimeFor("lmtp", "flags=DQ")); err == nil || err.Error() != `unknown flags=DQ value "Q" in "DQ"` {
		t.Errorf("flags=DQ: %v", err)
	}
}

func TestLoadResolveParams(t *testing.T) {
	rt := runtimeFor("smtp")
	for k, v := range map[string]string{
		"disable_dns_lookups": "yes", "smtp_host_lookup": "native", "inet_protocols": "ipv4",
		"smtp_address_preference": "ipv4", "smtp_mx_address_limit": "3", "smtp_mx_session_limit": "1",
		"smtp_fallback_relay": "[192.0.2.9]:2525", "relayhost": "relay.test:587",
	} {
		rt.Config.Set(k, v)
	}
	d := &daemon{}
	if err := d.loadParams(rt); err != nil {
		t.Fatal(err)
	}
	rc, c := d.resolveCfg, d.cfg
	if rc.SupportLevel != resolve.DNSDisabled || rc.HostLookup != resolve.HostLookupNative ||
		rc.Protocols != resolve.IPv4 || rc.AddressPreference != resolve.PreferIPv4 || rc.MXAddressLimit != 3 {
		t.Errorf("resolver config %+v", rc)
	}
	if c.MXAddressLimit != 3 || c.MXSessionLimit != 1 || c.FallbackRelay != "[192.0.2.9]:2525" ||
		c.Relayhost != "relay.test:587" || c.DefaultService != "smtp" || c.NoProtocols {
		t.Errorf("agent config %+v", c)
	}
	rt.Config.Set("inet_protocols", "")
	if err := d.loadParams(rt); err != nil || !d.cfg.NoProtocols {
		t.Errorf("empty inet_protocols: %v, NoProtocols %v", err, d.cfg.NoProtocols)
	}
	rt.Config.Set("smtp_host_lookup", "bogus")
	if err := d.loadParams(rt); err == nil {
		t.Error("bad smtp_host_lookup accepted")
	}
}

func TestLocalAddrs(t *testing.T) {
	var warned []string
	got := localAddrs("127.0.0.1, [::1] loopback-only", "192.0.2.1 name.test", func(s string) { warned = append(warned, s) })
	want := []string{"127.0.0.1", "::1", "127.0.0.1", "::1", "192.0.2.1"}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for i := range want {
		if got[i].String() != want[i] {
			t.Errorf("got %v, want %v", got, want)
		}
	}
	if len(warned) != 1 {
		t.Errorf("warnings %q", warned)
	}
}

// lmtp(8) reads the same resolution settings under lmtp_, with its own
// defaults (lmtp_host_lookup = dns, lmtp_tcp_port = 24), and ignores
// smtp_ ones and relayhost.
func TestLoadResolveParamsLMTP(t *testing.T) {
	rt := runtimeFor("lmtp")
	for k, v := range map[string]string{
		"smtp_host_lookup": "native", "lmtp_mx_session_limit": "4", "lmtp_fallback_relay": "inet:[192.0.2.9]:2424",
		"relayhost": "relay.test:587", "lmtp_address_preference": "ipv6",
	} {
		rt.Config.Set(k, v)
	}
	d := &daemon{}
	if err := d.loadParams(rt); err != nil {
		t.Fatal(err)
	}
	rc, c := d.resolveCfg, d.cfg
	if rc.HostLookup != resolve.HostLookupDNS || rc.AddressPreference != resolve.PreferIPv6 || rc.MXAddressLimit != 5 {
		t.Errorf("resolver config %+v", rc)
	}
	if !c.LMTP || c.MXSessionLimit != 4 || c.FallbackRelay != "inet:[192.0.2.9]:2424" || c.Relayhost != "" || c.DefaultService != "24" {
		t.Errorf("agent config %+v", c)
	}
}
