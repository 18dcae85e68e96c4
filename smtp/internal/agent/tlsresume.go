package agent

import (
	"crypto/sha256"
	"crypto/tls"
	"encoding/binary"
	"encoding/hex"
	"strconv"
	"strings"

	"github.com/postfix-go/postfix-go/internal/tlspolicy"
)

// sessionCache is the tlsmgr(8) session cache for this connection, or
// nil when there is none: no smtp_tls_session_cache_database, or tlsmgr
// said no (or could not be asked) when the policy was requested, once
// per process, as tls_client_init does.
func (s *session) sessionCache(cfg *tls.Config) tls.ClientSessionCache {
	sc := s.d.a.cfg.TLS.Sessions
	if sc == nil || !sc.Enabled() {
		return nil
	}
	return sc.For(s.sessionScope(cfg))
}

// sessionScope is the cache key of the connection: stock's serverid
// (smtp_key_prefix with SERVICE, CUR_NEXTHOP, HOSTNAME and ADDR, plus
// the port) followed by a digest of everything in the Go TLS policy that
// must match for a session to be reused, as tls_serverid_digest appends
// one of the OpenSSL policy. A session is thus never resumed under a
// different SNI, protocol range, cipher list, level or set of trust
// records.
func (s *session) sessionScope(cfg *tls.Config) string {
	prefix := keyPrefix("&", s.d.a.cfg.ServiceName, s.nexthop, s.host, s.addr, strconv.Itoa(s.port))
	return prefix + policyDigest(&s.policy, cfg)
}

// policyDigest hashes the policy fields and the resulting tls.Config
// settings, each length-prefixed, into uppercase hex.
func policyDigest(p *tlspolicy.Policy, cfg *tls.Config) string {
	h := sha256.New()
	put := func(b []byte) {
		h.Write(binary.AppendUvarint(nil, uint64(len(b))))
		h.Write(b)
	}
	str := func(v string) { put([]byte(v)) }
	num := func(v int) { str(strconv.Itoa(v)) }
	recs := func(tag string, rs []tlspolicy.TLSA) {
		str(tag)
		num(len(rs))
		for _, r := range rs {
			num(int(r.Usage))
			num(int(r.Selector))
			num(int(r.MatchingType))
			put(r.Data)
		}
	}
	str("postfix-go smtp session policy v1")
	num(int(p.Level))
	str(p.Protocols)
	str(p.CipherGrade)
	str(p.Exclusions)
	str(p.SNI)
	str(cfg.ServerName)
	num(int(cfg.MinVersion))
	num(int(cfg.MaxVersion))
	num(len(cfg.CipherSuites))
	for _, c := range cfg.CipherSuites {
		num(int(c))
	}
	str(strings.Join(p.Match, "\x00"))
	str(strconv.FormatBool(p.MatchSet))
	num(len(p.Fingerprints))
	for _, f := range p.Fingerprints {
		put(f)
	}
	str(strings.Join(p.TAFiles, "\x00"))
	recs("ta", p.TrustAnchors)
	if p.DANE != nil {
		str(p.DANE.BaseDomain)
		str(strconv.FormatBool(p.DANE.Found))
		recs("dane", p.DANE.Records)
	} else {
		str("-")
	}
	return strings.ToUpper(hex.EncodeToString(h.Sum(nil)))
}
