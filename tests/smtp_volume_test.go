package tests

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/postfix-go/postfix-go/tests/harness"
)

// TestSMTPVolume is TestSMTPConnectionCache at 1,000 messages, plus a
// check that every delivery line has the shape of the stock smtp's
// lines: same fields in the same order, numbers formatted the same way.
// It runs once with the stock scache and once with ours.
func TestSMTPVolume(t *testing.T) {
	harness.Require(t)
	ref := stockLineShapes(t)
	forEachScache(t, func(t *testing.T, bin string) { testSMTPVolume(t, bin, ref) })
}

// volumeOptions cache connections to the sink, so that conn_use shows.
func volumeOptions(smtp, scache string) harness.Options {
	opts := harness.Options{
		MainCF: map[string]string{
			// The bare host of relayhost = [127.0.0.1]:port.
			"smtp_connection_cache_destinations": "127.0.0.1",
			// No DNS anywhere: the next-hop is an address literal, and
			// the stock smtp must never consult /etc/resolv.conf.
			"disable_dns_lookups": "yes",
		},
		Replace: map[string]string{},
	}
	if smtp != "" {
		opts.Replace["smtp"] = smtp
	}
	if scache != "" {
		opts.Replace["scache"] = scache
	}
	return opts
}

// Value formats of a delivery line (spec §4.10). delay values follow
// format_tv(): at most two significant digits, no trailing zeros,
// integers from 10 s on.
var (
	delayRE = `(0|0\.(0[1-9]|[1-9][1-9]?)|[1-9](\.[1-9])?|[1-9]\d+)`
	lineREs = map[string]*regexp.Regexp{
		"delay":    regexp.MustCompile(`^` + delayRE + `$`),
		"delays":   regexp.MustCompile(`^` + delayRE + `/` + delayRE + `/` + delayRE + `/` + delayRE + `$`),
		"conn_use": regexp.MustCompile(`^([2-9]|[1-9]\d+)$`),
		"dsn":      regexp.MustCompile(`^2\.0\.0$`),
		"status":   regexp.MustCompile(`^sent$`),
	}
	fieldKeyRE = regexp.MustCompile(`(?:^|, )([a-z_]+)=`)
)

// lineShape is a delivery line reduced to what must match stock: the
// field names in order, and relay and reason with the sink port elided.
func lineShape(d harness.Delivery, port int) string {
	text := strings.TrimPrefix(d.Line.Text, d.QueueID+": ")
	head, _, _ := strings.Cut(text, " (") // the reason may contain "x="
	var keys []string
	for _, m := range fieldKeyRE.FindAllStringSubmatch(head, -1) {
		keys = append(keys, m[1])
	}
	p := fmt.Sprint(port)
	return fmt.Sprintf("%s relay=%s (%s)", strings.Join(keys, ","),
		strings.ReplaceAll(d.Relay, p, "PORT"), strings.ReplaceAll(d.Reason, p, "PORT"))
}

// checkLineValues fails on a field value that does not look like stock's.
func checkLineValues(t *testing.T, who string, d harness.Delivery) {
	t.Helper()
	for k, re := range lineREs {
		if v, has := d.Fields[k]; (has || k != "conn_use") && !re.MatchString(v) {
			t.Errorf("%s: field %s=%q does not match /%s/: %s", who, k, v, re, d.Line.Raw)
		}
	}
}

// stockLineShapes delivers 40 messages with the stock smtp and scache
// and returns the set of line shapes seen; it also proves the value
// patterns above against the real thing.
func stockLineShapes(t *testing.T) map[string]bool {
	t.Helper()
	const messages = 40
	in := harness.New(t, volumeOptions("", ""))
	in.StartSink(t, harness.SinkOptions{})
	in.Inject(t, harness.InjectOptions{Messages: messages, Sessions: 4})
	if err := in.WaitQueueEmpty(deliverTimeout); err != nil {
		t.Fatal(err)
	}
	shapes := map[string]bool{}
	reused := false
	for _, d := range waitDeliveries(t, in, messages) {
		checkLineValues(t, "stock", d)
		shapes[lineShape(d, in.SinkPort)] = true
		reused = reused || d.ConnUse > 1
	}
	if !reused || len(shapes) != 2 {
		t.Fatalf("stock reference: want lines with and without conn_use, got shapes %v", shapes)
	}
	return shapes
}

func testSMTPVolume(t *testing.T, scacheBin string, stockShapes map[string]bool) {
	const messages = 1000
	in := harness.New(t, volumeOptions(harness.Daemon(t, "smtp"), scacheBin))
	sink := in.StartSink(t, harness.SinkOptions{Save: true})
	start := time.Now()
	in.Inject(t, harness.InjectOptions{Messages: messages, Sessions: 8})
	if err := in.WaitQueueEmpty(deliverTimeout); err != nil {
		t.Fatal(err)
	}
	elapsed := time.Since(start)
	checkOurSMTP(t, in)
	deliveries := waitDeliveries(t, in, messages)
	maxUse, _ := checkSentOnce(t, deliveries, sink, messages, "smtp")
	if maxUse < 2 {
		t.Errorf("our smtp never reused a cached connection (max conn_use=%d)", maxUse)
	}

	// Every line the agent wrote about a recipient parses as a delivery
	// line, with stock's fields and formats.
	lines, err := in.LogLines()
	if err != nil {
		t.Fatal(err)
	}
	if raw := lines.Program("smtp").Match(`^[0-9A-F]+: to=<`); len(raw) != messages {
		t.Errorf("%d smtp lines start with to=<, want %d", len(raw), messages)
	}
	seen := map[string]int{}
	for _, d := range deliveries {
		checkLineValues(t, "ours", d)
		s := lineShape(d, in.SinkPort)
		if !stockShapes[s] && seen[s] == 0 {
			t.Errorf("line shape %q never seen from stock (stock: %v): %s", s, keys(stockShapes), d.Line.Raw)
		}
		seen[s]++
	}
	checkNoScacheProblems(t, lines)
	checkNoSMTPProblems(t, in)
	t.Logf("%d messages in %v (%.0f/s), max conn_use=%d, shapes %v",
		messages, elapsed.Round(time.Millisecond), messages/elapsed.Seconds(), maxUse, seen)
}

func keys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
