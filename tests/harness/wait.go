package harness

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"
)

// pollInterval is short because every wait is bounded by a deadline and
// the things we wait for (log lines, queue files) appear within
// milliseconds to seconds.
const pollInterval = 50 * time.Millisecond

// poll calls cond until it reports true, returns an error, or timeout
// passes; describe explains the last state in the timeout error.
func poll(timeout time.Duration, cond func() (bool, error), describe func() string) error {
	deadline := time.Now().Add(timeout)
	for {
		ok, err := cond()
		if err != nil {
			return err
		}
		if ok {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("timed out after %v: %s", timeout, describe())
		}
		time.Sleep(pollInterval)
	}
}

// LogMark returns the current end of the maillog.
func (in *Instance) LogMark() LogMark {
	fi, err := os.Stat(in.Maillog)
	if err != nil {
		return 0
	}
	return LogMark(fi.Size())
}

// LogLines parses the whole maillog.
func (in *Instance) LogLines() (LogLines, error) { return readLogSince(in.Maillog, 0) }

// LogLinesSince parses the maillog lines written after mark.
func (in *Instance) LogLinesSince(mark LogMark) (LogLines, error) {
	return readLogSince(in.Maillog, mark)
}

// WaitLog waits for a maillog line (anywhere in the file) whose raw text
// matches the regular expression pattern and returns the first one.
func (in *Instance) WaitLog(pattern string, timeout time.Duration) (LogLine, error) {
	re, err := regexp.Compile(pattern)
	if err != nil {
		return LogLine{}, fmt.Errorf("WaitLog: %w", err)
	}
	ls, err := in.WaitLogCount(0, func(l LogLine) bool { return re.MatchString(l.Raw) }, 1, timeout)
	if err != nil {
		return LogLine{}, fmt.Errorf("wait for maillog line /%s/: %w", pattern, err)
	}
	return ls[0], nil
}

// WaitLogSince waits for a line after mark for which match is true.
func (in *Instance) WaitLogSince(mark LogMark, match func(LogLine) bool, timeout time.Duration) (LogLine, error) {
	ls, err := in.WaitLogCount(mark, match, 1, timeout)
	if err != nil {
		return LogLine{}, err
	}
	return ls[0], nil
}

// WaitLogCount waits until at least n lines after mark satisfy match and
// returns all matching lines seen at that point.
func (in *Instance) WaitLogCount(mark LogMark, match func(LogLine) bool, n int, timeout time.Duration) (LogLines, error) {
	var got LogLines
	pos := mark
	err := poll(timeout, func() (bool, error) {
		ls, err := readLogSince(in.Maillog, pos)
		if err != nil {
			return false, err
		}
		for _, l := range ls {
			if match(l) {
				got = append(got, l)
			}
			pos = LogMark(l.Offset + int64(len(l.Raw)) + 1)
		}
		return len(got) >= n, nil
	}, func() string {
		return fmt.Sprintf("%d of %d matching maillog lines (maillog %s)", len(got), n, in.Maillog)
	})
	return got, err
}

// queueDirs are the queues a message passes through or gets stuck in.
var queueDirs = []string{"maildrop", "incoming", "active", "deferred", "hold"}

// QueueCounts counts queue files per queue directory. Reading the
// spool directly works whether or not Postfix is running.
func (in *Instance) QueueCounts() (map[string]int, error) {
	counts := map[string]int{}
	for _, q := range queueDirs {
		n := 0
		err := filepath.WalkDir(filepath.Join(in.Spool, q), func(_ string, d os.DirEntry, err error) error {
			if os.IsNotExist(err) {
				return nil // a file went away while we walked: that's progress
			}
			if err != nil {
				return err
			}
			if d.Type().IsRegular() {
				n++
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("count queue %s: %w", q, err)
		}
		counts[q] = n
	}
	return counts, nil
}

// WaitQueueEmpty waits until no message is left in any queue. It gives
// up early when only deferred or held mail remains, since that would
// sit there until the retry timer, long after any test deadline.
func (in *Instance) WaitQueueEmpty(timeout time.Duration) error {
	var last map[string]int
	err := poll(timeout, func() (bool, error) {
		c, err := in.QueueCounts()
		if err != nil {
			return false, err
		}
		last = c
		moving := c["maildrop"] + c["incoming"] + c["active"]
		if moving == 0 && c["deferred"]+c["hold"] > 0 {
			return false, fmt.Errorf("queue stuck: %s; deferral reasons: %s", formatCounts(c), in.deferReasons())
		}
		return moving+c["deferred"]+c["hold"] == 0, nil
	}, func() string { return "queue not empty: " + formatCounts(last) })
	if err != nil {
		return fmt.Errorf("wait for empty queue in %s: %w", in.Dir, err)
	}
	return nil
}

// deferReasons summarises the non-sent delivery lines for error messages.
func (in *Instance) deferReasons() string {
	ls, err := in.LogLines()
	if err != nil {
		return err.Error()
	}
	seen := map[string]bool{}
	var out []string
	for _, d := range ls.Deliveries() {
		if d.Status != "sent" && !seen[d.Reason] && len(out) < 5 {
			seen[d.Reason] = true
			out = append(out, d.Status+" ("+d.Reason+")")
		}
	}
	if len(out) == 0 {
		return "none logged"
	}
	return strings.Join(out, "; ")
}

func formatCounts(c map[string]int) string {
	keys := make([]string, 0, len(c))
	for k := range c {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "%s=%d ", k, c[k])
	}
	return strings.TrimSpace(b.String())
}

// WaitFor polls cond until it is true, fails, or timeout passes; the
// timeout error includes describe(). Exported for tests that wait on
// state the harness has no specific helper for.
func WaitFor(timeout time.Duration, cond func() (bool, error), describe func() string) error {
	return poll(timeout, cond, describe)
}
