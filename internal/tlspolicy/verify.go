package tlspolicy

import (
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
	"strings"
)

// OpenSSL X509_V_ERR_* codes that Postfix logs as "num=%d" or special-cases.
const (
	XErrOK                           = 0
	XErrUnspecified                  = 1
	XErrUnableToGetIssuerCert        = 2
	XErrCertSignatureFailure         = 7
	XErrCertNotYetValid              = 9
	XErrCertHasExpired               = 10
	XErrDepthZeroSelfSigned          = 18
	XErrSelfSignedCertInChain        = 19
	XErrUnableToGetIssuerCertLocally = 20
	XErrUnableToVerifyLeafSignature  = 21
	XErrCertChainTooLong             = 22
	XErrPathLengthExceeded           = 25
	XErrInvalidPurpose               = 26
	XErrCertUntrusted                = 27
	XErrCertRejected                 = 28
	XErrHostnameMismatch             = 62
	XErrIPAddressMismatch            = 64
	XErrDANENoMatch                  = 65
	XErrInvalidCA                    = 79
)

// xerrText is X509_verify_cert_error_string() of OpenSSL 3.0.19 (the
// version in the captures), read from the library itself.
var xerrText = map[int]string{
	XErrOK:                           "ok",
	XErrUnspecified:                  "unspecified certificate verification error",
	XErrUnableToGetIssuerCert:        "unable to get issuer certificate",
	XErrCertSignatureFailure:         "certificate signature failure",
	XErrCertNotYetValid:              "certificate is not yet valid",
	XErrCertHasExpired:               "certificate has expired",
	XErrDepthZeroSelfSigned:          "self-signed certificate",
	XErrSelfSignedCertInChain:        "self-signed certificate in certificate chain",
	XErrUnableToGetIssuerCertLocally: "unable to get local issuer certificate",
	XErrUnableToVerifyLeafSignature:  "unable to verify the first certificate",
	XErrCertChainTooLong:             "certificate chain too long",
	XErrPathLengthExceeded:           "path length constraint exceeded",
	XErrInvalidPurpose:               "unsuitable certificate purpose",
	XErrCertUntrusted:                "certificate not trusted",
	XErrCertRejected:                 "certificate rejected",
	XErrHostnameMismatch:             "hostname mismatch",
	XErrIPAddressMismatch:            "IP address mismatch",
	XErrDANENoMatch:                  "no matching DANE TLSA records",
	XErrInvalidCA:                    "invalid CA certificate",
}

// VerifyErrorText returns OpenSSL's text for code.
func VerifyErrorText(code int) string {
	if t, ok := xerrText[code]; ok {
		return t
	}
	return fmt.Sprintf("error number %d", code)
}

// VerifyError is the verification failure stock reports after the
// handshake: the first error at the lowest depth.
type VerifyError struct {
	Code  int
	Depth int
	Cert  *x509.Certificate // the certificate at Depth, if known
}

func (e *VerifyError) Error() string {
	return fmt.Sprintf("certificate verification failed at depth %d: num=%d:%s", e.Depth, e.Code, VerifyErrorText(e.Code))
}

// ErrorState accumulates verification errors like Postfix's
// update_error_state(): an error replaces the kept one only if it is at a
// lower depth, so the first error seen at the lowest depth wins.
type ErrorState struct {
	err *VerifyError
}

// Add records one error in the order the verifier meets it.
func (s *ErrorState) Add(depth, code int, cert *x509.Certificate) {
	if s.err != nil && s.err.Depth <= depth {
		return
	}
	s.err = &VerifyError{Code: code, Depth: depth, Cert: cert}
}

// Err returns the kept error, or nil.
func (s *ErrorState) Err() *VerifyError { return s.err }

