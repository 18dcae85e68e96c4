package tests

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/postfix-go/postfix-go/tests/harness"
)

// The statistics lines of scache(8) 3.7, logged every
// connection_cache_status_update_time, on idle/reload exit, counters
// reset after each dump:
//
//	statistics: start interval Nov 29 07:36:00
//	statistics: domain lookup hits=4 miss=2 success=66%
//	statistics: address lookup hits=0 miss=32 success=0%
//	statistics: max simultaneous domains=1 addresses=2 connection=2
var (
	statStartRE  = regexp.MustCompile(`^statistics: start interval ([A-Z][a-z]{2} [ 1-3]\d \d\d:\d\d:\d\d)$`)
	statLookupRE = regexp.MustCompile(`^statistics: (domain|address) lookup hits=(\d+) miss=(\d+) success=(\d+)%$`)
	statMaxRE    = regexp.MustCompile(`^statistics: max simultaneous domains=(\d+) addresses=(\d+) connection=(\d+)$`)
)

// scacheStats is one dump: a start line and the lines after it.
type scacheStats struct {
	PID                           int
	Start                         time.Time
	DomainHits, DomainMiss        int
	AddrHits, AddrMiss            int
	HasDomain, HasAddr, HasMax    bool
	MaxDomains, MaxAddrs, MaxConn int
}

// parseScacheStats groups the statistics lines of each scache process
// into dumps and checks them against the stock format: line order,
// exact wording, integer success percentage. Non-statistics lines are
// ignored.
func parseScacheStats(lines harness.LogLines) ([]scacheStats, error) {
	open := map[int]*scacheStats{} // per pid: the dump being read
	stage := map[int]int{}         // per pid: 1 after start, 2 after domain, 3 after address, 4 after max
	var out []*scacheStats
	for _, l := range lines.Program("scache") {
		if !strings.HasPrefix(l.Text, "statistics: ") {
			continue
		}
		bad := func(why string) error { return fmt.Errorf("scache[%d]: %s: %q", l.PID, why, l.Text) }
		if m := statStartRE.FindStringSubmatch(l.Text); m != nil {
			if s := open[l.PID]; s != nil && stage[l.PID] == 1 {
				return nil, bad("previous dump has only a start line")
			}
			t, err := time.Parse(time.Stamp, m[1])
			if err != nil {
				return nil, bad("bad start time")
			}
			s := &scacheStats{PID: l.PID, Start: t}
			open[l.PID], stage[l.PID] = s, 1
			out = append(out, s)
			continue
		}
		s := open[l.PID]
		if s == nil {
			return nil, bad("statistics line without a start line")
		}
		switch m := statLookupRE.FindStringSubmatch(l.Text); {
		case m != nil:
			hits, _ := strconv.Atoi(m[2])
			miss, _ := strconv.Atoi(m[3])
			pct, _ := strconv.Atoi(m[4])
			if hits+miss == 0 {
				return nil, bad("lookup line with no lookups")
			}
			if want := hits * 100 / (hits + miss); pct != want {
				return nil, bad(fmt.Sprintf("success=%d%%, want %d%%", pct, want))
			}
			if m[1] == "domain" {
				if stage[l.PID] >= 2 {
					return nil, bad("domain line out of order")
				}
				s.HasDomain, s.DomainHits, s.DomainMiss, stage[l.PID] = true, hits, miss, 2
			} else {
				if stage[l.PID] >= 3 {
					return nil, bad("address line out of order")
				}
				s.HasAddr, s.AddrHits, s.AddrMiss, stage[l.PID] = true, hits, miss, 3
			}
		case statMaxRE.MatchString(l.Text):
			if stage[l.PID] >= 4 {
				return nil, bad("duplicate max line")
			}
			m := statMaxRE.FindStringSubmatch(l.Text)
			s.MaxDomains, _ = strconv.Atoi(m[1])
			s.MaxAddrs, _ = strconv.Atoi(m[2])
			s.MaxConn, _ = strconv.Atoi(m[3])
			s.HasMax, stage[l.PID] = true, 4
		default:
			return nil, bad("unknown statistics line")
		}
	}
	// A dump whose start line is the last line we saw may still be
	// being written; judge it next time instead of failing now.
	var complete []*scacheStats
	for _, s := range out {
		if open[s.PID] != s || stage[s.PID] > 1 {
			complete = append(complete, s)
		}
	}
	out = complete
	res := make([]scacheStats, len(out))
	for i, s := range out {
		res[i] = *s
	}
	return res, nil
}
