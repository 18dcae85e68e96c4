package agent

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/postfix-go/postfix-go/master-compat/attr"
)

// The attr0 lists smtp(8) exchanges with tlsproxy(8) in the client role
// (spec tlsproxy.md §3-§5). The tlsproxy daemon's own codec lives under
// tlsproxy/internal, which Go does not let this package import, so the
// client side is written here from the same tables; the tests compare
// its output with the captured stock request byte for byte.

// Request flags (TLS_PROXY_FLAG_*): smtp asks for the client role and
// for the TLS context back.
const (
	proxyFlagRoleClient  = 1 << 1
	proxyFlagSendContext = 1 << 2
)

// ProxyParams are the 20 global TLS parameters stock sends first in list
// 2 (TLS_CLIENT_PARAMS, 3.7.6+). tlsproxy does not apply them; stock
// tlsproxy compares them with its own main.cf and warns on any
// difference, so they must be this process's main.cf values.
type ProxyParams struct {
	ConfigFile, ConfigName                           string
	HighCiphers, MediumCiphers, LowCiphers           string
	ExportCiphers, NullCiphers                       string
	AutoCurves, StrongCurve, UltraCurve              string
	DisableWorkarounds, SSLOptions, DANEDigests      string
	MgrService, TicketCipher                         string
	RandomBytes                                      int
	AppendDefaultCA, LegacyPkeyFprints, PreemptCiphs bool
	WildcardMultiLabels                              bool
}

func (p *ProxyParams) append(l *attr.List) {
	l.Str("config_file", p.ConfigFile).Str("config_name", p.ConfigName).
		Str("tls_high_cipherlist", p.HighCiphers).Str("tls_medium_cipherlist", p.MediumCiphers).
		Str("tls_low_cipherlist", p.LowCiphers).Str("tls_export_cipherlist", p.ExportCiphers).
		Str("tls_null_cipherlist", p.NullCiphers).Str("tls_eecdh_auto_curves", p.AutoCurves).
		Str("tls_eecdh_strong_curve", p.StrongCurve).Str("tls_eecdh_ultra_curve", p.UltraCurve).
		Str("tls_disable_workarounds", p.DisableWorkarounds).Str("tls_ssl_options", p.SSLOptions).
		Str("tls_dane_digests", p.DANEDigests).Str("tlsmgr_service_name", p.MgrService).
		Str("tls_session_ticket_cipher", p.TicketCipher).Int("tls_daemon_random_bytes", p.RandomBytes).
		Int("tls_append_default_CA", b2i(p.AppendDefaultCA)).
		Int("tls_legacy_public_key_fingerprints", b2i(p.LegacyPkeyFprints)).
		Int("tls_preempt_cipherlist", b2i(p.PreemptCiphs)).
		Int("tls_wildcard_matches_multiple_labels", b2i(p.WildcardMultiLabels))
}

// ProxyInit are the 14 TLS_CLIENT_INIT_PROPS: what stock would give
// tls_client_init(). tlsproxy keys its client contexts on them and
// reads the certificate and CA files they name.
type ProxyInit struct {
	LogParam, LogLevel    string // "smtp_tls_loglevel" and its value
	VerifyDepth           int
	CacheType             string // "smtp" or "lmtp"
	ChainFiles            string
	CertFile, KeyFile     string
	DCertFile, DKeyFile   string
	ECCertFile, ECKeyFile string
	CAFile, CAPath, MDAlg string
}

func (p *ProxyInit) append(l *attr.List) {
	l.Str("log_param", p.LogParam).Str("log_level", p.LogLevel).Int("verifydepth", p.VerifyDepth).
		Str("cache_type", p.CacheType).Str("chain_files", p.ChainFiles).
		Str("cert_file", p.CertFile).Str("key_file", p.KeyFile).
		Str("dcert_file", p.DCertFile).Str("dkey_file", p.DKeyFile).
		Str("eccert_file", p.ECCertFile).Str("eckey_file", p.ECKeyFile).
		Str("CAfile", p.CAFile).Str("CApath", p.CAPath).Str("mdalg", p.MDAlg)
}

// proxyTLSA is one record of the start props' DANE set.
type proxyTLSA struct {
	usage, selector, mtype int
	data                   []byte
}

// proxyStart are the per-session TLS_CLIENT_START_PROPS.
type proxyStart struct {
	timeout, level              int
	nexthop, host, namaddr, sni string
	serverID, helo, protocols   string
	grade, exclusions           string
	match                       []string
	mdalg                       string
	dane                        bool // a TLS_DANE object exists
	daneDomain                  string
	tlsa                        []proxyTLSA
}

func (p *proxyStart) append(l *attr.List) {
	l.Int("timeout", p.timeout).Int("tls_level", p.level).Str("nexthop", p.nexthop).
		Str("host", p.host).Str("namaddr", p.namaddr).Str("sni", p.sni).
		Str("serverid", p.serverID).Str("helo", p.helo).Str("protocols", p.protocols).
		Str("cipher_grade", p.grade).Str("cipher_exclusions", p.exclusions).
		Int("argv_size", len(p.match))
	for _, m := range p.match {
		l.Str("argv_value", m)
	}
	l.Str("mdalg", p.mdalg).Int("dane", b2i(p.dane))
	if !p.dane {
		return
	}
	l.Str("domain", p.daneDomain).Int("count", len(p.tlsa))
	for _, r := range p.tlsa {
		l.Int("usage", r.usage).Int("selector", r.selector).Int("mtype", r.mtype).Data("data", r.data)
	}
}

