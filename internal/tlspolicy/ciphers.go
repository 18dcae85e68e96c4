package tlspolicy

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/tls"
	"fmt"
)

// CipherInfo is how OpenSSL names a cipher suite and counts its bits
// (SSL_CIPHER_get_name, SSL_CIPHER_get_bits), for the summary line.
type CipherInfo struct {
	Name    string
	UseBits int
	AlgBits int
}

// openSSLCiphers covers every suite Go's crypto/tls implements. Names and
// bits were read from OpenSSL 3.0.19 except the RC4 and 3DES suites,
// which its default provider no longer offers; those use the classic
// OpenSSL names and 3DES's 112/168 bits.
var openSSLCiphers = map[uint16]CipherInfo{
	tls.TLS_RSA_WITH_RC4_128_SHA:                      {"RC4-SHA", 128, 128},
	tls.TLS_RSA_WITH_3DES_EDE_CBC_SHA:                 {"DES-CBC3-SHA", 112, 168},
	tls.TLS_RSA_WITH_AES_128_CBC_SHA:                  {"AES128-SHA", 128, 128},
	tls.TLS_RSA_WITH_AES_256_CBC_SHA:                  {"AES256-SHA", 256, 256},
	tls.TLS_RSA_WITH_AES_128_CBC_SHA256:               {"AES128-SHA256", 128, 128},
	tls.TLS_RSA_WITH_AES_128_GCM_SHA256:               {"AES128-GCM-SHA256", 128, 128},
	tls.TLS_RSA_WITH_AES_256_GCM_SHA384:               {"AES256-GCM-SHA384", 256, 256},
	tls.TLS_ECDHE_ECDSA_WITH_RC4_128_SHA:              {"ECDHE-ECDSA-RC4-SHA", 128, 128},
	tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA:          {"ECDHE-ECDSA-AES128-SHA", 128, 128},
	tls.TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA:          {"ECDHE-ECDSA-AES256-SHA", 256, 256},
	tls.TLS_ECDHE_RSA_WITH_RC4_128_SHA:                {"ECDHE-RSA-RC4-SHA", 128, 128},
	tls.TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA:           {"ECDHE-RSA-DES-CBC3-SHA", 112, 168},
	tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA:            {"ECDHE-RSA-AES128-SHA", 128, 128},
	tls.TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA:            {"ECDHE-RSA-AES256-SHA", 256, 256},
	tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256:       {"ECDHE-ECDSA-AES128-SHA256", 128, 128},
	tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256:         {"ECDHE-RSA-AES128-SHA256", 128, 128},
	tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256:         {"ECDHE-RSA-AES128-GCM-SHA256", 128, 128},
	tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256:       {"ECDHE-ECDSA-AES128-GCM-SHA256", 128, 128},
	tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384:         {"ECDHE-RSA-AES256-GCM-SHA384", 256, 256},
	tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384:       {"ECDHE-ECDSA-AES256-GCM-SHA384", 256, 256},
	tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256:   {"ECDHE-RSA-CHACHA20-POLY1305", 256, 256},
	tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256: {"ECDHE-ECDSA-CHACHA20-POLY1305", 256, 256},
	tls.TLS_AES_128_GCM_SHA256:                        {"TLS_AES_128_GCM_SHA256", 128, 128},
	tls.TLS_AES_256_GCM_SHA384:                        {"TLS_AES_256_GCM_SHA384", 256, 256},
	tls.TLS_CHACHA20_POLY1305_SHA256:                  {"TLS_CHACHA20_POLY1305_SHA256", 256, 256},
}

// OpenSSLCipher maps a Go cipher suite ID to OpenSSL's name and bits.
// Unknown IDs fall back to Go's name with zero bits.
func OpenSSLCipher(id uint16) (CipherInfo, bool) {
	c, ok := openSSLCiphers[id]
	if !ok {
		return CipherInfo{Name: tls.CipherSuiteName(id)}, false
	}
	return c, true
}

// OpenSSLVersion is SSL_get_version()'s spelling of a protocol version.
func OpenSSLVersion(v uint16) string {
	switch v {
	case tls.VersionSSL30: //nolint:staticcheck // naming only
		return "SSLv3"
	case tls.VersionTLS10:
		return "TLSv1"
	case tls.VersionTLS11:
		return "TLSv1.1"
	case tls.VersionTLS12:
		return "TLSv1.2"
	case tls.VersionTLS13:
		return "TLSv1.3"
	}
	return "unknown"
}

// KeyExchange returns the summary's key-exchange name and curve for a
// TLS 1.3 group: X25519 as "X25519", NIST curves as "ECDHE" with the
// OpenSSL group name (EVP_PKEY_get_group_name). Hybrid post-quantum
// groups have no Postfix 3.7 spelling; Go's name is used for them.
func KeyExchange(id tls.CurveID) (name, curve string) {
	switch id {
	case 0:
		return "", ""
	case tls.X25519:
		return "X25519", ""
	case tls.CurveP256:
		return "ECDHE", "prime256v1"
	case tls.CurveP384:
		return "ECDHE", "secp384r1"
	case tls.CurveP521:
		return "ECDHE", "secp521r1"
	}
	return id.String(), ""
}

// PeerSignature describes the peer's TLS 1.3 signature the way
// tls_get_signature_params does, from the leaf public key: RSA keys as
// "RSA-PSS" with their size, ECDSA keys with their curve, Ed25519 as
// "ED25519". The digest is not exposed by crypto/tls; see InferDigest.
func PeerSignature(pub any) (name, curve string, bits int) {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		return "RSA-PSS", "", k.N.BitLen()
	case *ecdsa.PublicKey:
		return "ECDSA", curveName(k.Curve), 0
	case ed25519.PublicKey:
		return "ED25519", "", 0
	}
	return "", "", 0
}

func curveName(c elliptic.Curve) string {
	switch c {
	case elliptic.P256():
		return "prime256v1"
	case elliptic.P384():
		return "secp384r1"
	case elliptic.P521():
		return "secp521r1"
	}
	return c.Params().Name
}

// InferDigest guesses the signature digest stock prints as
// "server-digest": TLS 1.3 ECDSA schemes fix it by curve; Go signs and
// prefers RSA-PSS with SHA256; Ed25519 has none. The guess can be wrong
// for RSA peers that choose SHA384/512, which Go does not report.
func InferDigest(pub any) string {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		return "SHA256"
	case *ecdsa.PublicKey:
		switch k.Curve {
		case elliptic.P256():
			return "SHA256"
		case elliptic.P384():
			return "SHA384"
		case elliptic.P521():
			return "SHA512"
		}
	}
	return ""
}

// describeBits renders " (%d bits)" pieces; kept here with the naming.
func describeBits(curve string, bits int) string {
	switch {
	case curve != "":
		return " (" + curve + ")"
	case bits > 0:
		return fmt.Sprintf(" (%d bits)", bits)
	}
	return ""
}
