package service

import (
	"testing"

	"golang.org/x/sys/unix"

	"github.com/postfix-go/postfix-go/master-compat/attr"
	"github.com/postfix-go/postfix-go/master-compat/fdpass"
)

// BenchmarkSaveFindPair measures one save_endp + find_endp exchange
// through the protocol handler over a socket pair, with allocations:
// the per-request cost that the server adds on top of the system calls.
func BenchmarkSaveFindPair(b *testing.B) {
	r := newRigB(b)
	var p [2]int
	if err := unix.Pipe(p[:]); err != nil {
		b.Fatal(err)
	}
	defer unix.Close(p[0])
	defer unix.Close(p[1])
	save := new(attr.List).Str("request", "save_endp").Int("ttl", 2).Str("label", "smtp\n127.0.0.1\n25\n0\n").
		Str("property", "tls_level=0\nreuse_count=0\nendpoint_features=34695\nexpire_time=1795930729\n\n").Bytes()
	find := new(attr.List).Str("request", "find_endp").Str("label", "smtp\n127.0.0.1\n25\n0\n").Bytes()
	dummy := new(attr.List).Str("dummy", "").Bytes()
	buf := make([]byte, 512)
	ch := fdpass.NewChannel(r.raw())
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r.client.Write(save)
		r.client.Read(buf) // dummy
		if err := ch.Send(p[1]); err != nil {
			b.Fatal(err)
		}
		r.client.Read(buf) // status
		r.client.Write(find)
		r.client.Read(buf) // status + property
		r.client.Write(dummy)
		fd, err := ch.Recv()
		if err != nil {
			b.Fatal(err)
		}
		unix.Close(fd)
		r.client.Write(dummy)
	}
}
