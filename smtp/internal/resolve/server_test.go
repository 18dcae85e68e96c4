package resolve

import (
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// zone is a toy authoritative+recursive view for tests: answers by
// (name, type), per-name rcodes, names that are never answered, and names
// whose answers carry the AD bit.
type zone struct {
	rrs     map[string][]dns.RR // key: lower(fqdn)+"/"+type
	rcode   map[string]int      // key: lower(fqdn)
	silent  map[string]bool     // never answer
	secure  map[string]bool     // set AD in replies (only when the query asked for DNSSEC)
	queries atomic.Int64
	sawDO   atomic.Bool
}

func newZone(records ...string) *zone {
	z := &zone{rrs: map[string][]dns.RR{}, rcode: map[string]int{}, silent: map[string]bool{}, secure: map[string]bool{}}
	for _, s := range records {
		rr, err := dns.NewRR(s)
		if err != nil {
			panic(err)
		}
		k := strings.ToLower(rr.Header().Name) + "/" + dns.TypeToString[rr.Header().Rrtype]
		z.rrs[k] = append(z.rrs[k], rr)
	}
	return z
}

func (z *zone) ServeDNS(w dns.ResponseWriter, q *dns.Msg) {
	z.queries.Add(1)
	name := strings.ToLower(q.Question[0].Name)
	if z.silent[name] {
		return // simulate a dead server: the client must time out
	}
	if opt := q.IsEdns0(); opt != nil && opt.Do() {
		z.sawDO.Store(true)
	}
	m := new(dns.Msg)
	m.SetReply(q)
	m.RecursionAvailable = true
	if rc, ok := z.rcode[name]; ok {
		m.Rcode = rc
		_ = w.WriteMsg(m)
		return
	}
	qt := dns.TypeToString[q.Question[0].Qtype]
	// Follow CNAMEs inside the zone like a recursive resolver would, but
	// stop at the first CNAME whose target is "external" (no data here) so
	// the client has to chase it itself.
	cur := name
	for range 8 {
		if rrs, ok := z.rrs[cur+"/"+qt]; ok {
			m.Answer = append(m.Answer, rrs...)
			break
		}
		c, ok := z.rrs[cur+"/CNAME"]
		if !ok {
			break
		}
		m.Answer = append(m.Answer, c...)
		cur = strings.ToLower(c[0].(*dns.CNAME).Target)
		if z.rrs[cur+"/"+qt] == nil && z.rrs[cur+"/CNAME"] == nil {
			break
		}
	}
	if len(m.Answer) == 0 && !z.exists(name) {
		m.Rcode = dns.RcodeNameError
	}
	m.AuthenticatedData = z.secure[name] && q.AuthenticatedData
	_ = w.WriteMsg(m)
}

func (z *zone) exists(name string) bool {
	for k := range z.rrs {
		if strings.HasPrefix(k, name+"/") {
			return true
		}
	}
	return false
}

// startServer runs z on 127.0.0.1:<random> (UDP and TCP) and returns the
// address. Loopback only: tests never talk to a real resolver.
func startServer(t *testing.T, z *zone) string {
	t.Helper()
	// The TCP port of the random UDP port may be taken: try again.
	var pc net.PacketConn
	var l net.Listener
	for try := 0; ; try++ {
		var err error
		pc, err = net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		l, err = net.Listen("tcp", pc.LocalAddr().String())
		if err == nil {
			break
		}
		pc.Close()
		if try == 20 {
			t.Fatal(err)
		}
	}
	started := make(chan struct{}, 2)
	udp := &dns.Server{PacketConn: pc, Handler: z, NotifyStartedFunc: func() { started <- struct{}{} }}
	tcp := &dns.Server{Listener: l, Handler: z, NotifyStartedFunc: func() { started <- struct{}{} }}
	go func() { _ = udp.ActivateAndServe() }()
	go func() { _ = tcp.ActivateAndServe() }()
	for range 2 {
		select {
		case <-started:
		case <-time.After(5 * time.Second):
			t.Fatal("dns server did not start")
		}
	}
	t.Cleanup(func() { _ = udp.Shutdown(); _ = tcp.Shutdown() })
	return pc.LocalAddr().String()
}
