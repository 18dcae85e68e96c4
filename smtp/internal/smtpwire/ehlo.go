package smtpwire

import (
	"math"
	"strings"
)

// EHLOOptions configure ParseEHLO.
type EHLOOptions struct {
	// Discard is the keyword mask to ignore: ParseEHLOMask of the
	// smtp_discard_ehlo_keyword_address_maps result for the server, or
	// of smtp_discard_ehlo_keywords when the map has no entry.
	Discard EHLOMask
	// SASL is smtp_sasl_auth_enable. Without it AUTH is not a keyword.
	SASL bool
	// FilterMechs is smtp_sasl_mechanism_filter applied to one AUTH
	// line's mechanism list (sasl_mech_filter); nil keeps all. It is not
	// called for an empty list.
	FilterMechs func(mechs string) string
	// LineLimit is line_length_limit, which also caps the concatenated
	// AUTH mechanism list. Zero or negative means DefaultLineLimit.
	LineLimit int
	// Peer is namaddrport, used in the warning texts.
	Peer string
}

// EHLOResult is what smtp_helo() learns from an EHLO or LHLO reply.
type EHLOResult struct {
	// Features holds the bits set by keywords. FeatureESMTP is not among
	// them: the caller sets it when it decided to send EHLO/LHLO.
	Features Features
	// HeloName is the first word of the first line (session->helo), in
	// the server's case. The caller compares it with $myhostname
	// (EqualFoldASCII) for loop detection.
	HeloName string
	// SizeLimit is the SIZE parameter: 0 when absent, -1 when it
	// overflows (Postfix's off_cvt_string; both mean "no limit").
	SizeLimit int64
	// AuthMechs is the concatenated AUTH mechanism list
	// (session->sasl_mechanism_list), empty when none.
	AuthMechs string
	// Warnings holds the stock warning texts, in order.
	Warnings []string
}

// ParseEHLO parses an EHLO/LHLO reply text (Reply.Text) like smtp_helo():
// per line, the first word (the code, ended by "-" or space) is skipped,
// the keyword ends at space, TAB or "=" (accepting the old "AUTH=LOGIN"),
// keywords compare case-insensitively, unknown ones are ignored. The first
// line that has a keyword position supplies the server name instead.
// Garbage lines are parsed the same way; only the stored part of the reply
// is seen.
func ParseEHLO(text string, opt *EHLOOptions) EHLOResult {
	var o EHLOOptions
	if opt != nil {
		o = *opt
	}
	if o.LineLimit <= 0 {
		o.LineLimit = DefaultLineLimit
	}
	var res EHLOResult
	n := 0
	lines := text
	for {
		var line string
		if line, lines = strtok(lines, "\n"); line == "" {
			break
		}
		rest := line
		var code, word string
		if code, rest = strtok(rest, "- "); code == "" {
			continue
		}
		if word, rest = strtok(rest, " \t="); word == "" {
			continue
		}
		if n == 0 {
			res.HeloName = word
		} else {
			res.keyword(word, rest, &o)
		}
		n++
	}
	return res
}

// keyword handles one EHLO keyword; rest is the text after it.
func (res *EHLOResult) keyword(word, rest string, o *EHLOOptions) {
	on := func(m EHLOMask) bool { return o.Discard&m == 0 }
	switch {
	case EqualFoldASCII(word, "8BITMIME"):
		if on(EHLO8BITMIME) {
			res.Features |= Feature8BITMIME
		}
	case EqualFoldASCII(word, "PIPELINING"):
		if on(EHLOPipelining) {
			res.Features |= FeaturePIPELINING
		}
	case EqualFoldASCII(word, "XFORWARD"):
		if on(EHLOXforward) {
			for {
				var attr string
				if attr, rest = strtok(rest, " \t"); attr == "" {
					break
				}
				res.Features |= xforwardFeature(attr)
			}
		}
	case EqualFoldASCII(word, "SIZE"):
		if on(EHLOSize) {
			res.Features |= FeatureSIZE
			if v, _ := strtok(rest, " \t"); v != "" {
				if countDigits(v) != len(v) {
					res.Warnings = append(res.Warnings,
						"bad EHLO SIZE limit \""+v+"\" from "+o.Peer)
				} else {
					res.SizeLimit = parseSize(v)
				}
			}
		}
	case EqualFoldASCII(word, "STARTTLS"):
		if on(EHLOStartTLS) {
			res.Features |= FeatureSTARTTLS
		}
	case o.SASL && EqualFoldASCII(word, "AUTH"):
		if on(EHLOAuth) {
			res.auth(rest, o)
		}
	case EqualFoldASCII(word, "DSN"):
		if on(EHLODSN) {
			res.Features |= FeatureDSN
		}
	case EqualFoldASCII(word, "SMTPUTF8"):
		if on(EHLOSMTPUTF8) {
			res.Features |= FeatureSMTPUTF8
		}
	}
}

