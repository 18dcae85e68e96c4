// Package dnstest runs a tiny authoritative DNS server on a loopback
// address, port 53, for integration tests of our smtp(8).
//
// Our smtp reads its name servers from the file named by the main.cf
// parameter postfix_go_resolv_conf, and always uses port 53. Tests must
// never let it fall back to /etc/resolv.conf (a real, unreachable
// resolver on this machine); harness.NewDNS points it at this server.
//
// The server answers only for its zones and logs every question, so a
// test can prove that the agent asked exactly what Postfix would ask.
//
// DNSSEC: the server signs nothing, but it can play the trusted
// validating resolver that Postfix relies on with smtp_dns_support_level
// = dnssec. Names under a domain passed to Sign are "secure": answers for
// them carry the AD bit when the query asked for DNSSEC (DO bit or AD
// bit set, as glibc does with RES_USE_DNSSEC and trust-ad). Everything
// else is "insecure" and never gets AD. Any record type dns.NewRR parses
// can be served, TLSA included.
package dnstest

import (
	"fmt"
	"math/rand/v2"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// Query is one question the server received.
type Query struct {
	Name string // lower case, without the trailing dot
	Type string // "MX", "A", "AAAA", ...
	Net  string // "udp" or "tcp"
	DO   bool   // the EDNS0 DO bit was set
	AD   bool   // the AD bit was set in the query
}

func (q Query) String() string { return q.Name + "/" + q.Type + "/" + q.Net }

// Server is a running loopback DNS server.
type Server struct {
	IP    string // 127.53.x.y; the port is always 53
	zones []string
	rrs   map[string][]dns.RR // key: lower fqdn + "/" + type

	mu      sync.Mutex
	queries []Query
	signed  []string // domains whose answers are DNSSEC-validated
}

// Sign marks domains (and every name below them) as DNSSEC-signed from
// now on; see the package comment. It may be called at any time.
func (s *Server) Sign(domains ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, d := range domains {
		s.signed = append(s.signed, strings.ToLower(strings.TrimSuffix(d, ".")))
	}
}

// secure reports whether name lies under a signed domain.
func (s *Server) secure(name string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return under(name, s.signed)
}

func under(name string, domains []string) bool {
	for _, z := range domains {
		if name == z || strings.HasSuffix(name, "."+z) {
			return true
		}
	}
	return false
}

// Start serves records (zone-file syntax, e.g. "example.test. 60 IN MX
// 10 mx1.example.test.") for the given zones on UDP and TCP port 53 of a
// random 127.53.x.y address, until the test ends. A random address
// rather than a fixed one lets parallel test processes on this machine
// coexist, since the port cannot change. Needs root (port 53).
func Start(t testing.TB, zones []string, records ...string) *Server {
	t.Helper()
	s := &Server{rrs: map[string][]dns.RR{}}
	for _, z := range zones {
		s.zones = append(s.zones, strings.ToLower(strings.TrimSuffix(z, ".")))
	}
	for _, r := range records {
		rr, err := dns.NewRR(r)
		if err != nil {
			t.Fatalf("dnstest: bad record %q: %v", r, err)
		}
		k := strings.ToLower(rr.Header().Name) + "/" + dns.TypeToString[rr.Header().Rrtype]
		s.rrs[k] = append(s.rrs[k], rr)
	}
	pc, l, err := listen()
	if err != nil {
		t.Fatalf("dnstest: %v", err)
	}
	s.IP = pc.LocalAddr().(*net.UDPAddr).IP.String()
	started := make(chan struct{}, 2)
	notify := func() { started <- struct{}{} }
	udp := &dns.Server{PacketConn: pc, Handler: s.handler("udp"), NotifyStartedFunc: notify}
	tcp := &dns.Server{Listener: l, Handler: s.handler("tcp"), NotifyStartedFunc: notify}
	go func() { _ = udp.ActivateAndServe() }()
	go func() { _ = tcp.ActivateAndServe() }()
	for range 2 {
		select {
		case <-started:
		case <-time.After(10 * time.Second):
			t.Fatal("dnstest: server did not start")
		}
	}
	t.Cleanup(func() { _ = udp.Shutdown(); _ = tcp.Shutdown() })
	return s
}

// listen binds UDP and TCP port 53 on the same random 127.53.x.y.
func listen() (net.PacketConn, net.Listener, error) {
	var last error
	for range 50 {
		addr := fmt.Sprintf("127.53.%d.%d:53", 1+rand.IntN(254), 1+rand.IntN(254))
		pc, err := net.ListenPacket("udp4", addr)
		if err != nil {
			last = err
			continue
		}
		l, err := net.Listen("tcp4", addr)
		if err != nil {
			pc.Close()
			last = err
			continue
		}
		return pc, l, nil
	}
	return nil, nil, fmt.Errorf("no free 127.53.x.y:53: %w", last)
}

// Queries returns every question received so far, in arrival order.
func (s *Server) Queries() []Query {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Query(nil), s.queries...)
}

// InZone reports whether name (no trailing dot) lies in one of the zones.
func (s *Server) InZone(name string) bool { return under(name, s.zones) }

func (s *Server) handler(network string) dns.HandlerFunc {
	return func(w dns.ResponseWriter, q *dns.Msg) {
		m := new(dns.Msg)
		m.SetReply(q)
		if len(q.Question) != 1 {
			m.Rcode = dns.RcodeFormatError
			_ = w.WriteMsg(m)
			return
		}
		qn := strings.ToLower(q.Question[0].Name)
		qt := dns.TypeToString[q.Question[0].Qtype]
		name := strings.TrimSuffix(qn, ".")
		opt := q.IsEdns0()
		do := opt != nil && opt.Do()
		s.mu.Lock()
		s.queries = append(s.queries, Query{Name: name, Type: qt, Net: network, DO: do, AD: q.AuthenticatedData})
		s.mu.Unlock()
		m.Authoritative = true
		switch {
		case !s.InZone(name):
			// Not ours: an authoritative-only server refuses.
			m.Authoritative = false
			m.Rcode = dns.RcodeRefused
		case len(s.rrs[qn+"/"+qt]) > 0:
			m.Answer = append(m.Answer, s.rrs[qn+"/"+qt]...)
		case !s.exists(qn):
			m.Rcode = dns.RcodeNameError
		}
		// Otherwise NOERROR with no answer: NODATA.
		if m.Rcode != dns.RcodeRefused && (do || q.AuthenticatedData) && s.secure(name) {
			// A validating resolver vouches for the answer (or for the
			// proof of non-existence).
			m.AuthenticatedData = true
		}
		if opt != nil {
			m.SetEdns0(1232, do)
		}
		_ = w.WriteMsg(m)
	}
}

func (s *Server) exists(fqdn string) bool {
	for k := range s.rrs {
		if strings.HasPrefix(k, fqdn+"/") {
			return true
		}
	}
	return false
}
