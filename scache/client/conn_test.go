package client

import (
	"net"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/postfix-go/postfix-go/scache/internal/cache"
	"github.com/postfix-go/postfix-go/scache/internal/service"
)

type nopLog struct{ t *testing.T }

func (l nopLog) Warnf(f string, a ...any) { l.t.Logf("server: "+f, a...) }

// serve runs our protocol handler on a temporary socket.
func serve(t *testing.T) string {
	path := filepath.Join(t.TempDir(), "scache")
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	store := cache.New(cache.Config{TTLLimit: 2})
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				conn, _ := service.New(c.(*net.UnixConn), service.StreamName("scache"), store, nopLog{t}, 5*time.Second)
				conn.Announce()
				for conn.WaitRequest() == nil {
					if conn.Serve() != nil {
						return
					}
				}
			}()
		}
	}()
	return path
}

func TestRoundTrip(t *testing.T) {
	c, err := Dial(serve(t), 5*time.Second, func(s string) { t.Log(s) })
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var p [2]int
	if err := unix.Pipe(p[:]); err != nil {
		t.Fatal(err)
	}
	defer unix.Close(p[0])
	if st, err := c.SaveEndp(2, "smtp\n127.0.0.1\n25\n0\n", "prop", p[1]); err != nil || st != StatOK {
		t.Fatalf("save_endp: %d %v", st, err)
	}
	unix.Close(p[1])
	if st, err := c.SaveDest(2, "smtp\nexample.com\n", "dprop", "smtp\n127.0.0.1\n25\n0\n"); err != nil || st != StatOK {
		t.Fatalf("save_dest: %d %v", st, err)
	}
	st, dp, ep, fd, err := c.FindDest("smtp\nexample.com\n")
	if err != nil || st != StatOK || dp != "dprop" || ep != "prop" || fd < 0 {
		t.Fatalf("find_dest: %d %q %q %d %v", st, dp, ep, fd, err)
	}
	unix.Write(fd, []byte("k"))
	unix.Close(fd)
	buf := make([]byte, 1)
	if n, _ := unix.Read(p[0], buf); n != 1 {
		t.Error("descriptor does not reach the pipe")
	}
	if st, prop, fd, err := c.FindEndp("smtp\n127.0.0.1\n25\n0\n"); err != nil || st != StatFail || prop != "" || fd != -1 {
		t.Errorf("find_endp after take: %d %q %d %v", st, prop, fd, err)
	}
}

func TestBadAnnouncement(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bad")
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err == nil {
			c.Write([]byte("protocol\x00tlsmgr_protocol\x00\x00"))
			c.Close()
		}
	}()
	var warned []string
	if _, err := Dial(path, 2*time.Second, func(s string) { warned = append(warned, s) }); err == nil {
		t.Fatal("wrong announcement accepted")
	}
	if len(warned) != 1 || warned[0] != "unexpected protocol tlsmgr_protocol from "+path+" (expected: connection_cache_protocol)" {
		t.Errorf("warnings %q", warned)
	}
}
