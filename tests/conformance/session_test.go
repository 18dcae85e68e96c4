package conformance

import (
	"fmt"
	"testing"
)

// session is one scenario run against one server. Its transcript is
// what gets compared between the two servers.
type session struct {
	t      *testing.T
	srv    server
	prefix string // makes labels unique per scenario: the cache outlives scenarios
	log    []string
	conns  []*conn
	nconn  int
	fds    map[int]bool // descriptors we own and close at the end
	quiet  bool         // no transcript (stress: nothing to compare)
}

// abort unwinds a scenario after a fatal problem. Scenarios run in one
// goroutine per server, where t.FailNow is not allowed.
type abort struct{}

func newSession(t *testing.T, srv server, prefix string) *session {
	return &session{t: t, srv: srv, prefix: prefix, fds: map[int]bool{}}
}

// ours lets a scenario branch where the servers differ on purpose (each
// such branch is documented at its scenario).
func (s *session) ours() bool { return s.srv.ours() }

// label returns a cache label private to this scenario.
func (s *session) label(name string) string { return s.prefix + "/" + name }

func (s *session) note(format string, args ...any) {
	if s.quiet {
		return
	}
	s.log = append(s.log, fmt.Sprintf(format, args...))
}

func (s *session) errorf(format string, args ...any) {
	s.t.Helper()
	s.t.Errorf("%s: %s", s.srv.label, fmt.Sprintf(format, args...))
}

func (s *session) fatalf(format string, args ...any) {
	s.t.Helper()
	s.errorf(format, args...)
	panic(abort{})
}

// run executes body, then checks that every connection still open has
// nothing unexpected pending and still answers (a sentinel find_endp
// that must miss), and releases everything.
func (s *session) run(body func(*session)) {
	defer s.release()
	s.try(func(s *session) {
		body(s)
		for _, c := range s.conns {
			if !c.gone {
				c.findEndpMiss("conformance-sentinel")
			}
		}
	})
}

// try executes body and reports whether it ran to the end; a fatalf
// inside only ends body.
func (s *session) try(body func(*session)) (ok bool) {
	defer func() {
		if r := recover(); r != nil {
			if _, isAbort := r.(abort); !isAbort {
				panic(r)
			}
		}
	}()
	body(s)
	return true
}

func (s *session) release() {
	for _, c := range s.conns {
		c.uc.Close()
	}
	for fd := range s.fds {
		closeRaw(fd)
	}
	s.fds = map[int]bool{}
}
