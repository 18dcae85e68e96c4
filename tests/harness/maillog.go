package harness

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// LogLine is one parsed maillog line, e.g.
//
//	Nov 29 07:36:00 vm pft1a2b/smtp[4942]: 334A598424E: to=<b@example.com>, ...
type LogLine struct {
	Time    time.Time // syslog stamps have no year; the current year is assumed
	Host    string
	Tag     string // syslog tag without pid: "pft1a2b/smtp"
	Program string // last element of Tag: "smtp", "scache", "master"
	PID     int
	Text    string // the message after "]: "
	Raw     string
	Offset  int64 // byte offset of the line in the maillog; usable as a LogMark
}

// Severity is "warning", "error", "fatal" or "panic" when Postfix
// prefixed the message with it, else "" (informational).
func (l LogLine) Severity() string {
	for _, s := range []string{"warning", "error", "fatal", "panic"} {
		if strings.HasPrefix(l.Text, s+": ") {
			return s
		}
	}
	return ""
}

func (l LogLine) String() string { return l.Raw }

// LogMark is a position in the maillog; "since mark" queries only see
// lines written after it was taken.
type LogMark int64

var logLineRE = regexp.MustCompile(
	`^([A-Z][a-z]{2} [ 0-9]\d \d\d:\d\d:\d\d|\d{4}-\d\d-\d\dT\S+) (\S+) ([^\s\[:]+)(?:\[(\d+)\])?: (.*)$`)

// ParseLogLine parses one maillog line (without newline). Lines that do
// not look like syslog lines are returned with only Raw set and ok false.
func ParseLogLine(raw string, now time.Time) (LogLine, bool) {
	l := LogLine{Raw: raw}
	m := logLineRE.FindStringSubmatch(raw)
	if m == nil {
		return l, false
	}
	l.Time = parseStamp(m[1], now)
	l.Host, l.Tag, l.Text = m[2], m[3], m[5]
	l.Program = l.Tag[strings.LastIndexByte(l.Tag, '/')+1:]
	if m[4] != "" {
		l.PID, _ = strconv.Atoi(m[4])
	}
	return l, true
}

// parseStamp understands the classic "Jan _2 15:04:05" stamp that
// maillog_file uses and RFC 3339 for good measure.
func parseStamp(s string, now time.Time) time.Time {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t
	}
	t, err := time.ParseInLocation(time.Stamp, s, time.Local)
	if err != nil {
		return time.Time{}
	}
	t = t.AddDate(now.Year(), 0, 0)
	if t.After(now.Add(24 * time.Hour)) { // a December line read in January
		t = t.AddDate(-1, 0, 0)
	}
	return t
}

// readLogSince parses complete lines of the maillog at path from byte
// offset since. A missing file means no lines yet.
func readLogSince(path string, since LogMark) (LogLines, error) {
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("open maillog: %w", err)
	}
	defer f.Close()
	if _, err := f.Seek(int64(since), io.SeekStart); err != nil {
		return nil, fmt.Errorf("seek maillog: %w", err)
	}
	b, err := io.ReadAll(f)
	if err != nil {
		return nil, fmt.Errorf("read maillog: %w", err)
	}
	// postlogd writes whole lines, but a line may be half-way through
	// its write(2) when we read; leave it for the next poll.
	if i := bytes.LastIndexByte(b, '\n'); i >= 0 {
		b = b[:i+1]
	} else {
		b = nil
	}
	now := time.Now()
	var out LogLines
	off := int64(since)
	for len(b) > 0 {
		i := bytes.IndexByte(b, '\n')
		raw := string(b[:i])
		l, _ := ParseLogLine(raw, now)
		l.Offset = off
		out = append(out, l)
		off += int64(i + 1)
		b = b[i+1:]
	}
	return out, nil
}

// LogLines is a slice of parsed maillog lines with filter helpers.
type LogLines []LogLine

// Filter keeps the lines for which keep returns true.
func (ls LogLines) Filter(keep func(LogLine) bool) LogLines {
	var out LogLines
	for _, l := range ls {
		if keep(l) {
			out = append(out, l)
		}
	}
	return out
}

// Program keeps lines logged by the named program ("scache", "master").
func (ls LogLines) Program(name string) LogLines {
	return ls.Filter(func(l LogLine) bool { return l.Program == name })
}

// PID keeps lines logged by process pid.
func (ls LogLines) PID(pid int) LogLines {
	return ls.Filter(func(l LogLine) bool { return l.PID == pid })
}

// Match keeps lines whose Text matches the regular expression re.
func (ls LogLines) Match(re string) LogLines {
	r := regexp.MustCompile(re)
	return ls.Filter(func(l LogLine) bool { return r.MatchString(l.Text) })
}

// Problems keeps warning, error, fatal and panic lines.
func (ls LogLines) Problems() LogLines {
	return ls.Filter(func(l LogLine) bool { return l.Severity() != "" })
}

// Texts returns the Text of every line, handy in failure messages.
func (ls LogLines) Texts() []string {
	out := make([]string, len(ls))
	for i, l := range ls {
		out[i] = l.Text
	}
	return out
}

// String joins the raw lines, one per line.
func (ls LogLines) String() string {
	var b strings.Builder
	for _, l := range ls {
		b.WriteString(l.Raw)
		b.WriteByte('\n')
	}
	return b.String()
}
