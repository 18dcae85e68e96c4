package tests

import (
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/postfix-go/postfix-go/tests/dnstest"
	"github.com/postfix-go/postfix-go/tests/harness"
)

// DANE with OUR smtp(8): relayhost = <domain>:PORT names a domain whose
// MX host is the STARTTLS sink of smtp_tls_test.go on 127.0.0.1. The
// loopback DNS server plays the validating resolver: answers for
// dnstest.Server.Sign'ed domains carry the AD bit, which smtp trusts at
// smtp_dns_support_level = dnssec. TLSA records live at
// _PORT._tcp.<MX host>, PORT being the sink's smtpd port.

// readPEMCert parses the first certificate of a PEM file.
func readPEMCert(t *testing.T, path string) *x509.Certificate {
	t.Helper()
	b, err := os.ReadFile(strings.TrimSpace(path))
	if err != nil {
		t.Fatal(err)
	}
	blk, _ := pem.Decode(b)
	if blk == nil {
		t.Fatalf("%s: no PEM data", path)
	}
	c, err := x509.ParseCertificate(blk.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// daneZones serves, for the sink at port:
//
//	good.test   signed,   TLSA 3 1 1 of the sink's key
//	bad.test    signed,   TLSA 3 1 1 of some other key
//	sink.test   signed,   MX host mx.sink.test (the name in the sink's
//	                      certificate): TLSA 2 0 0 of the sink's CA, which
//	                      the sink does not send (DANE-TA with name checks)
//	none.test   signed,   no TLSA records
//	plain.test  unsigned, TLSA 3 1 1 of the sink's key (never asked for)
func daneZones(t *testing.T, port int, leaf, ca *x509.Certificate) *dnstest.Server {
	t.Helper()
	spki := sha256.Sum256(leaf.RawSubjectPublicKeyInfo)
	good := hex.EncodeToString(spki[:])
	var recs []string
	for _, z := range []struct{ domain, tlsa string }{
		{"good.test", "3 1 1 " + good},
		{"bad.test", "3 1 1 " + strings.Repeat("5a", 32)},
		{"sink.test", "2 0 0 " + hex.EncodeToString(ca.Raw)},
		{"none.test", ""},
		{"plain.test", "3 1 1 " + good},
	} {
		mx := "mx." + z.domain
		recs = append(recs, z.domain+". 60 IN MX 10 "+mx+".", mx+". 60 IN A 127.0.0.1")
		if z.tlsa != "" {
			recs = append(recs, fmt.Sprintf("_%d._tcp.%s. 60 IN TLSA %s", port, mx, z.tlsa))
		}
	}
	srv := dnstest.Start(t, []string{"good.test", "bad.test", "sink.test", "none.test", "plain.test"}, recs...)
	srv.Sign("good.test", "bad.test", "sink.test", "none.test")
	return srv
}

// daneSender starts an instance with our smtp, relayhost = relay (a
// domain:port, so an MX lookup), DNS through srv with DNSSEC, and the
// given TLS security level.
func daneSender(t *testing.T, srv *dnstest.Server, relay, level string) *harness.Instance {
	t.Helper()
	return harness.NewDNS(t, srv.IP, harness.Options{
		Replace: map[string]string{"smtp": harness.Daemon(t, "smtp")},
		MainCF: map[string]string{
			"relayhost":                       relay,
			"inet_protocols":                  "ipv4",
			"smtp_dns_support_level":          "dnssec",
			"smtp_host_lookup":                "dns",
			"smtp_connection_cache_on_demand": "no",
			"smtp_tls_security_level":         level,
			"smtp_tls_loglevel":               "1",
		},
	})
}

func TestSMTPDANE(t *testing.T) {
	harness.Require(t)
	sink, caFile := tlsSink(t)
	certFile, err := sink.Postconf("-h", "smtpd_tls_cert_file")
	if err != nil {
		t.Fatal(err)
	}
	leaf, ca := readPEMCert(t, certFile), readPEMCert(t, caFile)
	port := sink.SMTPDPort
	srv := daneZones(t, port, leaf, ca)
	tlsa := fmt.Sprintf("_%d._tcp.", port)
	for _, c := range []struct {
		name, domain, level string
		status, dsn, reason string
		logs                []string // regexps after "smtp[pid]: "; NAMADDR is substituted
		queries             []string
		notLogged           string
	}{
		{name: "EE match", domain: "good.test", level: "dane", status: "sent", dsn: "2.0.0",
			logs:    []string{`Verified TLS connection established to NAMADDR: TLSv1\.3 with cipher \S+ \(\d+/\d+ bits\) key-exchange X25519 server-signature ECDSA \(prime256v1\) server-digest SHA256$`},
			queries: []string{"good.test/MX", "mx.good.test/A", tlsa + "mx.good.test/TLSA"}},
		{name: "EE match, dane-only", domain: "good.test", level: "dane-only", status: "sent", dsn: "2.0.0",
			logs: []string{`Verified TLS connection established to NAMADDR: `}},
		{name: "TA match", domain: "sink.test", level: "dane", status: "sent", dsn: "2.0.0",
			logs: []string{`Verified TLS connection established to NAMADDR: `}},
		{name: "mismatch", domain: "bad.test", level: "dane", status: "deferred", dsn: "4.7.5", reason: "Server certificate not verified",
			logs: []string{`server certificate verification failed for NAMADDR: num=65:no matching DANE TLSA records$`,
				`Untrusted TLS connection established to NAMADDR: `}},
		{name: "no TLSA: may", domain: "none.test", level: "dane", status: "sent", dsn: "2.0.0",
			logs:      []string{`Untrusted TLS connection established to NAMADDR: `},
			queries:   []string{"none.test/MX", "mx.none.test/A", tlsa + "mx.none.test/TLSA"},
			notLogged: "Verified"},
		{name: "no TLSA, dane-only", domain: "none.test", level: "dane-only", status: "deferred", dsn: "4.7.5", reason: "no TLSA records found",
			logs: []string{`warning: TLS policy lookup for none\.test:\d+/mx\.none\.test: no TLSA records found$`}},
		{name: "unsigned: may", domain: "plain.test", level: "dane", status: "sent", dsn: "2.0.0",
			logs: []string{`Untrusted TLS connection established to NAMADDR: `},
			// No AD on the host's address: no TLSA query at all.
			queries:   []string{"plain.test/MX", "mx.plain.test/A"},
			notLogged: "Verified"},
		{name: "unsigned, dane-only", domain: "plain.test", level: "dane-only", status: "deferred", dsn: "4.7.5", reason: "non DNSSEC destination",
			logs: []string{`warning: TLS policy lookup for plain\.test:\d+/mx\.plain\.test: non DNSSEC destination$`}},
	} {
		t.Run(c.name, func(t *testing.T) {
			before := len(srv.Queries())
			in := daneSender(t, srv, fmt.Sprintf("%s:%d", c.domain, port), c.level)
			d := deliverOne(t, in, c.status)
			checkOurSMTP(t, in)
			namaddr := fmt.Sprintf("mx.%s[127.0.0.1]:%d", c.domain, port)
			if d.DSN != c.dsn || (c.reason != "" && d.Reason != c.reason) {
				t.Errorf("delivery line: %s", d.Line.Raw)
			}
			if c.status == "sent" && d.Relay != namaddr {
				t.Errorf("relay %q, want %q", d.Relay, namaddr)
			}
			for _, l := range c.logs {
				pat := `smtp\[\d+\]: ` + strings.ReplaceAll(l, "NAMADDR", regexp.QuoteMeta(namaddr))
				if _, err := in.WaitLog(pat, logTimeout); err != nil {
					t.Error(err)
				}
			}
			lines, err := in.LogLines()
			if err != nil {
				t.Fatal(err)
			}
			if c.notLogged != "" {
				if m := lines.Program("smtp").Match(regexp.QuoteMeta(c.notLogged)); len(m) > 0 {
					t.Errorf("unexpected log:\n%s", m)
				}
			}
			if c.status == "sent" {
				checkNoSMTPProblems(t, in)
			}
			qs := srv.Queries()[before:]
			for _, q := range qs {
				// MX and TLSA queries always ask for DNSSEC; address
				// queries only when the MX RRset validated or the
				// insecure-MX policy is stronger than "may".
				if (!q.DO && q.Type != "A") || !srv.InZone(q.Name) {
					t.Errorf("query without DNSSEC or outside the zones: %+v", q)
				}
			}
			if c.queries != nil {
				got := map[string]bool{}
				for _, q := range qs {
					got[q.Name+"/"+q.Type] = true
				}
				want := map[string]bool{}
				for _, q := range c.queries {
					want[q] = true
				}
				if fmt.Sprint(got) != fmt.Sprint(want) {
					t.Errorf("DNS questions %v, want %v", got, want)
				}
			}
		})
	}
}