// VerifyFailureLog renders the log line of tls_log_verify_error for a
// client (server=false means the peer is a server, the smtp case).
func VerifyFailureLog(namaddr string, e *VerifyError, weAreServer bool) string {
	purpose := "server"
	if weAreServer {
		purpose = "client"
	}
	if e.Depth > 0 {
		purpose = "CA"
	}
	switch e.Code {
	case XErrCertUntrusted:
		return "certificate verification failed for " + namaddr + ": not trusted by local or TLSA policy"
	case XErrDepthZeroSelfSigned:
		return "certificate verification failed for " + namaddr + ": self-signed certificate"
	case XErrUnableToGetIssuerCertLocally, XErrSelfSignedCertInChain:
		issuer := "<unknown>"
		if e.Cert != nil {
			issuer = OnelineName(e.Cert.RawIssuer)
		}
		return "certificate verification failed for " + namaddr + ": untrusted issuer " + printable(issuer)
	case XErrCertNotYetValid:
		return purpose + " certificate verification failed for " + namaddr + ": certificate not yet valid"
	case XErrCertHasExpired:
		return purpose + " certificate verification failed for " + namaddr + ": certificate has expired"
	case XErrInvalidPurpose:
		return "certificate verification failed for " + namaddr + ": not designated for use as a " + purpose + " certificate"
	case XErrCertChainTooLong:
		return fmt.Sprintf("certificate verification failed for %s: certificate chain longer than limit(%d)", namaddr, e.Depth-1)
	}
	return fmt.Sprintf("%s certificate verification failed for %s: num=%d:%s", purpose, namaddr, e.Code, VerifyErrorText(e.Code))
}

// printable replaces non-printable ASCII like Postfix's printable(s, '?').
func printable(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x80 && (r < 0x20 || r == 0x7f) {
			return '?'
		}
		return r
	}, s)
}

// OnelineName approximates X509_NAME_oneline(): "/type=value" per
// attribute, short names for the common types (as in the stock
// "depth=1 verify=1 subject=/O=S4 Test CA/CN=S4 Test Root" line).
// Escaping of special characters is not reproduced.
func OnelineName(raw []byte) string {
	var seq pkix.RDNSequence
	if _, err := asn1.Unmarshal(raw, &seq); err != nil {
		return "<unknown>"
	}
	var b strings.Builder
	for _, rdn := range seq {
		for _, atv := range rdn {
			b.WriteString("/" + attrShortName(atv.Type.String()) + "=" + fmt.Sprint(atv.Value))
		}
	}
	if b.Len() == 0 {
		return "/"
	}
	return b.String()
}

var shortNames = map[string]string{
	"2.5.4.3": "CN", "2.5.4.6": "C", "2.5.4.7": "L", "2.5.4.8": "ST",
	"2.5.4.10": "O", "2.5.4.11": "OU", "2.5.4.5": "serialNumber",
	"1.2.840.113549.1.9.1": "emailAddress", "0.9.2342.19200300.100.1.25": "DC",
}

func attrShortName(oid string) string {
	if n, ok := shortNames[oid]; ok {
		return n
	}
	return oid
}

// GoVerifyErrorCode maps a crypto/x509 Verify error to the nearest OpenSSL
// code and the depth of the offending certificate in chain, so that PKIX
// failures can be logged in the stock form.
func GoVerifyErrorCode(err error, chain []*x509.Certificate) (code, depth int) {
	var inv x509.CertificateInvalidError
	var ua x509.UnknownAuthorityError
	var hn x509.HostnameError
	switch {
	case err == nil:
		return XErrOK, 0
	case errors.As(err, &inv):
		d := certDepth(inv.Cert, chain)
		switch inv.Reason {
		case x509.Expired:
			if inv.Cert != nil && !inv.Cert.NotBefore.IsZero() && strings.Contains(inv.Detail, "before") {
				return XErrCertNotYetValid, d
			}
			return XErrCertHasExpired, d
		case x509.NotAuthorizedToSign:
			return XErrInvalidCA, d
		case x509.TooManyIntermediates:
			return XErrPathLengthExceeded, d
		case x509.IncompatibleUsage:
			return XErrInvalidPurpose, d
		}
		return XErrUnspecified, d
	case errors.As(err, &ua):
		top := len(chain) - 1
		if top <= 0 && len(chain) == 1 && selfSigned(chain[0]) {
			return XErrDepthZeroSelfSigned, 0
		}
		if top >= 0 && selfSigned(chain[top]) {
			return XErrSelfSignedCertInChain, top
		}
		return XErrUnableToGetIssuerCertLocally, max(top, 0)
	case errors.As(err, &hn):
		return XErrHostnameMismatch, 0
	}
	return XErrUnspecified, 0
}

func certDepth(c *x509.Certificate, chain []*x509.Certificate) int {
	for i, x := range chain {
		if c != nil && x.Equal(c) {
			return i
		}
	}
	return 0
}

func selfSigned(c *x509.Certificate) bool {
	return string(c.RawIssuer) == string(c.RawSubject) && sigOK(c, c)
}
