package agent

import (
	"strconv"
	"strings"
	"time"

	"github.com/postfix-go/postfix-go/smtp/internal/deliver"
)

// timeval is a time stamp cut to microseconds, the resolution of the
// struct timeval that qmgr sends and log_adhoc() subtracts.
type timeval struct{ sec, usec int64 }

func tv(t time.Time) timeval {
	us := t.UnixMicro()
	return timeval{us / 1e6, us % 1e6}
}

// stamped is TIME_STAMPED(): a zero or pre-epoch stamp means "not set".
func stamped(t time.Time) bool { return !t.IsZero() && t.Unix() > 0 }

// delta is log_adhoc's DELTA(): a - b, normalised, negative clamped to 0.
func delta(a, b time.Time) timeval {
	x, y := tv(a), tv(b)
	d := timeval{x.sec - y.sec, x.usec - y.usec}
	for d.usec < 0 {
		d.usec += 1e6
		d.sec--
	}
	for d.usec >= 1e6 {
		d.usec -= 1e6
		d.sec++
	}
	if d.sec < 0 {
		return timeval{}
	}
	return d
}

// formatTV is format_tv(sec, usec, 2, maxDig): two significant digits,
// never more than maxDig decimals (delay_logging_resolution_limit),
// rounded half up, trailing zeros dropped.
func formatTV(d timeval, maxDig int) string {
	const million = 1000000
	const sigDig = 2
	maxDig = min(max(maxDig, 0), 6)
	pow10 := [...]int64{1, 10, 100, 1000, 10000, 100000, 1000000}
	sec, usec := d.sec, d.usec
	ures := million / pow10[maxDig]
	wid := pow10[sigDig]
	if ures < million {
		if sec > 0 {
			n := int64(1)
			for sec >= n && n <= wid/10 {
				n *= 10
			}
			ures = (million / wid) * n
		} else {
			for usec >= wid*ures {
				ures *= 10
			}
		}
	}
	if ures > 1 {
		usec += ures / 2
		if usec >= million {
			sec++
			usec -= million
		}
	}
	var b strings.Builder
	b.WriteString(strconv.FormatInt(sec, 10))
	if usec >= ures {
		b.WriteByte('.')
		for rem, n := usec, int64(million/10); rem >= ures && n > 0; n /= 10 {
			b.WriteByte(byte('0' + rem/n))
			rem %= n
		}
	}
	return b.String()
}

// delays computes log_adhoc's delay= and delays= fields at now.
func delays(s deliver.MsgStats, now time.Time, maxDig int) (total, parts string) {
	if stamped(s.DeliverDone) {
		now = s.DeliverDone
	}
	var p, a, c, x timeval
	dly := delta(now, s.IncomingArrival)
	switch {
	case !stamped(s.ActiveArrival):
		p = delta(now, s.IncomingArrival)
	case !stamped(s.AgentHandoff):
		p = delta(s.ActiveArrival, s.IncomingArrival)
		a = delta(now, s.ActiveArrival)
	case !stamped(s.ConnSetupDone):
		p = delta(s.ActiveArrival, s.IncomingArrival)
		a = delta(s.AgentHandoff, s.ActiveArrival)
		x = delta(now, s.AgentHandoff)
	default:
		p = delta(s.ActiveArrival, s.IncomingArrival)
		a = delta(s.AgentHandoff, s.ActiveArrival)
		c = delta(s.ConnSetupDone, s.AgentHandoff)
		x = delta(now, s.ConnSetupDone)
	}
	f := func(t timeval) string { return formatTV(t, maxDig) }
	return f(dly), f(p) + "/" + f(a) + "/" + f(c) + "/" + f(x)
}

// logLine is the delivery status record of log_adhoc().
func logLine(queueID string, r deliver.Recipient, relay string, s deliver.MsgStats,
	now time.Time, maxDig int, dsnStatus, status, reason string) string {
	var b strings.Builder
	b.WriteString(queueID)
	b.WriteString(": to=<")
	b.WriteString(quoteAddr(r.Address))
	b.WriteString(">")
	if r.OrigAddr != "" && !strings.EqualFold(r.Address, r.OrigAddr) {
		b.WriteString(", orig_to=<")
		b.WriteString(quoteAddr(r.OrigAddr))
		b.WriteString(">")
	}
	b.WriteString(", relay=")
	b.WriteString(relay)
	if s.ReuseCount > 0 {
		b.WriteString(", conn_use=")
		b.WriteString(strconv.Itoa(s.ReuseCount + 1))
	}
	total, parts := delays(s, now, maxDig)
	b.WriteString(", delay=")
	b.WriteString(total)
	b.WriteString(", delays=")
	b.WriteString(parts)
	b.WriteString(", dsn=")
	b.WriteString(dsnStatus)
	b.WriteString(", status=")
	b.WriteString(status)
	b.WriteString(" (")
	b.WriteString(reason)
	b.WriteString(")")
	return b.String()
}

// quoteAddr is quote_821_local(): the local part stays as it is when it
// is an RFC 821 dot-string, else it becomes a quoted-string. The same
// form serves the envelope (smtp_quote_rfc821_envelope=yes) and the
// default info_log_address_format=external. 8-bit bytes are left alone
// (QUOTE_FLAG_8BITCLEAN, as stock uses for both).
func quoteAddr(addr string) string {
	at := strings.LastIndexByte(addr, '@')
	if at < 0 {
		at = len(addr)
	}
	local, domain := addr[:at], addr[at:]
	if addr == "" || isDotString(local) {
		return addr
	}
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(local); i++ {
		switch c := local[i]; c {
		case '\r', '\n', '"', '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	b.WriteString(domain)
	return b.String()
}

func isDotString(local string) bool {
	if local == "" || local[0] == '.' || local[len(local)-1] == '.' {
		return false
	}
	for i := 0; i < len(local); i++ {
		c := local[i]
		switch {
		case c == '.' && i+1 < len(local) && local[i+1] == '.':
			return false
		case c == ' ', c < 32, c == 127:
			return false
		case strings.IndexByte(`<>()[]\,;:@"`, c) >= 0:
			return false
		}
	}
	return true
}

// xtext is xtext_quote(): '+', the extra specials and every byte outside
// 33..126 become "+XX".
func xtext(s, specials string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '+' || c < 33 || c > 126 || strings.IndexByte(specials, c) >= 0 {
			b.WriteByte('+')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&15])
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// strerror turns a Go errno text ("connection refused") into the C
// library's ("Connection refused"), which is what stock logs after
// "connect to ...: ".
func strerror(text string) string {
	if text == "" {
		return text
	}
	return strings.ToUpper(text[:1]) + text[1:]
}
