package conformance

import (
	"fmt"
	"os"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/postfix-go/postfix-go/tests/harness"
)

// Stress shape: stressCycles save_endp/find_endp cycles spread over
// stressWorkers client connections; every malformedEvery-th cycle a bad
// request on the same connection, every disconnectEvery-th cycle a
// client that hangs up mid-exchange on a connection of its own.
const (
	stressWorkers   = 4
	stressCycles    = 10000
	malformedEvery  = 50
	disconnectEvery = 200
	checkEvery      = 100 // prove the returned descriptor is the right one
	// fdSlack is what may be open on top of the idle count while the
	// workers run: per worker its connection, a hang-up connection, a
	// cached session, and a descriptor being handed back; plus a little
	// for the barrier/keeper-style extras of the runtime.
	fdSlack = 4*stressWorkers + 4
	// restSlack is what may remain once everything is closed.
	restSlack = 2
)

// malformed are bad requests that stock answers in-band, with its reply.
var malformed = []struct {
	req   []byte
	reply string
}{
	{req("bogus"), statusBad},
	{req("find_endp"), endpBad},
	{req("find_dest"), destBad},
	{saveEndpReq("0", "x", "y"), statusBad},
	{saveDestReq("-5", "x", "y", "z"), statusBad},
	{[]byte("label\x00x\x00request\x00find_endp\x00\x00"), endpBad},
	{req("find_endp", "label", "x", "extra", "1"), endpMiss},
}

// stressWarnings are the warnings the stress part provokes on purpose.
var stressWarnings = regexp.MustCompile(`^warning: (` +
	`unrecognized request: "bogus", ignored|` +
	`missing attribute \S+ in input from \S+ socket|` +
	`unexpected attribute \S+ from \S+ socket \(expecting: [^)]+\)+|` +
	`unexpected end-of-input from \S+ socket while reading input attribute (name|value)|` +
	`scache_(find|save)_(endp|dest)_service: (bad or missing request parameter|` +
	`unable to receive file descriptor: .*|cannot send file descriptor: .*))$`)

// stress is acceptance 3 for our server: 10,000 cycles with bad requests
// and hang-ups mixed in; the process must survive (same pid), keep
// answering, and keep its descriptor count flat.
func (e *env) stress(t *testing.T) {
	srv := e.servers[1]
	pid := e.pids[srv.service]
	mark := e.in.LogMark()
	idle := e.restingFDs(t, pid, -1)

	var peak int
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		for {
			if n, err := fdCount(pid); err == nil {
				peak = max(peak, n)
			}
			select {
			case <-stop:
				return
			case <-time.After(5 * time.Millisecond):
			}
		}
	}()

	start := time.Now()
	var wg sync.WaitGroup
	for w := range stressWorkers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := newSession(t, srv, fmt.Sprintf("stress-%d", w))
			s.quiet = true
			s.run(func(s *session) { stressWorker(s, stressCycles/stressWorkers) })
		}()
	}
	wg.Wait()
	close(stop)
	<-sampled
	t.Logf("%d cycles in %v; descriptors: %d idle, %d peak", stressCycles, time.Since(start).Round(time.Millisecond), idle, peak)
	if peak > idle+fdSlack {
		t.Errorf("descriptor count rose to %d under load (idle %d, slack %d)", peak, idle, fdSlack)
	}

	// Still the same process, still answering, nothing leaked.
	if !harness.Alive(pid) {
		t.Fatalf("our scache pid %d is gone", pid)
	}
	newSession(t, srv, "after-stress").run(func(s *session) { s.dial().findEndpMiss("after-stress") })
	e.restingFDs(t, pid, idle+restSlack)
	if pids, err := e.in.PIDs(srv.service); err != nil || len(pids) != 1 || pids[0] != pid {
		t.Errorf("%s processes after stress: %v (err %v), want only pid %d", srv.service, pids, err, pid)
	}
	e.checkStressWarnings(t, srv, mark)
}

// stressWorker runs n cycles on one connection.
func stressWorker(s *session, n int) {
	c := s.dial()
	label := s.label("E")
	for i := range n {
		p := s.socketpair()
		marker := fmt.Sprintf("m%d", i)
		check := i%checkEvery == 0
		if check {
			s.write(p.local, marker)
		}
		c.saveEndp("30", label, marker, p.remote)
		s.closeFD(p.remote)
		fd := c.findEndpHit(label, marker)
		if check {
			s.blocking(fd, "returned descriptor")
			s.carries(fd, p.local, marker)
		}
		s.closeFD(fd)
		s.closeFD(p.local)
		if i%malformedEvery == malformedEvery-1 {
			m := malformed[(i/malformedEvery)%len(malformed)]
			c.send(m.req)
			c.expect(m.reply)
		}
		if i%disconnectEvery == disconnectEvery-1 {
			hangUp(s, (i/disconnectEvery)%4)
		}
	}
}

// hangUp opens a connection of its own and abandons it mid-exchange in
// one of four ways.
func hangUp(s *session, how int) {
	c := s.dial()
	lost := -1
	switch how {
	case 0: // inside a value
		c.send([]byte("request\x00save_endp\x00ttl\x005\x00label\x00x"))
	case 1: // inside a name
		c.send([]byte("request\x00find_d"))
	case 2: // after the dummy, instead of the descriptor
		c.send(saveEndpReq("5", s.label("gone"), "y"))
		c.expect(dummy)
	case 3: // after a hit, before the first dummy: the session is lost
		p := s.socketpair()
		c.saveEndp("30", s.label("lost"), "p", p.remote)
		s.closeFD(p.remote)
		c.send(findEndpReq(s.label("lost")))
		c.hit(endpHit("p"))
		lost = p.local
	}
	c.close()
	if lost >= 0 {
		// The server must close the session it could not hand over.
		s.waitEOF(lost, expiryLimit)
		s.closeFD(lost)
	}
	// Drop the closed connection from the session, or 10,000 cycles
	// would keep every one of them listed until the end.
	s.conns = s.conns[:len(s.conns)-1]
}

// restingFDs waits until the idle server's descriptor count is at most
// limit and returns it; limit < 0 just waits for two equal samples, to
// take the idle count after the scenarios' connections are gone.
func (e *env) restingFDs(t *testing.T, pid, limit int) int {
	t.Helper()
	last, n := -1, -1
	err := harness.WaitFor(logTimeout, func() (bool, error) {
		var err error
		last, n = n, 0
		if n, err = fdCount(pid); err != nil {
			return false, err
		}
		if limit < 0 {
			return n == last, nil
		}
		return n <= limit, nil
	}, func() string { return fmt.Sprintf("pid %d has %d descriptors open, want at most %d", pid, n, limit) })
	if err != nil {
		t.Error(err)
	}
	return n
}

func fdCount(pid int) (int, error) {
	ents, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	return len(ents), err
}

// checkStressWarnings makes sure every warning ours logged under stress
// is one the bad requests and hang-ups explain.
func (e *env) checkStressWarnings(t *testing.T, srv server, mark harness.LogMark) {
	t.Helper()
	ls, err := e.in.LogLinesSince(mark)
	if err != nil {
		t.Fatal(err)
	}
	var n int
	for _, l := range ls.Program(srv.service) {
		if l.Severity() == "" {
			continue
		}
		n++
		if !stressWarnings.MatchString(l.Text) {
			t.Errorf("unexpected warning under stress: %s", l.Raw)
		}
	}
	t.Logf("%d warnings logged under stress", n)
}