// auth is smtp_sasl_helo_auth(): the first non-empty list is kept,
// different later lists are appended while the list is shorter than
// line_length_limit, and an empty list still announces AUTH.
func (res *EHLOResult) auth(words string, o *EHLOOptions) {
	mechs := words
	if o.FilterMechs != nil && words != "" {
		mechs = o.FilterMechs(words)
	}
	if res.AuthMechs != "" {
		if !EqualFoldASCII(res.AuthMechs, mechs) && mechs != "" && len(res.AuthMechs) < o.LineLimit {
			res.AuthMechs += " " + mechs
		}
		return
	}
	if mechs != "" {
		res.AuthMechs = mechs
	} else if words != "" {
		res.Warnings = append(res.Warnings, o.Peer+" offered no supported AUTH mechanisms: '"+words+"'")
	} else {
		res.Warnings = append(res.Warnings, o.Peer+" offered null AUTH mechanism list")
	}
	res.Features |= FeatureAUTH
}

// xforwardFeature maps an XFORWARD attribute name to its feature bit
// (name_code, case-insensitive); unknown names map to 0.
func xforwardFeature(attr string) Features {
	for _, x := range [...]struct {
		name string
		bit  Features
	}{
		{"NAME", FeatureXforwardName},
		{"ADDR", FeatureXforwardAddr},
		{"PORT", FeatureXforwardPort},
		{"PROTO", FeatureXforwardProto},
		{"HELO", FeatureXforwardHelo},
		{"IDENT", FeatureXforwardIdent},
		{"SOURCE", FeatureXforwardDomain},
	} {
		if EqualFoldASCII(attr, x.name) {
			return x.bit
		}
	}
	return 0
}

// parseSize is off_cvt_string() for an all-digit string: -1 on overflow.
func parseSize(v string) int64 {
	var n int64
	for i := 0; i < len(v); i++ {
		d := int64(v[i] - '0')
		if n > math.MaxInt64/10 || n*10 > math.MaxInt64-d {
			return -1
		}
		n = n*10 + d
	}
	return n
}

// Greeting is what smtp_helo() learns from the 220 banner text.
type Greeting struct {
	// ESMTP: some word after the code is "ESMTP" (any case).
	ESMTP bool
	// OwnName: the first word after the code is $myhostname (any case);
	// stock warns "host %s greeted me with my own hostname %s" when
	// loop detection applies.
	OwnName bool
	// PIX: the text consists only of '2', '0', '*', space, TAB and LF,
	// the Cisco PIX signature that enables smtp_pix_workarounds.
	PIX bool
}

// ParseGreeting examines a greeting text (Reply.Text) like smtp_helo().
// The code is the first word ended by "-", space, TAB or LF; the words
// after it are split at space, TAB and LF, so in a multi-line greeting the
// codes of later lines count as words too.
func ParseGreeting(text, myhostname string) Greeting {
	var g Greeting
	g.PIX = onlyChars(text, "20 *\t\n")
	_, rest := strtok(text, "- \t\n")
	for n := 0; ; n++ {
		var w string
		if w, rest = strtok(rest, " \t\n"); w == "" {
			break
		}
		if n == 0 && EqualFoldASCII(w, myhostname) {
			g.OwnName = true
		} else if EqualFoldASCII(w, "ESMTP") {
			g.ESMTP = true
		}
	}
	return g
}

func onlyChars(s, set string) bool {
	for i := 0; i < len(s); i++ {
		if strings.IndexByte(set, s[i]) < 0 {
			return false
		}
	}
	return true
}

// strtok is mystrtok(): skip leading separators, return the token up to
// the next separator and the text after that one separator. An empty
// token means the input held no more tokens.
func strtok(s, sep string) (tok, rest string) {
	i := 0
	for i < len(s) && strings.IndexByte(sep, s[i]) >= 0 {
		i++
	}
	s = s[i:]
	if s == "" {
		return "", ""
	}
	j := 0
	for j < len(s) && strings.IndexByte(sep, s[j]) < 0 {
		j++
	}
	if j < len(s) {
		return s[:j], s[j+1:]
	}
	return s, ""
}
