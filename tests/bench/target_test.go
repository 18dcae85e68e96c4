package bench

import (
	"fmt"
	"path/filepath"
	"slices"
	"time"

	"golang.org/x/sys/unix"

	"github.com/postfix-go/postfix-go/scache/client"
	"github.com/postfix-go/postfix-go/tests/harness"
)

// What smtp(8) would hand over: an endpoint label and property of the
// stock shape and size (service, address, port, flags; features, reuse
// count, timestamps). The lengths matter a little for memory, the exact
// contents not at all.
const (
	endpLabel = "smtp\n127.0.0.1\n25\n0\n"
	endpProp  = "0\n127.0.0.1\n127.0.0.1\n25\n70\n1\n1700000000\n"
	// pairTTL is what smtp asks for by default
	// (smtp_connection_cache_time_limit).
	pairTTL = 2
	// fillTTL outlives the memory measurement; both master.cf entries
	// raise connection_cache_ttl_limit so the server does not cap it.
	fillTTL     = 3600
	dialTimeout = 10 * time.Second
)

// target is one scache under test: its master.cf service, our client
// connection to it, and everything measured on it.
type target struct {
	name    string // "stock" or "ours", for the report
	service string // master.cf service name = socket name under private/
	conn    *client.Conn
	pid     int

	samples      []time.Duration // every counted pair
	roundMedians []time.Duration // one per counted round
	pairs        int             // counted pairs
	cpu          time.Duration   // server CPU during the counted rounds
	rssWarm      int64           // KiB, after the warm-up round
	rssIdle      int64           // KiB, after the counted rounds, cache empty
	rssFull      int64           // KiB, with the cache filled
}

// connect dials the service, which makes master(8) start the server on
// demand, and finds its pid. It insists that the process runs the
// binary installed for that service, so that a mix-up between the two
// servers cannot produce a plausible-looking comparison.
func (s *target) connect(in *harness.Instance, warn func(string)) error {
	c, err := client.Dial(filepath.Join(in.Spool, "private", s.service), dialTimeout, warn)
	if err != nil {
		return err
	}
	s.conn = c
	pids, err := in.WaitPIDs(s.service, dialTimeout)
	if err != nil {
		return err
	}
	if len(pids) != 1 {
		return fmt.Errorf("%s: want one process, found pids %v", s.service, pids)
	}
	p, err := harness.ReadProc(pids[0])
	if err != nil {
		return err
	}
	if want := in.DaemonPath(s.service); p.Exe != want {
		return fmt.Errorf("%s: pid %d runs %s, want %s", s.service, p.PID, p.Exe, want)
	}
	s.pid = p.PID
	return nil
}

// pair runs one save_endp/find_endp round trip with fd and returns its
// duration. Checking the descriptor that came back is kept outside the
// timed part, and only done when verify is set (once per round), since
// it costs the client an fstat per call.
func (s *target) pair(fd int, verify bool) (time.Duration, error) {
	start := time.Now()
	st, err := s.conn.SaveEndp(pairTTL, endpLabel, endpProp, fd)
	if err != nil || st != client.StatOK {
		return 0, fmt.Errorf("%s: save_endp: status %d, %v", s.name, st, err)
	}
	st, prop, got, err := s.conn.FindEndp(endpLabel)
	d := time.Since(start)
	if err != nil || st != client.StatOK {
		return 0, fmt.Errorf("%s: find_endp: status %d, %v", s.name, st, err)
	}
	defer unix.Close(got)
	if prop != endpProp {
		return 0, fmt.Errorf("%s: find_endp: property %q, want %q", s.name, prop, endpProp)
	}
	if verify {
		if err := sameFile(fd, got); err != nil {
			return 0, fmt.Errorf("%s: find_endp: %w", s.name, err)
		}
	}
	return d, nil
}

// round runs pairs round trips; counted rounds add to the results, the
// warm-up round does not.
func (s *target) round(pairs, fd int, counted bool) error {
	cpu0, err := cpuTime(s.pid)
	if err != nil {
		return err
	}
	ds := make([]time.Duration, 0, pairs)
	for i := range pairs {
		d, err := s.pair(fd, i == 0)
		if err != nil {
			return err
		}
		ds = append(ds, d)
	}
	cpu1, err := cpuTime(s.pid)
	if err != nil {
		return err
	}
	if counted {
		s.roundMedians = append(s.roundMedians, quantile(ds, 0.5))
		s.samples = append(s.samples, ds...)
		s.pairs += pairs
		s.cpu += cpu1 - cpu0
	}
	return nil
}

// fill caches n sessions under distinct endpoint labels, each a fresh
// socketpair end as smtp would hand over a distinct TCP connection, so
// the server holds n descriptors and n index entries. Our copies are
// closed at once; the server's copies keep the sockets alive.
func (s *target) fill(n int) error {
	for i := range n {
		fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			return err
		}
		st, err := s.conn.SaveEndp(fillTTL, fillLabel(i), endpProp, fds[0])
		unix.Close(fds[0])
		unix.Close(fds[1])
		if err != nil || st != client.StatOK {
			return fmt.Errorf("%s: fill save_endp %d: status %d, %v", s.name, i, st, err)
		}
	}
	return nil
}

// drain takes the n filled sessions back, proving they were all still
// cached while memory was measured.
func (s *target) drain(n int) error {
	for i := range n {
		st, _, fd, err := s.conn.FindEndp(fillLabel(i))
		if err != nil || st != client.StatOK {
			return fmt.Errorf("%s: drain find_endp %d: status %d, %v (expired before measuring?)", s.name, i, st, err)
		}
		unix.Close(fd)
	}
	return nil
}

// fillLabel is the i-th distinct endpoint label: addresses in 10/8.
func fillLabel(i int) string {
	return fmt.Sprintf("smtp\n10.0.%d.%d\n25\n0\n", i/256, i%256)
}

// rssAnon is the private anonymous memory of pid in KiB.
func rssAnon(pid int) (int64, error) {
	st, err := harness.ProcStatus(pid)
	return st.RssAnonKB, err
}

// sameFile checks that b refers to the same open socket as a.
func sameFile(a, b int) error {
	var sa, sb unix.Stat_t
	if err := unix.Fstat(a, &sa); err != nil {
		return err
	}
	if err := unix.Fstat(b, &sb); err != nil {
		return err
	}
	if sa.Dev != sb.Dev || sa.Ino != sb.Ino {
		return fmt.Errorf("got back inode %d, sent %d", sb.Ino, sa.Ino)
	}
	return nil
}

// summary is the figure set of one target, as reported.
func (s *target) summary() (median, p99 time.Duration, cpuPerK float64) {
	all := slices.Clone(s.samples)
	median, p99 = quantile(all, 0.5), quantile(all, 0.99)
	if s.pairs > 0 {
		cpuPerK = float64(s.cpu) / float64(time.Millisecond) / (float64(s.pairs) / 1000)
	}
	return median, p99, cpuPerK
}
