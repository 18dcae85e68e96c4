package agent

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/postfix-go/postfix-go/smtp/internal/resolve"
)

// daneResolver resolves every destination to one address on 127.0.0.1
// and answers TLSA lookups from dane/err.
type daneResolver struct {
	mx    *resolve.MX
	valid bool
	dane  resolve.DANEResult
	err   error
	asked []string
}

func (r *daneResolver) Resolve(_ context.Context, n resolve.Nexthop) resolve.Result {
	a := resolve.Addr{Host: "mx.d.test", RName: "mx.d.test", IP: mustAddr("127.0.0.1"), Validated: r.valid, MX: r.mx}
	return resolve.Result{Addrs: []resolve.Addr{a}, BestMX: r.mx}
}

func (r *daneResolver) DANE(_ context.Context, a resolve.Addr, port uint16, force bool) (resolve.DANEResult, error) {
	r.asked = append(r.asked, fmt.Sprintf("%s:%d force=%v", a.Host, port, force))
	return r.dane, r.err
}

func TestDANE(t *testing.T) {
	pki := newTestPKI(t, "mx.d.test")
	spki := sha256.Sum256(pki.leaf.RawSubjectPublicKeyInfo)
	ee := resolve.TLSARecord{Usage: 3, Selector: 1, MatchingType: 1, Data: spki[:]}
	wrong := resolve.TLSARecord{Usage: 3, Selector: 1, MatchingType: 1, Data: make([]byte, 32)}
	pkix := resolve.TLSARecord{Usage: 1, Selector: 1, MatchingType: 1, Data: spki[:]}
	secureMX := &resolve.MX{Host: "mx.d.test", Pref: 10, Validated: true, QName: "d.test", RName: "d.test"}
	found := func(fresh bool, recs ...resolve.TLSARecord) resolve.DANEResult {
		return resolve.DANEResult{BaseDomain: "mx.d.test", Found: true, QName: "_PORT._tcp.mx.d.test",
			RName: "_PORT._tcp.mx.d.test", Records: recs, Fresh: fresh}
	}
	eeHex := strings.ToUpper(fmt.Sprintf("%x", spki[:]))
	for _, c := range []struct {
		name, level  string
		r            daneResolver
		mask         TLSLogMask
		kind, status string
		reason       string
		logs         []string // regexps; NAMADDR and PORT are substituted
		noLog        string
	}{
		{name: "EE match", level: "dane", r: daneResolver{mx: secureMX, valid: true, dane: found(true, ee)},
			kind: "sent", status: "2.0.0", logs: []string{`(?m)^Verified TLS connection established to NAMADDR: TLSv1\.3`}},
		{name: "EE match logged", level: "dane-only", mask: TLSLogDANE, r: daneResolver{mx: secureMX, valid: true, dane: found(true, ee)},
			kind: "sent", status: "2.0.0", logs: []string{`(?m)^DNSSEC-signed TLSA record: _PORT\._tcp\.mx\.d\.test: 3 1 1 ` + eeHex + `$`}},
		{name: "cached records not logged", level: "dane", mask: TLSLogDANE, r: daneResolver{mx: secureMX, valid: true, dane: found(false, ee)},
			kind: "sent", status: "2.0.0", noLog: "DNSSEC-signed"},
		{name: "mismatch", level: "dane", r: daneResolver{mx: secureMX, valid: true, dane: found(true, wrong)},
			kind: "defer", status: "4.7.5", reason: "Server certificate not verified",
			logs: []string{`(?m)^server certificate verification failed for NAMADDR: num=65:no matching DANE TLSA records$`}},
		{name: "PKIX usage only: encrypt", level: "dane", r: daneResolver{mx: secureMX, valid: true, dane: found(true, pkix)},
			kind: "sent", status: "2.0.0",
			logs: []string{`(?m)^warning: _PORT\._tcp\.mx\.d\.test unsupported TLSA certificate usage: 1 1 1 ` + eeHex + `$`,
				`(?m)^Untrusted TLS connection established to NAMADDR`}},
		{name: "PKIX usage only: dane-only", level: "dane-only", r: daneResolver{mx: secureMX, valid: true, dane: found(true, pkix)},
			kind: "defer", status: "4.7.5", reason: "TLSA records unusable"},
		{name: "no TLSA: may", level: "dane", r: daneResolver{mx: secureMX, valid: true, dane: resolve.DANEResult{BaseDomain: "mx.d.test"}},
			kind: "sent", status: "2.0.0", logs: []string{`(?m)^Untrusted TLS connection established to NAMADDR`}},
		{name: "lookup error", level: "dane", r: daneResolver{mx: secureMX, valid: true, err: errors.New("SERVFAIL")},
			kind: "defer", status: "4.7.5", reason: "TLSA lookup error for mx.d.test:PORT",
			logs: []string{`(?m)^warning: TLS policy lookup for d\.test:PORT/mx\.d\.test: TLSA lookup error for mx\.d\.test:PORT$`}},
		{name: "insecure MX, dane-only", level: "dane-only", r: daneResolver{mx: &resolve.MX{Host: "mx.d.test", QName: "d.test", RName: "d.test"}, dane: found(true, ee)},
			kind: "defer", status: "4.7.5", reason: "non DNSSEC destination"},
	} {
		t.Run(c.name, func(t *testing.T) {
			srv := startTLSServer(t, &tlsServer{cert: pki.server})
			port := fmt.Sprint(srv.port())
			cfg := tlsTestConfig(t, c.level, nil, nil)
			cfg.TLS.Log |= c.mask
			cfg.TLS.DANE.DNSSECLookups = true
			r := c.r
			r.dane.QName = strings.ReplaceAll(r.dane.QName, "PORT", port)
			r.dane.RName = strings.ReplaceAll(r.dane.RName, "PORT", port)
			h := newHarness(cfg)
			h.agent.Resolver = &r
			req := testRequest(srv.port(), "bob@example.com")
			req.Nexthop = "d.test:" + port
			h.deliver(req)
			wantStatus(t, h, c.kind, c.status, strings.ReplaceAll(c.reason, "PORT", port))
			sub := strings.NewReplacer("NAMADDR", regexp.QuoteMeta("mx.d.test[127.0.0.1]:"+port), "PORT", port)
			for _, l := range c.logs {
				wantLog(t, h, sub.Replace(l))
			}
			if c.noLog != "" && strings.Contains(h.log.String(), c.noLog) {
				t.Errorf("unexpected %q in log:\n%s", c.noLog, h.log)
			}
			if c.r.mx.Validated && (len(r.asked) != 1 || r.asked[0] != "mx.d.test:"+port+" force=false") {
				t.Errorf("TLSA lookups %q", r.asked)
			}
		})
	}
}
