package tests

import (
	"strings"
	"testing"
	"time"

	"github.com/postfix-go/postfix-go/tests/harness"
)

// parseLog turns raw maillog text into lines for the parser tests.
func parseLog(text string) harness.LogLines {
	var out harness.LogLines
	for _, raw := range strings.Split(strings.TrimSpace(text), "\n") {
		l, _ := harness.ParseLogLine(strings.TrimSpace(raw), time.Now())
		out = append(out, l)
	}
	return out
}

func TestParseScacheStatsUnit(t *testing.T) {
	good := parseLog(`
		Nov 29 07:43:28 vm p/scache[7]: statistics: start interval Nov  9 07:43:20
		Nov 29 07:43:28 vm p/smtp[8]: 1234: to=<a@b>, status=sent (ok)
		Nov 29 07:43:28 vm p/scache[7]: statistics: domain lookup hits=7 miss=2 success=77%
		Nov 29 07:43:28 vm p/scache[7]: statistics: address lookup hits=0 miss=2 success=0%
		Nov 29 07:43:28 vm p/scache[7]: statistics: max simultaneous domains=1 addresses=1 connection=2
		Nov 29 07:43:30 vm p/scache[7]: statistics: start interval Nov 29 07:43:28
		Nov 29 07:43:30 vm p/scache[7]: statistics: max simultaneous domains=0 addresses=0 connection=1
		Nov 29 07:43:32 vm p/scache[7]: statistics: start interval Nov 29 07:43:30`)
	stats, err := parseScacheStats(good)
	if err != nil {
		t.Fatal(err)
	}
	// The trailing lone start line may still be being written: ignored.
	if len(stats) != 2 || stats[0].DomainHits != 7 || !stats[0].HasAddr || stats[1].HasDomain || stats[1].MaxConn != 1 {
		t.Errorf("got %+v", stats)
	}

	for name, text := range map[string]string{
		"bad percentage": `Nov 29 07:43:28 vm p/scache[7]: statistics: start interval Nov 29 07:43:20
			Nov 29 07:43:28 vm p/scache[7]: statistics: domain lookup hits=7 miss=2 success=78%`,
		"wrong order": `Nov 29 07:43:28 vm p/scache[7]: statistics: start interval Nov 29 07:43:20
			Nov 29 07:43:28 vm p/scache[7]: statistics: address lookup hits=0 miss=2 success=0%
			Nov 29 07:43:28 vm p/scache[7]: statistics: domain lookup hits=7 miss=2 success=77%`,
		"no start": `Nov 29 07:43:28 vm p/scache[7]: statistics: max simultaneous domains=1 addresses=1 connection=2`,
		"lone start": `Nov 29 07:43:28 vm p/scache[7]: statistics: start interval Nov 29 07:43:20
			Nov 29 07:43:30 vm p/scache[7]: statistics: start interval Nov 29 07:43:28
			Nov 29 07:43:30 vm p/scache[7]: statistics: max simultaneous domains=0 addresses=0 connection=1`,
		"zero-padded day": `Nov 29 07:43:28 vm p/scache[7]: statistics: start interval Nov 09 07:43:20
			Nov 29 07:43:28 vm p/scache[7]: statistics: max simultaneous domains=1 addresses=1 connection=2`,
		"unknown wording": `Nov 29 07:43:28 vm p/scache[7]: statistics: start interval Nov 29 07:43:20
			Nov 29 07:43:28 vm p/scache[7]: statistics: max simultaneous domains=1 addresses=1 connections=2`,
	} {
		if _, err := parseScacheStats(parseLog(text)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
