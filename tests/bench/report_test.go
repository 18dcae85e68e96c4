package bench

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"text/tabwriter"
)

// report prints the side-by-side table and hands the same figures to
// benchstat. Ratios are ours/stock throughout: below 1 is better for
// time and CPU, and the acceptance goals are ≤ 1.0 for the round trip
// and ≤ 1.5 for memory.
func report(b *testing.B, pairs, rounds int, stock, ours *target) {
	sMed, sP99, sCPU := stock.summary()
	oMed, oP99, oCPU := ours.summary()
	rows := []struct {
		what        string
		stock, ours float64
		unit        string // benchstat unit suffix; "" = table only
	}{
		{"save+find round trip, median (µs/pair)", micros(sMed), micros(oMed), "us/pair"},
		{"save+find round trip, p99 (µs/pair)", micros(sP99), micros(oP99), ""},
		{"CPU per 1000 pairs (ms)", sCPU, oCPU, "cpu-ms/kpair"},
		{"RssAnon after the warm-up (KiB)", float64(stock.rssWarm), float64(ours.rssWarm), ""},
		{"RssAnon idle, after the rounds (KiB)", float64(stock.rssIdle), float64(ours.rssIdle), ""},
		{fmt.Sprintf("RssAnon after %d cached (KiB)", cachedConns), float64(stock.rssFull), float64(ours.rssFull), "rss-KiB"},
		{fmt.Sprintf("RssAnon growth for %d cached (KiB)", cachedConns),
			float64(stock.rssFull - stock.rssIdle), float64(ours.rssFull - ours.rssIdle), ""},
	}

	var sb strings.Builder
	w := tabwriter.NewWriter(&sb, 0, 0, 3, ' ', tabwriter.AlignRight)
	fmt.Fprintf(w, "scache benchmark (%d pairs × %d rounds, A/B alternating)\tstock\tours\tours/stock\t\n", pairs, rounds)
	for _, r := range rows {
		fmt.Fprintf(w, "%s\t%.2f\t%.2f\t%.3f\t\n", r.what, r.stock, r.ours, ratio(r.ours, r.stock))
	}
	w.Flush()
	fmt.Fprintf(&sb, "round medians (µs/pair): stock %s; ours %s\n", fmtMicros(stock), fmtMicros(ours))
	fmt.Fprintf(&sb, "pids: stock %d, ours %d; memory: %d sessions under distinct labels, each its own socketpair end\n",
		stock.pid, ours.pid, cachedConns)
	// Plain stdout rather than b.Log: the table stays aligned, without
	// file:line prefixes and indentation.
	fmt.Fprint(os.Stdout, sb.String())

	// The whole run's wall time per b.N says nothing; drop it.
	b.ReportMetric(0, "ns/op")
	for _, r := range rows {
		if r.unit == "" {
			continue
		}
		b.ReportMetric(r.stock, "stock-"+r.unit)
		b.ReportMetric(r.ours, "ours-"+r.unit)
	}
	b.ReportMetric(ratio(micros(oMed), micros(sMed)), "rtt-ours/stock")
	b.ReportMetric(ratio(oCPU, sCPU), "cpu-ours/stock")
	b.ReportMetric(ratio(float64(ours.rssFull), float64(stock.rssFull)), "rss-ours/stock")
}

func fmtMicros(s *target) string {
	parts := make([]string, len(s.roundMedians))
	for i, d := range s.roundMedians {
		parts[i] = fmt.Sprintf("%.2f", micros(d))
	}
	return strings.Join(parts, " ")
}
