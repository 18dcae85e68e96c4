package dnstest

import (
	"os"
	"testing"

	"github.com/miekg/dns"
)

func TestSignedAnswers(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root for port 53")
	}
	s := Start(t, []string{"sig.test", "plain.test"},
		"mx.sig.test. 60 IN A 127.0.0.1",
		"_25._tcp.mx.sig.test. 60 IN TLSA 3 1 1 8cb0fc6c527506a053f4f14c8464bebbd6dede2738d11468dd953d7d6a3021f1",
		"mx.plain.test. 60 IN A 127.0.0.2",
	)
	s.Sign("sig.test")
	c := &dns.Client{Net: "udp"}
	ask := func(name string, qtype uint16, do, ad bool) *dns.Msg {
		t.Helper()
		q := new(dns.Msg)
		q.SetQuestion(name, qtype)
		q.AuthenticatedData = ad
		if do {
			q.SetEdns0(1232, true)
		}
		r, _, err := c.Exchange(q, s.IP+":53")
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	for _, x := range []struct {
		name    string
		qtype   uint16
		do, ad  bool
		wantAD  bool
		answers int
		rcode   int
	}{
		{"mx.sig.test.", dns.TypeA, true, true, true, 1, dns.RcodeSuccess},
		{"mx.sig.test.", dns.TypeA, false, true, true, 1, dns.RcodeSuccess},
		{"mx.sig.test.", dns.TypeA, false, false, false, 1, dns.RcodeSuccess},
		{"_25._tcp.mx.sig.test.", dns.TypeTLSA, true, true, true, 1, dns.RcodeSuccess},
		{"nothing.sig.test.", dns.TypeTLSA, true, true, true, 0, dns.RcodeNameError},
		{"mx.plain.test.", dns.TypeA, true, true, false, 1, dns.RcodeSuccess},
		{"other.test.", dns.TypeA, true, true, false, 0, dns.RcodeRefused},
	} {
		r := ask(x.name, x.qtype, x.do, x.ad)
		if r.AuthenticatedData != x.wantAD || len(r.Answer) != x.answers || r.Rcode != x.rcode {
			t.Errorf("%s/%s do=%v ad=%v: AD=%v answers=%d rcode=%d", x.name, dns.TypeToString[x.qtype], x.do, x.ad,
				r.AuthenticatedData, len(r.Answer), r.Rcode)
		}
	}
	q := s.Queries()
	if len(q) != 7 || !q[0].DO || !q[0].AD || q[2].DO || q[2].AD {
		t.Errorf("queries %+v", q)
	}
}
