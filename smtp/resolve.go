package main

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/netip"
	"strings"

	"github.com/miekg/dns"

	"github.com/postfix-go/postfix-go/master-compat/config"
	"github.com/postfix-go/postfix-go/master-compat/server"
	"github.com/postfix-go/postfix-go/smtp/internal/resolve"
)

// ResolvConfParam names the resolver configuration file (our own
// parameter; stock always uses /etc/resolv.conf through glibc). It is
// read before the chroot: inside the queue directory there is normally
// no etc/resolv.conf. Tests point it at a private file naming a DNS
// server on loopback.
const (
	ResolvConfParam   = "postfix_go_resolv_conf"
	defaultResolvConf = "/etc/resolv.conf"
)

// loadResolveParams reads the destination resolution parameters under
// the personality's prefix p ("smtp_" or "lmtp_"). lmtp(8) never looks
// up MX records (the resolver knows from the next-hop) and has no
// loop detection, so relayhost and the interface lists are smtp's only.
func (d *daemon) loadResolveParams(pr *paramReader, p string) {
	str, bool_, int_ := pr.str, pr.bool, pr.int
	rc := resolve.DefaultConfig()
	var err error
	if rc.SupportLevel, err = resolve.ParseSupportLevel(str(p+"dns_support_level"), bool_("disable_dns_lookups")); err != nil {
		pr.note(err)
	}
	if rc.HostLookup, err = resolve.ParseHostLookup(str(p + "host_lookup")); err != nil {
		pr.note(err)
	}
	if rc.Protocols, err = resolve.ParseInetProtocols(str("inet_protocols")); err != nil {
		pr.note(err)
	}
	if rc.AddressPreference, err = resolve.ParseAddressPreference(str(p + "address_preference")); err != nil {
		pr.note(err)
	}
	rc.Randomize = bool_(p + "randomize_addresses")
	rc.MXAddressLimit = int_(p + "mx_address_limit")
	rc.BalanceInetProtocols = bool_(p + "balance_inet_protocols")
	rc.DeferIfNoMXAddress = bool_(p + "defer_if_no_mx_address_found")
	rc.IgnoreMXLookupError = bool_("ignore_mx_lookup_error")
	d.cfg.MXAddressLimit = rc.MXAddressLimit
	d.cfg.MXSessionLimit = int_(p + "mx_session_limit")
	d.cfg.FallbackRelay = str(p + "fallback_relay")
	d.cfg.DefaultService = str(p + "tcp_port")
	d.cfg.NoProtocols = rc.Protocols == 0
	if !d.cfg.LMTP {
		d.cfg.Relayhost = str("relayhost")
		d.cfg.BestMXTransport = str("best_mx_transport")
		d.inetInterfaces = str("inet_interfaces")
		d.proxyInterfaces = str("proxy_interfaces")
	}
	d.resolveCfg = rc
	if v, err := pr.c.Str(ResolvConfParam, config.WithDefault(defaultResolvConf)); err != nil {
		pr.note(err)
	} else {
		d.resolvConf = v
	}
}

// preInit runs as root before the chroot.
func (d *daemon) preInit(rt *server.Runtime) error {
	cc, err := dns.ClientConfigFromFile(d.resolvConf)
	switch {
	case err == nil:
		d.resolveCfg.ClientConfig = cc
	case errors.Is(err, fs.ErrNotExist):
		// glibc's fallback: the resolver's default, 127.0.0.1:53.
	default:
		rt.Log.Warnf("%s: %v", d.resolvConf, err)
	}
	if !d.cfg.LMTP {
		d.resolveCfg.LocalAddrs = localAddrs(d.inetInterfaces, d.proxyInterfaces, rt.Log.Warn)
	}
	return d.initTLS(rt)
}

// newResolver builds the resolver once the process is set up.
func (d *daemon) newResolver(rt *server.Runtime) *resolve.Resolver {
	rc := d.resolveCfg
	rc.Logf = func(format string, args ...any) {
		msg := fmt.Sprintf(format, args...)
		if w, ok := strings.CutPrefix(msg, "warning: "); ok {
			rt.Log.Warn(w)
		} else {
			rt.Log.Info(msg)
		}
	}
	return resolve.New(rc)
}

// localAddrs is own_inet_addr_list(): the addresses of inet_interfaces
// and proxy_interfaces, for best-MX-is-myself detection. Host names are
// not looked up (that would need DNS at start-up); they are reported.
func localAddrs(inet, proxy string, warn func(string)) []netip.Addr {
	var out []netip.Addr
	for _, list := range []string{inet, proxy} {
		for _, w := range strings.FieldsFunc(list, isListSep) {
			switch strings.ToLower(w) {
			case "all":
				ifas, err := net.InterfaceAddrs()
				if err != nil {
					warn("inet_interfaces: " + err.Error())
				}
				for _, ifa := range ifas {
					if pfx, err := netip.ParsePrefix(ifa.String()); err == nil {
						out = append(out, pfx.Addr().Unmap())
					}
				}
			case "loopback-only", "localhost":
				out = append(out, netip.MustParseAddr("127.0.0.1"), netip.IPv6Loopback())
			default:
				h := strings.TrimSuffix(strings.TrimPrefix(w, "["), "]")
				if ip, err := netip.ParseAddr(h); err == nil {
					out = append(out, ip.Unmap())
				} else {
					warn("interface " + w + ": host names are not resolved by this smtp(8) for loop detection")
				}
			}
		}
	}
	return out
}
