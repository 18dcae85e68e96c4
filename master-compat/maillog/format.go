package maillog

import (
	"strconv"
	"strings"
	"time"
)

// RecordLimit is the number of text bytes a record may carry; Postfix stays
// below the 2048-byte limit of old syslog() implementations and uses the
// same cap for postlog. The severity prefix is not counted.
const RecordLimit = 2000

// severity is the Postfix message level (MSG_INFO … MSG_PANIC).
type severity int

const (
	sevInfo severity = iota
	sevWarn
	sevError
	sevFatal
	sevPanic
)

// label is the text prefix a severity adds to a record; info has none.
func (s severity) label() string {
	return [...]string{"", "warning", "error", "fatal", "panic"}[s]
}

// syslogLevel maps a severity to the syslog(3) level Postfix uses; fatal and
// panic both become LOG_CRIT.
func (s severity) syslogLevel() int {
	return [...]int{logInfo, logWarning, logErr, logCrit, logCrit}[s]
}

// syslog(3) levels.
const (
	logCrit    = 2
	logErr     = 3
	logWarning = 4
	logInfo    = 6
)

// sanitize replaces what Postfix's printable() would replace with '?':
// control characters and non-ASCII bytes, except well-formed-looking UTF-8
// sequences when smtputf8 is on. Records stay one line this way.
func sanitize(text string, utf8 bool) string {
	var b []byte // allocated only when something changes
	for i := 0; i < len(text); i++ {
		c := text[i]
		if c >= 0x20 && c < 0x7f {
			continue
		}
		if utf8 && c >= 194 && c <= 254 && i+1 < len(text) && isCont(text[i+1]) {
			// Like Postfix, accept a lead byte and all continuation bytes
			// that follow it, without checking the sequence length.
			for i+1 < len(text) && isCont(text[i+1]) {
				i++
			}
			continue
		}
		if b == nil {
			b = []byte(text)
		}
		b[i] = '?'
	}
	if b == nil {
		return text
	}
	return string(b)
}

func isCont(c byte) bool { return c >= 0x80 && c < 0xc0 }

// truncate cuts text to RecordLimit bytes; like C's "%.*s" it may split a
// UTF-8 sequence.
func truncate(text string) string {
	if len(text) > RecordLimit {
		return text[:RecordLimit]
	}
	return text
}

// body is "severity: text" (or just text for info) with text capped.
func body(sev severity, text string) string {
	if sev == sevInfo {
		return truncate(text)
	}
	return sev.label() + ": " + truncate(text)
}

// firstLabel returns the host name up to the first dot, as postlog records
// carry only that.
func firstLabel(host string) string {
	if i := strings.IndexByte(host, '.'); i >= 0 {
		return host[:i]
	}
	return host
}

// postlogRecord formats one datagram for postlogd(8): strftime
// "%b %d %H:%M:%S " (zero-padded day), host label, "ident[pid]: ", body.
func postlogRecord(now time.Time, host, ident string, pid int, sev severity, text string) []byte {
	b := make([]byte, 0, 64+len(ident)+len(text))
	b = now.AppendFormat(b, "Jan 02 15:04:05 ")
	b = append(b, firstLabel(host)...)
	b = append(b, ' ')
	b = appendIdent(b, ident, pid)
	return append(b, body(sev, text)...)
}

// syslogRecord formats what glibc's syslog() sends for
// openlog(ident, LOG_PID, …): "<PRI>%h %e %T ident[pid]: body" (day padded
// with a space, C-locale month, no host name).
func syslogRecord(now time.Time, facility int, ident string, pid int, sev severity, text string) []byte {
	b := make([]byte, 0, 64+len(ident)+len(text))
	b = append(b, '<')
	b = strconv.AppendInt(b, int64(facility|sev.syslogLevel()), 10)
	b = append(b, '>')
	b = now.AppendFormat(b, "Jan _2 15:04:05 ")
	b = appendIdent(b, ident, pid)
	return append(b, body(sev, text)...)
}

// stderrRecord formats a -V copy like Postfix's msg_vstream: "ident: body\n",
// without pid and without the length cap.
func stderrRecord(ident string, sev severity, text string) []byte {
	b := make([]byte, 0, len(ident)+len(text)+16)
	b = append(b, ident...)
	b = append(b, ": "...)
	if sev != sevInfo {
		b = append(b, sev.label()...)
		b = append(b, ": "...)
	}
	b = append(b, text...)
	return append(b, '\n')
}

func appendIdent(b []byte, ident string, pid int) []byte {
	b = append(b, ident...)
	b = append(b, '[')
	b = strconv.AppendInt(b, int64(pid), 10)
	return append(b, "]: "...)
}
