package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/postfix-go/postfix-go/master-compat/config"
	"github.com/postfix-go/postfix-go/master-compat/server"
	"github.com/postfix-go/postfix-go/smtp/internal/agent"
	"github.com/postfix-go/postfix-go/smtp/internal/smtpwire"
)

// daemon holds the process-wide state: configuration only.
type daemon struct {
	cfg   agent.Config
	flags string // master.cf flags=..., accepted but not applied yet
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
	for _, arg := range rt.Args.Rest {
		v, ok := strings.CutPrefix(arg, "flags=")
		if !ok {
			return fmt.Errorf("unknown attribute name: %s", arg)
		}
		d.flags = v
	}
	p := "smtp_"
	// The few names that differ besides the prefix (smtp_params.c).
	heloName, heloTimeout, discard := "smtp_helo_name", "smtp_helo_timeout", "smtp_discard_ehlo_keywords"
	if d.cfg.LMTP {
		p = "lmtp_"
		heloName, heloTimeout, discard = "lmtp_lhlo_name", "lmtp_lhlo_timeout", "lmtp_discard_lhlo_keywords"
	}
	c, gen := rt.Config, rt.Generic
	var errs []error
	str := func(name string) string {
		v, err := c.Str(name)
		errs = append(errs, err)
		return v
	}
	bool_ := func(name string) bool {
		v, err := c.Bool(name)
		errs = append(errs, err)
		return v
	}
	tm := func(name string, min int64) time.Duration {
		v, err := c.Time(name, config.WithMin(min))
		errs = append(errs, err)
		return v
	}
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
	}
	cfg.HeloName = str(heloName)
	if cfg.HeloName == "" {
		cfg.HeloName = gen.Myhostname
	}
	cfg.MyHostname = gen.Myhostname
	lineLimit, err := c.Int(p+"line_length_limit", config.WithMin(0))
	errs = append(errs, err)
	cfg.SMTPLineLimit = lineLimit
	cfg.LineLimit = gen.LineLengthLimit
	cfg.Skip5xxGreeting = bool_(p + "skip_5xx_greeting")
	cfg.QuoteEnvelope = bool_(p + "quote_rfc821_envelope")
	cfg.SkipQuitResponse = bool_(p + "skip_quit_response")
	if !cfg.LMTP {
		cfg.NeverEHLO = bool_("smtp_never_send_ehlo")
	}
	cfg.DiscardEHLO = smtpwire.ParseEHLOMask(str(discard))
	cfg.SoftBounce = gen.SoftBounce
	cfg.DisableUTF8 = !gen.SMTPUTF8Enable
	cfg.DelayResolution = gen.DelayLoggingResolutionLimit
	cfg.FlushDomains = plainDomains(str("fast_flush_domains"))
	cfg.ParentMatches = hasWord(str("parent_domain_matches_subdomains"), "fast_flush_domains")
	cfg.BounceService = gen.BounceServiceName
	cfg.DeferService = gen.DeferServiceName
	cfg.TraceService = gen.TraceServiceName
	cfg.VerifyService = gen.AddressVerifyServiceName
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
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
