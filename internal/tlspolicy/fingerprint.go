package tlspolicy

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"fmt"
	"strings"

	// Registered so that crypto.Hash.New works for every name we accept.
	_ "crypto/md5"
	_ "crypto/sha1"
	_ "crypto/sha256"
	_ "crypto/sha512"
)

// maxDigestSize is EVP_MAX_MD_SIZE: fingerprint values longer than three
// characters per byte of the widest digest are rejected unparsed.
const maxDigestSize = 64

// digestByName maps OpenSSL digest names (case-insensitive, as
// EVP_get_digestbyname accepts them) to Go hashes. Only digests that Go's
// standard library implements are listed; others make TLS unavailable,
// as an unknown name does in stock.
var digestByName = map[string]crypto.Hash{
	"md5":        crypto.MD5,
	"sha1":       crypto.SHA1,
	"sha224":     crypto.SHA224,
	"sha256":     crypto.SHA256,
	"sha384":     crypto.SHA384,
	"sha512":     crypto.SHA512,
	"sha512-224": crypto.SHA512_224,
	"sha512-256": crypto.SHA512_256,
	"sha2-224":   crypto.SHA224,
	"sha2-256":   crypto.SHA256,
	"sha2-384":   crypto.SHA384,
	"sha2-512":   crypto.SHA512,
}

// LookupDigest resolves smtp_tls_fingerprint_digest.
func LookupDigest(name string) (crypto.Hash, error) {
	h, ok := digestByName[strings.ToLower(name)]
	if !ok || !h.Available() {
		return 0, fmt.Errorf("digest algorithm %s not found", dq(name))
	}
	return h, nil
}

// CertDigest is the digest of the DER certificate.
func CertDigest(h crypto.Hash, cert *x509.Certificate) []byte {
	return sum(h, cert.Raw)
}

// PublicKeyDigest is the digest of the DER SubjectPublicKeyInfo, the
// default (tls_legacy_public_key_fingerprints = no) public-key fingerprint.
func PublicKeyDigest(h crypto.Hash, cert *x509.Certificate) []byte {
	return sum(h, cert.RawSubjectPublicKeyInfo)
}

func sum(h crypto.Hash, data []byte) []byte {
	w := h.New()
	w.Write(data)
	return w.Sum(nil)
}

// FormatFingerprint renders a digest as stock logs and sends it:
// uppercase hex pairs joined by ':' (tls_digest_encode).
func FormatFingerprint(d []byte) string {
	const hexdigits = "0123456789ABCDEF"
	var b strings.Builder
	for i, c := range d {
		if i > 0 {
			b.WriteByte(':')
		}
		b.WriteByte(hexdigits[c>>4])
		b.WriteByte(hexdigits[c&0xf])
	}
	return b.String()
}

// DecodeFingerprint decodes hex with optional single ':' separators
// between byte pairs (hex_decode_opt with HEX_DECODE_FLAG_ALLOW_COLON):
// no leading, trailing or doubled colons, and an even digit count.
func DecodeFingerprint(s string) ([]byte, bool) {
	out := make([]byte, 0, len(s)/2)
	for i := 0; i < len(s); {
		if len(s)-i < 2 {
			return nil, false
		}
		hi, ok1 := unhex(s[i])
		lo, ok2 := unhex(s[i+1])
		if !ok1 || !ok2 {
			return nil, false
		}
		out = append(out, hi<<4|lo)
		// A colon is skipped only when a full pair follows it.
		if len(s)-i > 4 && s[i+2] == ':' {
			i++
		}
		i += 2
	}
	return out, true
}

func unhex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// ParseFingerprintList splits a fingerprint list on any of seps ("|" in a
// policy match=, CHARS_COMMA_SP in smtp_tls_fingerprint_cert_match) and
// decodes each value. Malformed values are skipped with the stock warning
// (tls_dane_add_fpt_digests); they do not invalidate the policy.
func ParseFingerprintList(list, seps string) ([][]byte, []string) {
	var out [][]byte
	var warns []string
	for _, v := range splitList(list, seps) {
		if len(v) > 3*maxDigestSize {
			warns = append(warns, "malformed fingerprint value: "+truncBytes(v, 100)+"...")
			continue
		}
		d, ok := DecodeFingerprint(v)
		if !ok {
			warns = append(warns, "malformed fingerprint value: "+truncBytes(v, 384))
			continue
		}
		out = append(out, d)
	}
	return out, warns
}

// FingerprintRecords converts configured fingerprints to the synthetic
// DANE-EE records stock matches them with: each value may match either the
// certificate (3 0 255) or its public key (3 1 255).
func FingerprintRecords(fps [][]byte) []TLSA {
	recs := make([]TLSA, 0, 2*len(fps))
	for _, d := range fps {
		recs = append(recs,
			TLSA{Usage: UsageDANEEE, Selector: SelectorCert, MatchingType: MatchingFingerprint, Data: d},
			TLSA{Usage: UsageDANEEE, Selector: SelectorSPKI, MatchingType: MatchingFingerprint, Data: d})
	}
	return recs
}

// MatchFingerprint reports which configured fingerprint matches the leaf,
// checking the certificate digest and the public-key digest. Values whose
// length is not the digest size can never match (stock drops them as
// unusable records before the handshake; see PrepareTLSA).
func MatchFingerprint(h crypto.Hash, leaf *x509.Certificate, fps [][]byte) (match []byte, ok bool) {
	cd, kd := CertDigest(h, leaf), PublicKeyDigest(h, leaf)
	for _, fp := range fps {
		if bytes.Equal(fp, cd) || bytes.Equal(fp, kd) {
			return fp, true
		}
	}
	return nil, false
}

// truncBytes is C's "%.Ns": at most n bytes, even mid-rune.
func truncBytes(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
