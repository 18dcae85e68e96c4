package harness

import (
	"fmt"
	"net/netip"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"testing"
	"time"
)

var sinkAtSeq atomic.Int64

// StartSinkAt is StartSink on another loopback address than 127.0.0.1:
// DNS tests give each MX host its own 127.0.0.x, all on one port (the
// port of a "domain:port" next-hop applies to every MX host).
func (in *Instance) StartSinkAt(t testing.TB, ip string, o SinkOptions) *Sink {
	t.Helper()
	addr, err := netip.ParseAddr(ip)
	if err != nil || !addr.Is4() || !addr.IsLoopback() {
		t.Fatalf("StartSinkAt: %q is not an IPv4 loopback address", ip)
	}
	if o.Port == 0 {
		o.Port = in.SinkPort
	}
	if o.Backlog == 0 {
		o.Backlog = 1000
	}
	ap := netip.AddrPortFrom(addr, uint16(o.Port))
	s := &Sink{Port: o.Port, Addr: ap.String()}
	// A fresh name per start: a restarted sink must not see the dumps
	// and counters of its predecessor on the same address.
	tag := fmt.Sprintf("%s-%d-%d", ip, o.Port, sinkAtSeq.Add(1))
	args := []string{"-u", "postfix", "-c"}
	if o.Save {
		s.DumpDir = filepath.Join(in.Dir, "sink-"+tag)
		if err := mkdirPostfix(s.DumpDir); err != nil {
			t.Fatal(err)
		}
		args = append(args, "-d", s.DumpDir+"/%Y%m%d%H%M%S.")
	}
	if o.LMTP {
		args = append(args, "-L")
	}
	args = append(append(args, o.Args...), s.Addr, strconv.Itoa(o.Backlog))
	c, err := in.startChild("smtp-sink", exec.Command("smtp-sink", args...), filepath.Join(in.Dir, "sink-"+tag+".out"))
	if err != nil {
		t.Fatal(err)
	}
	s.c = c
	// Match the exact address: other sinks may share the port.
	err = poll(10*time.Second, func() (bool, error) {
		if c.exited() {
			return false, fmt.Errorf("smtp-sink on %s exited: %v: %s", s.Addr, c.err, c.output())
		}
		conns, err := tcpTable("/proc/net/tcp")
		for _, tc := range conns {
			if tc.State == tcpListen && tc.Local == ap {
				return true, nil
			}
		}
		return false, err
	}, func() string { return "smtp-sink not listening on " + s.Addr })
	if err != nil {
		c.stop()
		t.Fatal(err)
	}
	t.Cleanup(s.Stop)
	return s
}
