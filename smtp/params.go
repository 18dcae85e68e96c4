package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/postfix-go/postfix-go/master-compat/config"
	"github.com/postfix-go/postfix-go/master-compat/server"
	"github.com/postfix-go/postfix-go/smtp/internal/agent"
	"github.com/postfix-go/postfix-go/smtp/internal/downgrade"
	"github.com/postfix-go/postfix-go/smtp/internal/resolve"
	"github.com/postfix-go/postfix-go/smtp/internal/smtpwire"
)

// daemon holds the process-wide state: configuration only.
type daemon struct {
	cfg agent.Config
	// cacheOff names why connection caching is off despite its
	// parameters; cacheService and cacheTimeout are the scache client's.
	cacheOff     string
	cacheService string
	cacheTimeout time.Duration
	// Destination resolution (smtp only): the resolver configuration,
	// completed by preInit, and the interface lists for loop detection.
	resolveCfg                      resolve.Config
	inetInterfaces, proxyInterfaces string
	// resolvConf is postfix_go_resolv_conf.
	resolvConf string
	// tlsParams are the TLS client settings, loaded by preInit.
	tlsParams tlsParams
	// localTables are the plain local policy tables read with
	// postmap -s; a change to one makes the process restart.
	localTables *localTables
}

// loadParams picks the personality from the process name and reads the
// smtp_* (or lmtp_*) parameters, in stock's order of checks.
func (d *daemon) loadParams(rt *server.Runtime) error {
	switch rt.Args.ProcessName {
	case "smtp":
	case "lmtp":
		d.cfg.LMTP = true
	default:
		return fmt.Errorf("unexpected process name \"%s\" - specify \"smtp\" or \"lmtp\"", rt.Args.ProcessName)
	}
	// master.cf arguments: only flags=... (get_cli_attr in smtp.c).
	lastFlags := "flags="
	for _, arg := range rt.Args.Rest {
		lastFlags = arg
		v, ok := strings.CutPrefix(arg, "flags=")
		if !ok {
			return fmt.Errorf("unknown attribute name: %s", arg)
		}
		f, err := agent.ParseCLIFlags(v)
		if err != nil {
			return err
		}
		d.cfg.Flags = f
	}
	d.cfg.ServiceName = rt.Args.ServiceName
	if d.cfg.LMTP && !d.cfg.Flags.FinalDelivery {
		// The obsolete switch for flags=X still works, with a nudge.
		final, err := rt.Config.Bool("lmtp_assume_final")
		if err != nil {
			return err
		}
		if final {
			d.cfg.Flags.FinalDelivery = true
			rt.Log.Warnf("lmtp_assume_final is obsolete; instead, specify \"%sX\" in master.cf", lastFlags)
		}
	}
	p := "smtp_"
	// The few names that differ besides the prefix (smtp_params.c).
	heloName, heloTimeout, discard := "smtp_helo_name", "smtp_helo_timeout", "smtp_discard_ehlo_keywords"
	if d.cfg.LMTP {
		p = "lmtp_"
		heloName, heloTimeout, discard = "lmtp_lhlo_name", "lmtp_lhlo_timeout", "lmtp_discard_lhlo_keywords"
	}
	c, gen := rt.Config, rt.Generic
	pr := &paramReader{c: c}
	str, bool_, tm := pr.str, pr.bool, pr.time
	cfg := &d.cfg
	cfg.Timeouts = agent.Timeouts{
		Connect:  tm(p+"connect_timeout", 0),
		Helo:     tm(heloTimeout, 1),
		Mail:     tm(p+"mail_timeout", 1),
		Rcpt:     tm(p+"rcpt_timeout", 1),
		DataInit: tm(p+"data_init_timeout", 1),
		DataXfer: tm(p+"data_xfer_timeout", 1),
		DataDone: tm(p+"data_done_timeout", 1),
		RSET:     tm(p+"rset_timeout", 1),
		Quit:     tm(p+"quit_timeout", 1),
		Xforward: tm(p+"xforward_timeout", 1),
	}
	cfg.HeloName = str(heloName)
	if cfg.HeloName == "" {
		cfg.HeloName = gen.Myhostname
	}
	cfg.MyHostname = gen.Myhostname
	cfg.SMTPLineLimit = pr.int(p + "line_length_limit")
	cfg.LineLimit = gen.LineLengthLimit
	cfg.Skip5xxGreeting = bool_(p + "skip_5xx_greeting")
	cfg.QuoteEnvelope = bool_(p + "quote_rfc821_envelope")
	cfg.SkipQuitResponse = bool_(p + "skip_quit_response")
	cfg.SendXforward = bool_(p + "send_xforward_command")
	if !cfg.LMTP {
		cfg.NeverEHLO = bool_("smtp_never_send_ehlo")
	}
	cfg.DiscardEHLO = smtpwire.ParseEHLOMask(str(discard))
	cfg.SoftBounce = gen.SoftBounce
	cfg.HelpfulWarnings = gen.HelpfulWarnings
	cfg.DisableMIMEConversion = bool_("disable_mime_output_conversion")
	cfg.MIME = downgrade.Config{
		NestingLimit:    pr.int("mime_nesting_limit"),
		BoundaryLimit:   pr.int("mime_boundary_length_limit"),
		HeaderSizeLimit: pr.int("header_size_limit"),
	}
	cfg.DisableUTF8 = !gen.SMTPUTF8Enable
	cfg.DelayResolution = gen.DelayLoggingResolutionLimit
	cfg.FlushDomains = plainDomains(str("fast_flush_domains"))
	cfg.ParentMatches = hasWord(str("parent_domain_matches_subdomains"), "fast_flush_domains")
	pr.note(d.loadCacheParams(rt, p, pr))
	d.loadResolveParams(pr, p)
	d.loadTLSParams(pr, p, gen.CompatibilityLevel)
	cfg.BounceService = gen.BounceServiceName
	cfg.DeferService = gen.DeferServiceName
	cfg.TraceService = gen.TraceServiceName
	cfg.VerifyService = gen.AddressVerifyServiceName
	return pr.err
}