// proxyRequest is list 1 (remote endpoint, flags, the handshake and the
// session timeout under the same name, serverid) followed by list 2
// (params, init props, start props): stock sends both in one write.
func proxyRequest(endpoint string, handshake, session int, service string,
	params *ProxyParams, init *ProxyInit, start *proxyStart) []byte {
	l1 := new(attr.List).Str("remote_endpoint", endpoint).
		Int("flags", proxyFlagRoleClient|proxyFlagSendContext).
		Int("timeout", handshake).Int("timeout", session).Str("serverid", service)
	l2 := new(attr.List)
	params.append(l2)
	init.append(l2)
	start.append(l2)
	return append(l1.Bytes(), l2.Bytes()...)
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// proxyContext is the TLS context tlsproxy sends after the handshake
// (TLS_SESS_STATE as tls_proxy_context_print writes it). It is all the
// smtp process knows about the TLS session, and what it caches.
type proxyContext struct {
	peerCN, issuerCN, certFprint, pkeyFprint string
	level, peerStatus                        int
	protocol, cipher                         string
	useBits, algBits                         int
	kexName, kexCurve                        string
	kexBits                                  int
	clntSig, clntCurve                       string
	clntBits                                 int
	clntDigest                               string
	srvrSig, srvrCurve                       string
	srvrBits                                 int
	srvrDigest, namaddr                      string
}

// Peer status bits (TLS_CERT_FLAG_*).
const (
	peerPresent = 1 << 0
	peerTrusted = 1 << 2
	peerMatched = 1 << 3
	peerSecured = 1 << 4
)

// ctxField is one context attribute: exactly one of str and num is set.
type ctxField struct {
	name string
	str  *string
	num  *int
}

// fields lists the 22 attributes in wire order, once for all codecs.
func (c *proxyContext) fields() []ctxField {
	s := func(n string, p *string) ctxField { return ctxField{name: n, str: p} }
	i := func(n string, p *int) ctxField { return ctxField{name: n, num: p} }
	return []ctxField{
		s("peer_CN", &c.peerCN), s("issuer_CN", &c.issuerCN),
		s("peer_fingerprint", &c.certFprint), s("peer_pubkey_fingerprint", &c.pkeyFprint),
		i("level", &c.level), i("peer_status", &c.peerStatus),
		s("cipher_protocol", &c.protocol), s("cipher_name", &c.cipher),
		i("cipher_usebits", &c.useBits), i("cipher_algbits", &c.algBits),
		s("key_exchange", &c.kexName), s("key_exchange_curve", &c.kexCurve), i("key_exchange_bits", &c.kexBits),
		s("clnt_signature", &c.clntSig), s("clnt_signature_curve", &c.clntCurve),
		i("clnt_signature_bits", &c.clntBits), s("clnt_signature_digest", &c.clntDigest),
		s("srvr_signature", &c.srvrSig), s("srvr_signature_curve", &c.srvrCurve),
		i("srvr_signature_bits", &c.srvrBits), s("srvr_signature_digest", &c.srvrDigest),
		s("namaddr", &c.namaddr),
	}
}

// errContext marks a context that is missing or malformed.
var errContext = errors.New("bad TLS context")

// readProxyContext reads exactly one context list, strictly, as
// tls_proxy_context_receive does. An EOF means the handshake failed.
func readProxyContext(sc *attr.Scanner) (*proxyContext, error) {
	c := new(proxyContext)
	fs := c.fields()
	wants := make([]attr.Want, len(fs))
	for k, f := range fs {
		if f.str != nil {
			wants[k] = attr.Str(f.name, f.str)
		} else {
			wants[k] = attr.Int(f.name, f.num)
		}
	}
	n, err := sc.Scan(attr.Strict, wants...)
	if err != nil {
		return nil, err
	}
	if n != len(fs) {
		return nil, errContext
	}
	return c, nil
}

// appendPlain appends the context in the plain encoding, as
// smtp_session_passivate appends it to the endpoint properties.
// Integers print as unsigned, like %u.
func (c *proxyContext) appendPlain(attrs []attr.Attr) []attr.Attr {
	for _, f := range c.fields() {
		v := ""
		if f.str != nil {
			v = *f.str
		} else {
			v = strconv.FormatUint(uint64(uint32(int32(*f.num))), 10)
		}
		attrs = append(attrs, attr.Attr{Name: f.name, Value: v})
	}
	return attrs
}

// parsePlainContext is the reverse of appendPlain: exactly the 22
// attributes, in order, and nothing after the list.
func parsePlainContext(s string) (*proxyContext, error) {
	attrs, rest, err := attr.ParsePlain(s)
	if err != nil {
		return nil, err
	}
	c := new(proxyContext)
	fs := c.fields()
	if len(attrs) != len(fs) || rest != "" {
		return nil, fmt.Errorf("%w: %d attributes", errContext, len(attrs))
	}
	for k, f := range fs {
		if attrs[k].Name != f.name {
			return nil, fmt.Errorf("%w: unexpected attribute %s", errContext, attrs[k].Name)
		}
		if f.str != nil {
			*f.str = attrs[k].Value
			continue
		}
		u, err := strconv.ParseUint(attrs[k].Value, 10, 32)
		if err != nil {
			return nil, fmt.Errorf("%w: %s=%s", errContext, f.name, attrs[k].Value)
		}
		*f.num = int(int32(uint32(u)))
	}
	return c, nil
}
