package service

import (
	"io"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/postfix-go/postfix-go/scache/internal/cache"
)

type quietLog struct{}

func (quietLog) Warnf(string, ...any) {}

// FuzzServe throws arbitrary client bytes at the protocol handler: it must
// answer or give up, never panic or hang, and never keep a descriptor it
// did not cache.
func FuzzServe(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.request.bin"))
	for _, name := range files {
		if b, err := os.ReadFile(name); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte("request\x00save_endp\x00ttl\x00-1\x00label\x00\x00property\x00\x00\x00"))
	f.Add([]byte("dummy\x00\x00\x00request\x00find_dest\x00label\x00x\x00\x00"))
	f.Fuzz(func(t *testing.T, in []byte) {
		fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
		if err != nil {
			t.Fatal(err)
		}
		file := os.NewFile(uintptr(fds[0]), "srv")
		nc, err := net.FileConn(file)
		file.Close()
		if err != nil {
			t.Fatal(err)
		}
		store := cache.New(cache.Config{TTLLimit: 2})
		defer store.Close()
		c, err := New(nc.(*net.UnixConn), StreamName("scache"), store, quietLog{}, 2*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		done := make(chan struct{})
		go func() {
			defer close(done)
			defer nc.Close()
			for c.WaitRequest() == nil {
				if err := c.Serve(); err != nil {
					return
				}
			}
		}()
		cli := os.NewFile(uintptr(fds[1]), "cli")
		cli.Write(in)
		unix.Shutdown(fds[1], unix.SHUT_WR)
		go io.Copy(io.Discard, cli)
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatalf("server hung on %q", in)
		}
		cli.Close()
	})
}