// plainDomains keeps the literal domain names of a domain list. Table
// and file entries (type:name, /path) are not supported yet; they only
// decide whether to notify the fast-flush service, which loses no mail.
func plainDomains(list string) []string {
	var out []string
	for _, w := range strings.FieldsFunc(list, isListSep) {
		if strings.ContainsAny(w, ":/") || strings.HasPrefix(w, "!") {
			continue
		}
		out = append(out, w)
	}
	return out
}

func hasWord(list, word string) bool {
	for _, w := range strings.FieldsFunc(list, isListSep) {
		if strings.EqualFold(w, word) {
			return true
		}
	}
	return false
}

func isListSep(r rune) bool { return r == ',' || r == ' ' || r == '\t' || r == '\r' || r == '\n' }

// loadCacheParams reads the connection cache parameters. Caching is
// switched off where this agent cannot label sessions like stock does:
// SASL password maps (label fields for sender/next-hop/host, and this
// agent does not authenticate) and TLS levels above "may" (every such
// session is TLS, and TLS sessions stay in this process: stock caches
// them only through tlsproxy(8)).
func (d *daemon) loadCacheParams(rt *server.Runtime, p string, pr *paramReader) error {
	str, bool_, tm := pr.str, pr.bool, pr.time
	c := &d.cfg.Cache
	c.Service = rt.Args.ServiceName
	for _, w := range strings.FieldsFunc(str(p+"connection_cache_destinations"), isListSep) {
		if strings.ContainsAny(strings.TrimLeft(w, "!"), ":/") {
			rt.Log.Warnf("%sconnection_cache_destinations: table and file entries are not supported by this %s: %s",
				p, rt.Args.ProcessName, w)
			continue
		}
		c.Destinations = append(c.Destinations, w)
	}
	c.OnDemand = bool_(p + "connection_cache_on_demand")
	c.TimeLimit = int(tm(p+"connection_cache_time_limit", 1) / time.Second)
	c.ReuseTimeLimit = tm(p+"connection_reuse_time_limit", 1)
	n, err := rt.Config.Int(p+"connection_reuse_count_limit", config.WithMin(0))
	c.ReuseCountLimit = n
	lvlName := strings.ToLower(str(p + "tls_security_level"))
	if lvlName == "" {
		// The obsolete smtp_use_tls/smtp_enforce_tls (lmtp_ too).
		if bool_(p + "enforce_tls") {
			lvlName = "encrypt"
		} else if bool_(p + "use_tls") {
			lvlName = "may"
		}
	}
	level, ok := tlsLevels[lvlName]
	if !ok {
		level = 99 // unknown: fatal in loadTLSParams
	}
	c.TLSLevel = level
	d.cacheOff = ""
	switch {
	case d.cfg.LMTP:
		d.cacheOff = "LMTP"
	case str(p+"sasl_password_maps") != "":
		d.cacheOff = p + "sasl_password_maps"
	}
	// Levels above "may" keep the cache on, as in stock: TLS sessions
	// through tlsproxy (connection reuse) are cacheable, in-process
	// ones never are.
	d.cacheService = str("connection_cache_service_name")
	d.cacheTimeout = tm("connection_cache_protocol_timeout", 1)
	return err
}

// tlsLevels are the numeric TLS levels of tls.h.
var tlsLevels = map[string]int{
	"": 0, "none": 0, "may": 1, "encrypt": 2, "fingerprint": 3, "dane": 5,
	"dane-only": 6, "verify": 7, "secure": 8,
}
