package masterstatus

import (
	"bytes"
	"os"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func TestEncodeMatchesStock(t *testing.T) {
	for _, tt := range []struct {
		fixture string
		avail   int32
	}{{"master-status-taken.bin", Taken}, {"master-status-avail.bin", Avail}} {
		want, err := os.ReadFile("testdata/" + tt.fixture)
		if err != nil {
			t.Fatal(err)
		}
		gen, err := ParseGeneration("41") // the capture's GENERATION=41
		if err != nil {
			t.Fatal(err)
		}
		got := Encode(15984, gen, tt.avail)
		if !bytes.Equal(got[:], want) {
			t.Errorf("%s: got % x want % x", tt.fixture, got, want)
		}
	}
}

func TestParseGeneration(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want uint32
		ok   bool
	}{{"", 0, true}, {"41", 33, true}, {"0", 0, true}, {"8", 0, false}, {"x1", 0, false}, {"-1", 0, false}} {
		got, err := ParseGeneration(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("ParseGeneration(%q) = %d, %v", tt.in, got, err)
		}
	}
}

func pair(t *testing.T) (child, master int) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	return fds[0], fds[1]
}

func readRecords(t *testing.T, fd int, n int) []int32 {
	t.Helper()
	var out []int32
	buf := make([]byte, 12)
	for len(out) < n {
		if _, err := unix.Read(fd, buf); err != nil {
			t.Fatal(err)
		}
		out = append(out, int32(buf[8]))
	}
	return out
}

func TestNestedBusy(t *testing.T) {
	child, master := pair(t)
	defer unix.Close(child)
	defer unix.Close(master)
	c := New(child, 123, 7)
	c.Begin()
	c.Begin()
	if err := c.End(); err != nil {
		t.Fatal(err)
	}
	if err := c.End(); err != nil {
		t.Fatal(err)
	}
	c.Begin()
	if err := c.End(); err != nil {
		t.Fatal(err)
	}
	if got := readRecords(t, master, 4); got[0] != Taken || got[1] != Avail || got[2] != Taken || got[3] != Avail {
		t.Errorf("records %v", got)
	}
	fl, _ := unix.FcntlInt(uintptr(child), unix.F_GETFL, 0)
	if fl&unix.O_NONBLOCK != 0 {
		t.Error("status descriptor made non-blocking")
	}
}

func TestWatchEOFAndFailedAvail(t *testing.T) {
	child, master := pair(t)
	defer unix.Close(child)
	c := New(child, 1, 0)
	eof := c.WatchEOF()
	time.Sleep(50 * time.Millisecond) // let the watcher start
	if fl, _ := unix.FcntlInt(uintptr(child), unix.F_GETFL, 0); fl&unix.O_NONBLOCK != 0 {
		t.Error("watching made the shared status descriptor non-blocking")
	}
	select {
	case <-eof:
		t.Fatal("EOF reported while master is still there")
	default:
	}
	unix.Close(master)
	select {
	case <-eof:
	case <-time.After(10 * time.Second):
		t.Fatal("EOF not noticed")
	}
	c.Begin()
	if err := c.End(); err == nil {
		t.Error("AVAIL to a closed master did not fail")
	}
}
