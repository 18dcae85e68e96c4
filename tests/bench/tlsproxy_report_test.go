package bench

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"text/tabwriter"
	"time"
)

// tpMeasure is one reported figure of one workload. Goals are ours/stock
// ratios, printed as met or not and never asserted; higher says whether
// the goal is a floor (rates) or a ceiling (times).
type tpMeasure struct {
	phase  string
	what   string
	get    func(tpResult) float64
	unit   string // benchstat unit suffix; "" = table only
	goal   float64
	higher bool
}

func perSecond(r tpResult) float64 { return r.units / r.wall.Seconds() }
func megabytesPerSecond(r tpResult) float64 {
	return r.units * (1 << 20) / 1e6 / r.wall.Seconds()
}
func cpuPer(scale time.Duration) func(tpResult) float64 {
	return func(r tpResult) float64 { return float64(r.cpu) / float64(scale) / r.units }
}
func rssOf(r tpResult) float64   { return float64(r.rssMax) }
func procsOf(r tpResult) float64 { return float64(r.procs) }

var tpMeasures = []tpMeasure{
	{phaseHandshake, "server role: handshakes per second", perSecond, "hs/s", 1.0, true},
	{phaseHandshake, "server role: tlsproxy CPU per handshake (µs)", cpuPer(time.Microsecond), "cpu-us/hs", 0, false},
	{phaseHandshake, "server role: RssAnon after handshakes (KiB)", rssOf, "", 0, false},
	{phaseHandshake, "server role: tlsproxy processes", procsOf, "", 0, false},
	{phaseUp, "relay up, TLS→plain (MB/s)", megabytesPerSecond, "up-MB/s", 1.0, true},
	{phaseUp, "relay up: tlsproxy CPU per MiB (ms)", cpuPer(time.Millisecond), "", 0, false},
	{phaseDown, "relay down, plain→TLS (MB/s)", megabytesPerSecond, "down-MB/s", 1.0, true},
	{phaseDown, "relay down: tlsproxy CPU per MiB (ms)", cpuPer(time.Millisecond), "", 0, false},
	{phaseDown, "relay: RssAnon after relaying (KiB)", rssOf, "", 0, false},
	{phaseDelivery, "delivery: drain wall time (s)", func(r tpResult) float64 { return r.wall.Seconds() }, "drain-s", 1.0, false},
	{phaseDelivery, "delivery: messages per second", perSecond, "", 0, true},
	{phaseDelivery, "delivery: tlsproxy CPU per message (µs)", cpuPer(time.Microsecond), "cpu-us/msg", 0, false},
	{phaseDelivery, "delivery: RssAnon max per process (KiB)", rssOf, "rss-KiB", 0, false},
	{phaseDelivery, "delivery: tlsproxy processes", procsOf, "", 0, false},
	{phaseDelivery, "delivery: TLS connections made", func(r tpResult) float64 { return float64(r.handshakes) }, "", 0, false},
	{phaseDelivery, "delivery: of those, resumed (no server-digest)", func(r tpResult) float64 { return float64(r.resumed) }, "", 0, false},
	{phaseDelivery, "delivery: max conn_use", func(r tpResult) float64 { return float64(r.maxUse) }, "", 0, false},
}

// reportTLSProxy prints, per measure, stock, ours and ours/stock for
// each round and for the medians (ratio of the two medians), then the
// goals, and hands the medians to benchstat.
func reportTLSProxy(b *testing.B, cfg tpConfig, stock, ours *tlsProxy, took time.Duration) {
	var sb strings.Builder
	fmt.Fprintf(&sb, "tlsproxy benchmark: %d rounds per tlsproxy and workload, alternating stock/ours, one instance, loopback\n", cfg.rounds)
	fmt.Fprintf(&sb, "  server role: %d full handshakes per round over %d concurrent clients, plus one line each way; %d MiB each way through one session\n",
		cfg.handshakes, cfg.clients, cfg.mib)
	fmt.Fprintf(&sb, "  client role: %d messages of %d bytes per round, stock smtp, TLS reuse, level encrypt, to a stock smtpd (discard)\n",
		cfg.messages, messageSize)
	fmt.Fprintf(&sb, "  negotiated (server role): stock %s; ours %s\n", stock.tlsInfo, ours.tlsInfo)
	w := tabwriter.NewWriter(&sb, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(w, "measure\tround\tstock\tours\tours/stock\t\n")
	var verdicts []string
	for _, m := range tpMeasures {
		sr, or := stock.results[m.phase], ours.results[m.phase]
		var s, o []float64
		for i := range min(len(sr), len(or)) {
			sv, ov := m.get(sr[i]), m.get(or[i])
			s, o = append(s, sv), append(o, ov)
			fmt.Fprintf(w, "%s\t%d\t%s\t%s\t%.3f\t\n", m.what, i+1, fmtFig(sv), fmtFig(ov), ratio(ov, sv))
		}
		sm, om := median(s), median(o)
		rt := ratio(om, sm)
		fmt.Fprintf(w, "%s\tmedian\t%s\t%s\t%.3f\t\n", m.what, fmtFig(sm), fmtFig(om), rt)
		if m.goal > 0 {
			verdict, cmp := met(rt, m.goal), "≤"
			if m.higher {
				verdict, cmp = metAtLeast(rt, m.goal), "≥"
			}
			verdicts = append(verdicts, fmt.Sprintf("%s: ours/stock %.3f, goal %s %.1f: %s", m.what, rt, cmp, m.goal, verdict))
		}
		if m.unit != "" {
			b.ReportMetric(sm, "stock-"+m.unit)
			b.ReportMetric(om, "ours-"+m.unit)
			b.ReportMetric(rt, "ours/stock-"+m.unit)
		}
	}
	w.Flush()
	sb.WriteString(strings.Join(verdicts, "\n") + "\n")
	fmt.Fprintf(&sb, "benchmark took %v; load average at the end: %s (other work on the machine makes every figure noisier)\n",
		took.Round(time.Second), loadAvg())
	fmt.Fprint(os.Stdout, sb.String())
	b.ReportMetric(0, "ns/op")
}

// metAtLeast is met for a goal that is a floor.
func metAtLeast(r, goal float64) string {
	switch {
	case r == 0:
		return "not measured"
	case r >= goal:
		return "met"
	default:
		return "NOT met"
	}
}
