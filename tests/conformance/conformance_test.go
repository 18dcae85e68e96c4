package conformance

import (
	"fmt"
	"strings"
	"sync"
	"testing"
)

// scenario is one row of the conformance table.
type scenario struct {
	name string
	run  func(s *session)
	// warn lists the warnings stock logs, in order, without the
	// "warning: " prefix. "{svc}" stands for the service name, which
	// the skeleton puts into the stream name ("scache socket"); a
	// trailing "%m" matches any errno text (stock's is often stale).
	warn []string
	// oursWarn, when set, is what ours must log instead; every use is
	// explained at its row.
	oursWarn []string
	// differs, when set, explains why the transcripts differ on purpose;
	// the scenario then asserts each side's replies itself.
	differs string
}

// allScenarios is the whole table, grouped by file.
func allScenarios() []scenario {
	var all []scenario
	all = append(all, protocolScenarios...)
	all = append(all, timeScenarios...)
	all = append(all, badScenarios...)
	all = append(all, disconnectScenarios...)
	return all
}

// TestConformance runs every scenario against both servers in the same
// instance, then stresses ours. Subtests run one after the other: each
// takes a maillog mark and attributes what follows to itself.
func TestConformance(t *testing.T) {
	e := newEnv(t)
	for i, sc := range allScenarios() {
		t.Run(sc.name, func(t *testing.T) { e.runScenario(t, i, sc) })
	}
	t.Run("Stress", e.stress)
	e.checkSurvivors(t)
}

// runScenario drives both servers at once (each in its own goroutine;
// they are separate processes, and the time-based scenarios then take
// their time only once), then compares transcripts and warnings.
func (e *env) runScenario(t *testing.T, idx int, sc scenario) {
	mark := e.in.LogMark()
	sessions := make([]*session, len(e.servers))
	var wg sync.WaitGroup
	for i, srv := range e.servers {
		sessions[i] = newSession(t, srv, fmt.Sprintf("%02d-%s", idx, sc.name))
		wg.Add(1)
		go func(s *session) {
			defer wg.Done()
			s.run(sc.run)
		}(sessions[i])
	}
	wg.Wait()
	stock, ours := sessions[0], sessions[1]
	if sc.differs == "" {
		compareTranscripts(t, stock.log, ours.log)
	} else {
		t.Logf("transcripts differ on purpose: %s", sc.differs)
	}
	if t.Failed() {
		t.Logf("stock transcript:\n%s", strings.Join(stock.log, "\n"))
		t.Logf("ours transcript:\n%s", strings.Join(ours.log, "\n"))
	}
	barrier := fmt.Sprintf("conformance-barrier-%02d", idx)
	for _, srv := range e.servers {
		want := sc.warn
		if srv.ours() && sc.oursWarn != nil {
			want = sc.oursWarn
		}
		got, err := e.warnings(t, srv, mark, barrier, len(want))
		if err != nil {
			t.Errorf("%s: %v", srv.label, err)
			continue
		}
		if err := matchWarnings(got, expand(want, srv.service)); err != nil {
			t.Errorf("%s warnings: %v\ngot:\n  %s", srv.label, err, strings.Join(got, "\n  "))
		}
	}
}

// compareTranscripts reports the first difference with some context.
func compareTranscripts(t *testing.T, stock, ours []string) {
	t.Helper()
	n := max(len(stock), len(ours))
	for i := range n {
		var a, b string
		if i < len(stock) {
			a = stock[i]
		}
		if i < len(ours) {
			b = ours[i]
		}
		if a != b {
			from := max(0, i-3)
			t.Errorf("transcripts differ at step %d:\n  stock: %s\n  ours:  %s\nsteps before:\n  %s",
				i+1, orNone(a), orNone(b), strings.Join(stock[from:min(i, len(stock))], "\n  "))
			return
		}
	}
}

func orNone(s string) string {
	if s == "" {
		return "(nothing)"
	}
	return s
}
