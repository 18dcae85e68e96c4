package cache

import (
	"fmt"
	"time"
)

// stats are stock scache's per-interval counters.
type stats struct {
	start              time.Time
	destHits, destMiss int // find_dest outcomes ("domain lookup")
	endpHits, endpMiss int // find_endp outcomes ("address lookup")
	// High-water marks, sampled only after successful saves: an interval
	// with lookups alone reports no maxima however full the cache is.
	maxDest, maxEndp, maxSess int
}

func (s *stats) afterSaveEndp(endp, sess int) {
	s.maxEndp = max(s.maxEndp, endp)
	s.maxSess = max(s.maxSess, sess)
}

func (s *stats) afterSaveDest(dest, endp int) {
	s.maxDest = max(s.maxDest, dest)
	s.maxEndp = max(s.maxEndp, endp)
}

// startLayout is ctime()+4 cut to 15 characters, e.g. "Nov  3 05:33:49".
const startLayout = "Jan _2 15:04:05"

// lines renders the interval like scache_status_dump: the start line when
// any counter, maxima included, is non-zero; each other line only when its
// own counters are.
func (s *stats) lines() []string {
	lookups := s.destHits + s.destMiss + s.endpHits + s.endpMiss
	maxima := s.maxDest + s.maxEndp + s.maxSess
	if lookups == 0 && maxima == 0 {
		return nil
	}
	out := []string{"statistics: start interval " + s.start.Local().Format(startLayout)}
	if s.destHits+s.destMiss > 0 {
		out = append(out, fmt.Sprintf("statistics: domain lookup hits=%d miss=%d success=%d%%",
			s.destHits, s.destMiss, s.destHits*100/(s.destHits+s.destMiss)))
	}
	if s.endpHits+s.endpMiss > 0 {
		out = append(out, fmt.Sprintf("statistics: address lookup hits=%d miss=%d success=%d%%",
			s.endpHits, s.endpMiss, s.endpHits*100/(s.endpHits+s.endpMiss)))
	}
	if maxima > 0 {
		out = append(out, fmt.Sprintf("statistics: max simultaneous domains=%d addresses=%d connection=%d",
			s.maxDest, s.maxEndp, s.maxSess))
	}
	return out
}

// StatsLines returns the statistics lines to log for the interval ending
// now (nil for an idle interval), then resets all counters and starts the
// next interval at now, whether or not anything was returned.
func (c *Cache) StatsLines(now time.Time) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := c.st.lines()
	c.st = stats{start: now}
	return out
}
