package bench

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"text/tabwriter"
	"time"
)

// Acceptance goals, ours/stock. Printed as met or not, never asserted:
// a slow or noisy machine must not fail the build.
const (
	goalWall = 1.0
	goalCPU  = 0.8
	goalRSS  = 1.5
)

// smtpMeasure is one reported figure, extracted from a round result.
type smtpMeasure struct {
	what string
	get  func(smtpResult) float64
	unit string  // benchstat unit suffix; "" = table only
	goal float64 // 0 = no goal
}

var smtpMeasures = []smtpMeasure{
	{"drain wall time (s)", func(r smtpResult) float64 { return r.wall.Seconds() }, "drain-s", goalWall},
	{"agent CPU per message (µs)", func(r smtpResult) float64 {
		return float64(r.cpu) / float64(time.Microsecond) / float64(r.messages)
	}, "cpu-us/msg", goalCPU},
	{"agent CPU, system share (%)", func(r smtpResult) float64 {
		return 100 * ratio(float64(r.sys), float64(r.cpu))
	}, "", 0},
	{"RssAnon per process, median (KiB)", func(r smtpResult) float64 { return float64(r.rssMedian) }, "rss-KiB", goalRSS},
	{"RssAnon per process, max (KiB)", func(r smtpResult) float64 { return float64(r.rssMax) }, "", 0},
	{"agent processes", func(r smtpResult) float64 { return float64(r.procs) }, "", 0},
	{"max conn_use", func(r smtpResult) float64 { return float64(r.maxUse) }, "", 0},
}

// reportSMTP prints one table per measure (stock, ours, ratio for each
// round, then the medians) and hands the medians to benchstat. Ratios
// are ours/stock, taken per round (the two rounds of a pair ran next to
// each other) and, on the median line, of the two medians.
func reportSMTP(b *testing.B, n int, stock, ours *agent) {
	var sb strings.Builder
	fmt.Fprintf(&sb, "smtp benchmark: %d messages of %d bytes per round, %d rounds per agent, alternating, to smtp-sink on loopback\n",
		n, messageSize, len(stock.results))
	w := tabwriter.NewWriter(&sb, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(w, "measure\tround\tstock\tours\tours/stock\t\n")
	var verdicts []string
	for _, m := range smtpMeasures {
		var s, o []float64
		for i := range min(len(stock.results), len(ours.results)) {
			sv, ov := m.get(stock.results[i]), m.get(ours.results[i])
			s, o = append(s, sv), append(o, ov)
			fmt.Fprintf(w, "%s\t%d\t%s\t%s\t%.3f\t\n", m.what, i+1, fmtFig(sv), fmtFig(ov), ratio(ov, sv))
		}
		sm, om := median(s), median(o)
		rt := ratio(om, sm)
		fmt.Fprintf(w, "%s\tmedian\t%s\t%s\t%.3f\t\n", m.what, fmtFig(sm), fmtFig(om), rt)
		if m.goal > 0 {
			verdicts = append(verdicts, fmt.Sprintf("%s: ours/stock %.3f, goal ≤ %.1f: %s", m.what, rt, m.goal, met(rt, m.goal)))
		}
		if m.unit != "" {
			b.ReportMetric(sm, "stock-"+m.unit)
			b.ReportMetric(om, "ours-"+m.unit)
			b.ReportMetric(rt, strings.SplitN(m.unit, "-", 2)[0]+"-ours/stock")
		}
	}
	w.Flush()
	sb.WriteString(strings.Join(verdicts, "\n") + "\n")
	fmt.Fprintf(&sb, "throughput, medians: stock %.0f msg/s, ours %.0f msg/s\n",
		float64(n)/median(walls(stock)), float64(n)/median(walls(ours)))
	fmt.Fprintf(&sb, "load average at the end: %s (other work on the machine makes every figure noisier)\n", loadAvg())
	// Plain stdout rather than b.Log, as in the scache report: the
	// table stays aligned without file:line prefixes.
	fmt.Fprint(os.Stdout, sb.String())
	b.ReportMetric(0, "ns/op") // the whole run per b.N says nothing
}

func walls(a *agent) []float64 {
	out := make([]float64, len(a.results))
	for i, r := range a.results {
		out[i] = r.wall.Seconds()
	}
	return out
}

// median of a copy; the mean of the middle two for an even count.
func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func fmtFig(v float64) string {
	if v >= 100 {
		return fmt.Sprintf("%.0f", v)
	}
	return fmt.Sprintf("%.3f", v)
}

func met(r, goal float64) string {
	switch {
	case r == 0:
		return "not measured"
	case r <= goal:
		return "met"
	default:
		return "NOT met"
	}
}

// loadAvg is the first three fields of /proc/loadavg, for judging how
// much the machine was shared while we measured.
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return err.Error()
	}
	f := strings.Fields(string(b))
	return strings.Join(f[:min(3, len(f))], " ")
}
