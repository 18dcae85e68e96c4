package tlsproxyproto

import (
	"fmt"

	"github.com/postfix-go/postfix-go/master-compat/attr"
)

// TLS security levels (TLS_LEV_*, src/tls/tls.h), as sent in the start
// props' tls_level and the context's level.
const (
	LevelInvalid     = -2 // TLS_LEV_INVALID
	LevelNotFound    = -1 // TLS_LEV_NOTFOUND
	LevelNone        = 0  // none
	LevelMay         = 1  // may
	LevelEncrypt     = 2  // encrypt
	LevelFingerprint = 3  // fingerprint
	LevelHalfDANE    = 4  // halfdane
	LevelDANE        = 5  // dane
	LevelDANEOnly    = 6  // dane-only
	LevelVerify      = 7  // verify
	LevelSecure      = 8  // secure
)

// Peer status bits (TLS_CERT_FLAG_*), as sent in the context's peer_status.
const (
	PeerPresent = 1 << 0 // TLS_CERT_FLAG_PRESENT: the peer sent a certificate
	PeerAltName = 1 << 1 // TLS_CERT_FLAG_ALTNAME: unused by 3.7
	PeerTrusted = 1 << 2 // TLS_CERT_FLAG_TRUSTED: chain (and name check) verified
	PeerMatched = 1 << 3 // TLS_CERT_FLAG_MATCHED: name/fingerprint matched
	PeerSecured = 1 << 4 // TLS_CERT_FLAG_SECURED: matched, not at halfdane
)

// Context is the TLS_SESS_STATE subset that tlsproxy sends back after a
// successful handshake when the request had FlagSendContext, and that
// smtp(8) stores, in the plain encoding, in scache endpoint properties.
// The 22 members are in wire order; a C null string is sent as empty.
// (3.7 sends no session-reuse flag: smtp cannot tell a resumed session from
// the context, except that srvr_signature_digest is empty for TLS 1.3.)
type Context struct {
	PeerCN         string // peer_CN
	IssuerCN       string // issuer_CN
	PeerCertFprint string // peer_fingerprint (C member peer_cert_fprint)
	PeerPkeyFprint string // peer_pubkey_fingerprint (C member peer_pkey_fprint)
	Level          int    // level: effective security level
	PeerStatus     int    // peer_status: Peer* bits
	Protocol       string // cipher_protocol (C member protocol), e.g. TLSv1.3
	CipherName     string // cipher_name
	CipherUseBits  int    // cipher_usebits
	CipherAlgBits  int    // cipher_algbits
	KexName        string // key_exchange (C member kex_name)
	KexCurve       string // key_exchange_curve
	KexBits        int    // key_exchange_bits
	ClntSigName    string // clnt_signature
	ClntSigCurve   string // clnt_signature_curve
	ClntSigBits    int    // clnt_signature_bits
	ClntSigDigest  string // clnt_signature_digest
	SrvrSigName    string // srvr_signature
	SrvrSigCurve   string // srvr_signature_curve
	SrvrSigBits    int    // srvr_signature_bits
	SrvrSigDigest  string // srvr_signature_digest: empty on a resumed session
	Namaddr        string // namaddr: start-props namaddr, or remote_endpoint
}

// ContextAttrs is the number of attributes in a context (the stock reader
// requires exactly this many).
const ContextAttrs = 22

func (c *Context) fields() []field {
	return []field{
		strField("peer_CN", &c.PeerCN),
		strField("issuer_CN", &c.IssuerCN),
		strField("peer_fingerprint", &c.PeerCertFprint),
		strField("peer_pubkey_fingerprint", &c.PeerPkeyFprint),
		intField("level", &c.Level),
		intField("peer_status", &c.PeerStatus),
		strField("cipher_protocol", &c.Protocol),
		strField("cipher_name", &c.CipherName),
		intField("cipher_usebits", &c.CipherUseBits),
		intField("cipher_algbits", &c.CipherAlgBits),
		strField("key_exchange", &c.KexName),
		strField("key_exchange_curve", &c.KexCurve),
		intField("key_exchange_bits", &c.KexBits),
		strField("clnt_signature", &c.ClntSigName),
		strField("clnt_signature_curve", &c.ClntSigCurve),
		intField("clnt_signature_bits", &c.ClntSigBits),
		strField("clnt_signature_digest", &c.ClntSigDigest),
		strField("srvr_signature", &c.SrvrSigName),
		strField("srvr_signature_curve", &c.SrvrSigCurve),
		intField("srvr_signature_bits", &c.SrvrSigBits),
		strField("srvr_signature_digest", &c.SrvrSigDigest),
		strField("namaddr", &c.Namaddr),
	}
}

// DecodeContext reads the context list sent by tlsproxy, strictly and with
// its terminator, as tls_proxy_context_receive does. The caller must then
// treat everything after it as application data. An end of input before
// the list (the handshake failed and tlsproxy hung up) wraps io.EOF.
func DecodeContext(sc *attr.Scanner) (Context, error) {
	var c Context
	if err := scan(sc, false, attr.Strict, wantsOf(c.fields())...); err != nil {
		return Context{}, fmt.Errorf("receive TLS context: %w", err)
	}
	return c, nil
}

// Append appends the context list with its terminator.
func (c *Context) Append(dst []byte) []byte {
	return attr.AppendEnd(c.AppendAttrs(dst))
}

// AppendAttrs appends the 22 attributes without a terminator.
func (c *Context) AppendAttrs(dst []byte) []byte {
	return appendFields(dst, c.fields())
}

// AppendPlain appends the context in the plain encoding with its
// terminating empty line, exactly as smtp(8) appends it to an endpoint
// property after the session attributes.
func (c *Context) AppendPlain(dst []byte) []byte {
	return append(appendFieldsPlain(dst, c.fields()), '\n')
}

// ContextFromPlain builds a context from a decoded plain list (from
// attr.ParsePlain), which must hold exactly the 22 attributes in order.
func ContextFromPlain(attrs []attr.Attr) (Context, error) {
	var c Context
	if err := fieldsFromPlain(attrs, c.fields()); err != nil {
		return Context{}, fmt.Errorf("plain TLS context: %w", err)
	}
	return c, nil
}
