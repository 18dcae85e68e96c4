package agent

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/postfix-go/postfix-go/smtp/internal/deliver"
	"github.com/postfix-go/postfix-go/smtp/internal/smtpwire"
)

// mailCommand builds MAIL FROM with the parameters the server supports.
func (s *session) mailCommand() string {
	req, f := s.d.req, s.features
	var b strings.Builder
	b.WriteString("MAIL FROM:<")
	b.WriteString(s.envelope(req.Sender))
	b.WriteString(">")
	// SIZE is withheld when the content will be converted: the
	// converted size is not known in advance.
	if f&smtpwire.FeatureSIZE != 0 && !s.downgrading() {
		b.WriteString(" SIZE=")
		b.WriteString(strconv.FormatInt(req.DataSize, 10))
	}
	if f&smtpwire.Feature8BITMIME != 0 {
		switch req.Encoding {
		case "8bit":
			b.WriteString(" BODY=8BITMIME")
		case "7bit":
			b.WriteString(" BODY=7BIT")
		case "":
		default:
			s.d.a.log.Warn(fmt.Sprintf("%s: unknown content encoding: %s", req.QueueID, req.Encoding))
		}
	}
	if f&smtpwire.FeatureDSN != 0 {
		if req.EnvID != "" {
			b.WriteString(" ENVID=")
			b.WriteString(xtext(req.EnvID, "+="))
		}
		if req.Ret != 0 {
			b.WriteString(" RET=")
			b.WriteString(req.Ret.String())
		}
	}
	if f&smtpwire.FeatureSMTPUTF8 != 0 && req.SendOpts&deliver.SendOptSMTPUTF8Requested != 0 {
		b.WriteString(" SMTPUTF8")
	}
	return b.String()
}

// rcptCommand builds RCPT TO, with ORCPT and NOTIFY for DSN servers.
func (s *session) rcptCommand(r deliver.Recipient) string {
	var b strings.Builder
	b.WriteString("RCPT TO:<")
	b.WriteString(s.envelope(r.Address))
	b.WriteString(">")
	if s.features&smtpwire.FeatureDSN == 0 {
		return b.String()
	}
	orcpt := r.DSNOrcpt
	if orcpt == "" && r.OrigAddr != "" {
		q := quoteAddr(r.OrigAddr)
		if s.d.req.SendOpts != 0 && !isASCII(q) {
			orcpt = "utf-8;" + q
		} else {
			orcpt = "rfc822;" + q
		}
	}
	// utf-8 ORCPT values need uxtext, which this slice lacks; stock
	// also omits ORCPT when it cannot encode it.
	if orcpt != "" && !(len(orcpt) >= 6 && strings.EqualFold(orcpt[:6], "utf-8;")) {
		b.WriteString(" ORCPT=")
		b.WriteString(xtext(orcpt, "="))
	}
	if r.Notify != 0 {
		b.WriteString(" NOTIFY=")
		b.WriteString(r.Notify.String())
	}
	return b.String()
}

// envelope quotes an envelope address when smtp_quote_rfc821_envelope.
func (s *session) envelope(addr string) string {
	if !s.d.a.cfg.QuoteEnvelope {
		return addr
	}
	return quoteAddr(addr)
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// forwardable is stock's test for a client attribute worth forwarding:
// present, and for names and addresses not the "unknown" placeholder.
func forwardable(v string, unknownIsAbsent bool) bool {
	return v != "" && !(unknownIsAbsent && strings.EqualFold(v, "unknown"))
}

// xforwardCommands builds the XFORWARD commands sent ahead of MAIL when
// smtp_send_xforward_command is on: one for the client's name, address
// and port, one for protocol, HELO name, log ident and source, each only
// when the server announced one of its attributes and the request has a
// value for it. Values are xtext-encoded; '=' is left as is, as stock does.
func (s *session) xforwardCommands() []string {
	if !s.d.a.cfg.SendXforward {
		return nil
	}
	c, f := &s.d.req.Client, s.features
	type attr struct {
		feature smtpwire.Features
		name    string
		value   string
		ok      bool
	}
	source := ""
	if c.RewriteContext != "" {
		source = "REMOTE"
		if c.RewriteContext == "local" {
			source = "LOCAL"
		}
	}
	groups := [2][]attr{
		{
			{smtpwire.FeatureXforwardName, "NAME", c.Name, forwardable(c.Name, true)},
			{smtpwire.FeatureXforwardAddr, "ADDR", c.Addr, forwardable(c.Addr, true)},
			{smtpwire.FeatureXforwardPort, "PORT", c.Port, forwardable(c.Port, true)},
		},
		{
			{smtpwire.FeatureXforwardProto, "PROTO", c.Proto, forwardable(c.Proto, true)},
			{smtpwire.FeatureXforwardHelo, "HELO", c.Helo, forwardable(c.Helo, false)},
			{smtpwire.FeatureXforwardIdent, "IDENT", c.LogIdent, forwardable(c.LogIdent, false)},
			{smtpwire.FeatureXforwardDomain, "SOURCE", source, source != ""},
		},
	}
	var cmds []string
	for _, g := range groups {
		var b strings.Builder
		for _, a := range g {
			if f&a.feature != 0 && a.ok {
				b.WriteString(" " + a.name + "=" + xtext(a.value, ""))
			}
		}
		if b.Len() > 0 {
			cmds = append(cmds, "XFORWARD"+b.String())
		} else {
			cmds = append(cmds, "")
		}
	}
	return cmds
}
