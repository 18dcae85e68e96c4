package conformance

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/postfix-go/postfix-go/tests/scriptsink"
)

// smtpObs is what one side's run left behind, by category, normalised
// so that the two sides compare equal exactly when they behaved alike.
type smtpObs map[string][]string

// Categories, in report order. "batches" is separate from "commands"
// because batch boundaries depend on PIPELINING support, which may
// differ while the command sequence already matches.
var smtpCategories = []string{"commands", "batches", "content", "smtp log", "queue", "status files", "notifications"}

// normaliser rewrites what legitimately differs between the sides.
type normaliser struct {
	repl       *strings.Replacer
	sizeDiffer bool // the queue ids differ in length, so do message sizes
}

var (
	delayRE   = regexp.MustCompile(`delay=[0-9.]+`)
	delaysRE  = regexp.MustCompile(`delays=[0-9./]+`)
	connUseRE = regexp.MustCompile(`, conn_use=\d+`)
	dateRE    = regexp.MustCompile(`(Mon|Tue|Wed|Thu|Fri|Sat|Sun), +\d+ [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d [+-]\d{4}( \([A-Za-z]+\))?`)
	stampRE   = regexp.MustCompile(`\b\d{14}\b|\b\d{10}\b`) // Message-Id and MIME boundary time stamps
	sizeRE    = regexp.MustCompile(`(size=|SIZE=|message size )\d+`)
	offsetRE  = regexp.MustCompile(`^offset=(\d+)$`)
)

// maxLogText caps normalised maillog texts: postlogd truncates long
// lines at a fixed total length, so where a very long reply is cut
// depends on the length of the varying delays= figures before it. The
// full reply text is still compared in status files and notifications.
const maxLogText = 1500

func newNormaliser(r *smtpRun, notes []string, sizeDiffer bool) normaliser {
	pairs := []string{
		r.domain, "SIDE",
		fmt.Sprintf(":%d", r.srv.Port), ":PORT",
		r.qid, "QID",
	}
	for _, q := range notes {
		pairs = append(pairs, q, "NQID")
	}
	return normaliser{repl: strings.NewReplacer(pairs...), sizeDiffer: sizeDiffer}
}

func (n normaliser) line(s string) string {
	s = n.repl.Replace(s)
	s = connUseRE.ReplaceAllString(s, "")
	s = delaysRE.ReplaceAllString(s, "delays=D")
	s = delayRE.ReplaceAllString(s, "delay=D")
	s = dateRE.ReplaceAllString(s, "DATE")
	s = stampRE.ReplaceAllString(s, "STAMP")
	if n.sizeDiffer {
		s = sizeRE.ReplaceAllString(s, "${1}N")
	}
	return s
}

func (n normaliser) lines(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = n.line(s)
	}
	return out
}

// observe collects one side's results once the instance has settled.
func (e *smtpEnv) observe(t *testing.T, r *smtpRun, sizeDiffer bool) smtpObs {
	t.Helper()
	lines, err := e.in.LogLinesSince(r.mark)
	if err != nil {
		t.Fatal(err)
	}
	// Notifications about this message, found through bounce(8)'s
	// "QID: sender non-delivery notification: NQID" lines.
	var notes, noteLines []string
	for _, l := range lines.Program("bounce") {
		if strings.HasPrefix(l.Text, r.qid+": ") {
			noteLines = append(noteLines, l.Text)
			f := strings.Fields(l.Text)
			notes = append(notes, f[len(f)-1])
		}
	}
	n := newNormaliser(r, notes, sizeDiffer)
	o := smtpObs{}
	for _, s := range r.srv.Sessions() {
		o["commands"] = append(o["commands"], n.lines(s.Lines)...)
		o["commands"] = append(o["commands"], "-- end of session")
		for _, b := range s.Batches {
			o["batches"] = append(o["batches"], strings.Join(b, " "))
		}
		for _, c := range s.Content {
			o["content"] = append(append(o["content"], n.lines(c)...), "-- end of content")
		}
	}
	for _, l := range lines {
		if l.Tag == r.side.tag {
			text := n.line(l.Text)
			if len(text) > maxLogText {
				text = text[:maxLogText] + "...(cut)"
			}
			o["smtp log"] = append(o["smtp log"], text)
		}
		if l.Program == "qmgr" && strings.HasPrefix(l.Text, r.qid+": ") {
			o["queue"] = append(o["queue"], "qmgr: "+n.line(l.Text))
		}
	}
	o["queue"] = append(o["queue"], e.queueState(t, r, n)...)
	o["status files"] = statusFiles(t, e.in.Spool, r.qid, n)
	o["notifications"] = n.lines(noteLines)
	for _, s := range e.collector.Sessions() {
		if !mentions(s, r.sender) {
			continue
		}
		for _, c := range s.Content {
			o["notifications"] = append(append(o["notifications"], n.lines(c)...), "-- end of notification")
		}
	}
	return o
}

