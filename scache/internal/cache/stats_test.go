package cache

import (
	"slices"
	"testing"
	"time"
)

// Expected lines below are copied from the stock captures in
// spec/vectors/scache-stats-log.txt (counters of each logged interval).
func TestStatsFormat(t *testing.T) {
	start := time.Date(2024, time.November, 29, 5, 33, 49, 0, time.Local)
	tests := []struct {
		name string
		st   stats
		want []string
	}{
		{"idle interval prints nothing", stats{start: start}, nil},
		{"dest-cache load", stats{start: start, destHits: 78, destMiss: 22, endpHits: 15, endpMiss: 7, maxDest: 1, maxEndp: 1, maxSess: 7}, []string{
			"statistics: start interval Nov 29 05:33:49",
			"statistics: domain lookup hits=78 miss=22 success=78%",
			"statistics: address lookup hits=15 miss=7 success=68%",
			"statistics: max simultaneous domains=1 addresses=1 connection=7",
		}},
		{"on-demand load", stats{start: start, destHits: 143, destMiss: 56, endpHits: 42, endpMiss: 14, maxDest: 1, maxEndp: 1, maxSess: 14}, []string{
			"statistics: start interval Nov 29 05:33:49",
			"statistics: domain lookup hits=143 miss=56 success=71%",
			"statistics: address lookup hits=42 miss=14 success=75%",
			"statistics: max simultaneous domains=1 addresses=1 connection=14",
		}},
		{"1 of 7 truncates to 14%", stats{start: start, destHits: 1, destMiss: 1, endpHits: 1, endpMiss: 6, maxDest: 1, maxEndp: 1, maxSess: 1}, []string{
			"statistics: start interval Nov 29 05:33:49",
			"statistics: domain lookup hits=1 miss=1 success=50%",
			"statistics: address lookup hits=1 miss=6 success=14%",
			"statistics: max simultaneous domains=1 addresses=1 connection=1",
		}},
		{"misses only is 0%", stats{start: start, endpMiss: 3}, []string{
			"statistics: start interval Nov 29 05:33:49",
			"statistics: address lookup hits=0 miss=3 success=0%",
		}},
		{"only saves: start and maxima lines", stats{start: start, maxEndp: 1, maxSess: 1}, []string{
			"statistics: start interval Nov 29 05:33:49",
			"statistics: max simultaneous domains=0 addresses=1 connection=1",
		}},
		{"only domain lookups", stats{start: start, destHits: 2, destMiss: 3}, []string{
			"statistics: start interval Nov 29 05:33:49",
			"statistics: domain lookup hits=2 miss=3 success=40%",
		}},
		{"day of month is space padded", stats{start: time.Date(2024, time.November, 3, 5, 33, 49, 0, time.Local), destHits: 1}, []string{
			"statistics: start interval Nov  3 05:33:49",
			"statistics: domain lookup hits=1 miss=0 success=100%",
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.st.lines(); !slices.Equal(got, tc.want) {
				t.Errorf("lines:\n got %q\nwant %q", got, tc.want)
			}
		})
	}
}

func TestStatsCounting(t *testing.T) {
	const (
		start0 = "statistics: start interval Nov 29 05:41:13"
		start1 = "statistics: start interval Nov 29 05:41:23"
	)
	tests := []struct {
		name  string
		steps []step
	}{
		// The edge-case probe's first interval, replayed through the API.
		{"probe interval: 2/3 domain, 3/3 address, maxima 1/2/3", []step{
			saveE(30, "L-fifo", "prop0", 1), saveE(30, "L-fifo", "prop1", 2), saveE(30, "L-fifo", "prop2", 3),
			findE("L-fifo", "prop0", 1), findE("L-fifo", "prop1", 2), findE("L-fifo", "prop2", 3), missE("L-fifo"),
			missD("D1"),
			saveD(30, "D1", "dp1", "E1"), saveD(30, "D1", "dp2", "E2"), saveD(30, "D1", "dp1", "E1"), saveD(30, "D1", "dp1b", "E1"),
			missD("D1"),
			saveE(30, "E1", "ep1", 4), saveE(30, "E2", "ep2", 5),
			findD("D1", "dp1", "ep1", 4), findD("D1", "dp2", "ep2", 5), missD("D1"),
			missE("x"), missE("nosuch"),
			statsLines(start0,
				"statistics: domain lookup hits=2 miss=3 success=40%",
				"statistics: address lookup hits=3 miss=3 success=50%",
				"statistics: max simultaneous domains=1 addresses=2 connection=3"),
		}},
		{"find_dest's endpoint lookups are not address lookups", []step{
			saveE(2, "E", "ep", 1), saveD(2, "D", "dp", "E"), findD("D", "dp", "ep", 1), missD("D"),
			statsLines(start0,
				"statistics: domain lookup hits=1 miss=1 success=50%",
				"statistics: max simultaneous domains=1 addresses=1 connection=1"),
		}},
		{"maxima are sampled only after saves", []step{
			saveE(2, "A", "", 1), saveE(2, "B", "", 2), saveD(2, "D", "", "A"),
			at(0.5), statsLines(start0, "statistics: max simultaneous domains=1 addresses=2 connection=2"),
			// B's session and D's binding are still cached, but this
			// interval has lookups only, so it reports no maxima.
			findE("A", "", 1), missE("C"), sizes(1, 1, 1),
			at(0.7), statsLines(start0, "statistics: address lookup hits=1 miss=1 success=50%"),
		}},
		{"save_dest samples the endpoint count but not sessions", []step{
			saveD(2, "D", "", "nowhere"),
			statsLines(start0, "statistics: max simultaneous domains=1 addresses=0 connection=0"),
		}},
		{"maxima are high-water marks within the interval", []step{
			saveE(2, "A", "", 1), saveE(2, "A", "", 2), saveE(2, "A", "", 3),
			findE("A", "", 1), findE("A", "", 2), saveE(2, "A", "", 4),
			statsLines(start0,
				"statistics: address lookup hits=2 miss=0 success=100%",
				"statistics: max simultaneous domains=0 addresses=1 connection=3"),
		}},
		{"interval start is reset even when nothing is printed", []step{
			at(10), statsLines(),
			at(15), missE("x"), at(20),
			statsLines(start1, "statistics: address lookup hits=0 miss=1 success=0%"),
			statsLines(),
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, 2)
			for _, s := range tc.steps {
				s(h)
			}
		})
	}
}
