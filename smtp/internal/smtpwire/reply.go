package smtpwire

import "strings"

// Reply is one server reply as smtp_chat_resp() returns it (SMTP_RESP).
type Reply struct {
	// Code is the numeric value of the three digits that start the last
	// line. Postfix never sanitises it beyond the three-digit check, so it
	// can be anything from 0 ("000") to 999.
	Code int
	// Status is the enhanced status code, always of the form "x.y.z" with
	// x in 2, 4 or 5 (see parseStatus).
	Status string
	// Lines holds the reply lines that were stored, after sanitising and
	// smtp_reply_filter replacement, in order. Lines read after the stored
	// text reached line_length_limit are not kept (Dropped counts them).
	Lines []string
	// Received holds the same lines as Lines before smtp_reply_filter
	// replaced any: the "In:" entries of the session transcript that
	// smtp_chat_notify() mails to the postmaster.
	Received []string
	// Text is resp->str: the stored lines joined with "\n". Postfix adds
	// the separator only when the text so far is non-empty, so leading
	// empty lines leave no trace.
	Text string
	// ProtocolError reports that the reply contained a line that was not
	// "ddd-", "ddd " or "ddd". Stock smtp then sets MAIL_ERROR_PROTOCOL on
	// the session and does not cache it.
	ProtocolError bool
	// Truncated reports that at least one line was longer than the limit
	// and was cut ("response longer than").
	Truncated bool
	// Dropped counts lines read but not stored ("multi-line response
	// longer than").
	Dropped int
}

// Class is the reply's first digit: 2, 3, 4 or 5 for conforming servers.
func (r Reply) Class() int { return r.Code / 100 }

// Logged is the reply text as Postfix logs and reports it (in "host %s
// said: %s", "refused to talk to me: %s" and the status=... reason):
// translit(resp->str, "\n", " ").
func (r Reply) Logged() string { return strings.ReplaceAll(r.Text, "\n", " ") }

// String returns Logged().
func (r Reply) String() string { return r.Logged() }

// Said formats the stock failure reason "host %s said: %s (in reply to
// %s)", e.g. Said("mx[192.0.2.1]", "RCPT TO command").
func (r Reply) Said(namaddr, inReplyTo string) string {
	return "host " + namaddr + " said: " + r.Logged() + " (in reply to " + inReplyTo + ")"
}

// WithStatusClass returns a copy whose enhanced status starts with c.
// smtp_helo() uses this to turn a 5xx greeting into a soft error when
// smtp_skip_5xx_greeting=yes (STR(resp->dsn_buf)[0] = '4').
func (r Reply) WithStatusClass(c byte) Reply {
	if r.Status != "" {
		r.Status = string(c) + r.Status[1:]
	}
	return r
}

// parseStatus derives the enhanced status from the last reply line the
// way smtp_chat_resp() does: only for 2xx/4xx/5xx replies, from the text
// after "ddd" and one more character with leading spaces skipped, and only
// when its class digit matches the reply's; otherwise "N.0.0". Other
// replies get "5.5.0" so that nothing downstream mistakes them for a
// success or a soft error.
func parseStatus(last string) string {
	c := last[0]
	if c != '2' && c != '4' && c != '5' {
		return "5.5.0"
	}
	// Postfix looks at buffer+4 even when the line is just "ddd"; that
	// reads past the terminator into stale buffer contents. Treat it as
	// empty text.
	var rest string
	if len(last) > 4 {
		rest = strings.TrimLeft(last[4:], " ")
	}
	if n := dsnValid(rest); n > 0 && rest[0] == c {
		return rest[:n]
	}
	return string(c) + ".0.0"
}

// dsnValid returns the length of the RFC 3463 status code at the start of
// s, or 0: class 2, 4 or 5, then 1-3 digits, then 1-3 digits ending at the
// end of s or at white space (dsn_valid() in dsn_util.c).
func dsnValid(s string) int {
	if len(s) < 2 || (s[0] != '2' && s[0] != '4' && s[0] != '5') || s[1] != '.' {
		return 0
	}
	i := 2
	n := countDigits(s[i:])
	if n < 1 || n > 3 || i+n >= len(s) || s[i+n] != '.' {
		return 0
	}
	i += n + 1
	n = countDigits(s[i:])
	if n < 1 || n > 3 || (i+n < len(s) && !isCSpace(s[i+n])) {
		return 0
	}
	return i + n
}

func countDigits(s string) int {
	n := 0
	for n < len(s) && isDigit(s[n]) {
		n++
	}
	return n
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// isCSpace is isspace() in the C locale.
func isCSpace(c byte) bool {
	return c == ' ' || (c >= '\t' && c <= '\r')
}