func mentions(s scriptsink.Session, addr string) bool {
	for _, l := range s.Lines {
		if strings.HasPrefix(l, "C: RCPT TO:<"+addr+">") {
			return true
		}
	}
	return false
}

// queueState is what showq says about the message: its queue and each
// pending recipient's delay reason, or that it is gone.
func (e *smtpEnv) queueState(t *testing.T, r *smtpRun, n normaliser) []string {
	q, err := e.in.Queue()
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range q {
		if m.QueueID != r.qid {
			continue
		}
		out := []string{"postqueue: queue " + m.QueueName}
		for _, rc := range m.Recipients {
			out = append(out, n.line("postqueue: pending <"+rc.Address+"> ("+rc.DelayReason+")"))
		}
		return out
	}
	return []string{"postqueue: message gone"}
}

// statusFiles returns the defer and bounce logfiles of the message (the
// per-recipient records the status services keep until the message is
// done), with the queue directory's hashing levels ignored.
func statusFiles(t *testing.T, spool, qid string, n normaliser) []string {
	var out []string
	for _, dir := range []string{"defer", "bounce"} {
		var paths []string
		for _, pat := range []string{qid, "*/" + qid, "*/*/" + qid} {
			m, _ := filepath.Glob(filepath.Join(spool, dir, pat))
			paths = append(paths, m...)
		}
		sort.Strings(paths)
		for _, p := range paths {
			b, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, "== "+dir)
			out = append(out, relativeOffsets(n.lines(strings.Split(strings.TrimRight(string(b), "\n"), "\n")))...)
		}
	}
	if len(out) == 0 {
		out = []string{"(no defer or bounce logfile)"}
	}
	return out
}

// relativeOffsets rewrites the recipients' queue-file offsets relative
// to the smallest one. Absolute offsets differ between two messages
// with the same envelope because the arrival time record holds the
// microseconds without padding; the distances between recipient
// records do not.
func relativeOffsets(lines []string) []string {
	base := -1
	for _, l := range lines {
		if m := offsetRE.FindStringSubmatch(l); m != nil {
			if v, _ := strconv.Atoi(m[1]); base < 0 || v < base {
				base = v
			}
		}
	}
	out := make([]string, len(lines))
	for i, l := range lines {
		out[i] = l
		if m := offsetRE.FindStringSubmatch(l); m != nil {
			v, _ := strconv.Atoi(m[1])
			out[i] = fmt.Sprintf("offset=first+%d", v-base)
		}
	}
	return out
}

// diffObs describes where two observation lists first differ, and
// prints both in full.
func diffObs(stock, ours []string) string {
	i := 0
	for i < len(stock) && i < len(ours) && stock[i] == ours[i] {
		i++
	}
	if i == len(stock) && i == len(ours) {
		return ""
	}
	at := func(s []string) string {
		if i < len(s) {
			return s[i]
		}
		return "(nothing)"
	}
	return fmt.Sprintf("first difference at line %d:\n  stock: %s\n  ours:  %s\nstock in full:\n  %s\nours in full:\n  %s",
		i+1, at(stock), at(ours), strings.Join(stock, "\n  "), strings.Join(ours, "\n  "))
}
