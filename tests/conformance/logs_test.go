package conformance

import (
	"fmt"
	"strings"
	"testing"

	"github.com/postfix-go/postfix-go/tests/harness"
)

// warnings returns what srv logged with a severity since mark, in log
// order and without the "warning: " prefix.
//
// Logging is asynchronous (postlogd), and ours serves clients
// concurrently, so a disconnect warning may be written after later work.
// To know that a scenario's warnings are complete, a barrier request with
// a unique unknown name is sent on a fresh connection; both servers log
// `unrecognized request: "<name>", ignored` for it. We wait until that
// line is there and at least `want` other warnings are, then take all of
// them except the barrier's. Anything logged even later shows up as
// unexpected in the next scenario.
//
// The barrier list is sent without its terminating NUL, and the
// connection then stays open until the end of the test: the request
// attribute is all either server reads of it, so neither a leftover byte
// nor an EOF in the middle of the list can add a warning of its own,
// whatever a server does with the rest of an unknown request. (The
// UnknownRequest scenario covers the complete list.)
func (e *env) warnings(t *testing.T, srv server, mark harness.LogMark, barrier string, want int) ([]string, error) {
	s := e.barriers[srv.service]
	if s == nil {
		s = newSession(t, srv, "barrier")
		s.quiet = true
		e.barriers[srv.service] = s
	}
	s.t = t
	sent := s.try(func(s *session) {
		c := s.dial()
		c.send([]byte("request\x00" + barrier + "\x00"))
		c.expect(statusBad)
	})
	if !sent {
		return nil, fmt.Errorf("barrier request %q failed", barrier)
	}
	barrierText := fmt.Sprintf("unrecognized request: %q, ignored", barrier)
	var got []string
	err := harness.WaitFor(logTimeout, func() (bool, error) {
		ls, err := e.in.LogLinesSince(mark)
		if err != nil {
			return false, err
		}
		got = got[:0]
		seen := false
		for _, l := range ls.Program(srv.service) {
			if l.Severity() == "" {
				continue // statistics and other informational lines
			}
			text := strings.TrimPrefix(l.Text, "warning: ")
			if text == barrierText {
				seen = true
				continue
			}
			got = append(got, text)
		}
		return seen && len(got) >= want, nil
	}, func() string {
		return fmt.Sprintf("%s: barrier %q and %d warnings expected, have %d:\n  %s",
			srv.service, barrier, want, len(got), strings.Join(got, "\n  "))
	})
	return got, err
}

// expand substitutes the service name into expected warnings.
func expand(want []string, service string) []string {
	out := make([]string, len(want))
	for i, w := range want {
		out[i] = strings.ReplaceAll(w, "{svc}", service)
	}
	return out
}

// matchWarnings compares in order; "%m" at the end of a wanted line
// accepts any text there.
func matchWarnings(got, want []string) error {
	for i := range max(len(got), len(want)) {
		switch {
		case i >= len(got):
			return fmt.Errorf("missing warning %d: %q", i+1, want[i])
		case i >= len(want):
			return fmt.Errorf("unexpected warning %d: %q", i+1, got[i])
		}
		w, g := want[i], got[i]
		if p, ok := strings.CutSuffix(w, "%m"); ok {
			if !strings.HasPrefix(g, p) || len(g) == len(p) {
				return fmt.Errorf("warning %d: %q, want %q", i+1, g, w)
			}
			continue
		}
		if g != w {
			return fmt.Errorf("warning %d: %q, want %q", i+1, g, w)
		}
	}
	return nil
}
