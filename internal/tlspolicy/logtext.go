package tlspolicy

import (
	"fmt"
	"strings"
)

// Trust is the first word of the summary line.
type Trust int

// Trust values, from weakest to strongest.
const (
	Anonymous Trust = iota // no peer certificate
	Untrusted              // certificate present, chain not verified
	Trusted                // chain verified (or halfdane match)
	Verified               // authenticated per policy (SECURED)
)

func (t Trust) String() string {
	return [...]string{"Anonymous", "Untrusted", "Trusted", "Verified"}[t]
}

// PeerTrust derives the summary word like tls_log_summary from the
// verification result (chain, DANE or fingerprint check and the required
// name match all passed) and the effective level, i.e. after any
// UnusableFallback: "Verified" needs a level that must match and is not
// halfdane; a successful verification is otherwise "Trusted".
func PeerTrust(certPresent, verifyOK bool, level Level) Trust {
	switch {
	case !certPresent:
		return Anonymous
	case verifyOK && level.MustMatch() && !level.NeverSecured():
		return Verified
	case verifyOK:
		return Trusted
	}
	return Untrusted
}

// Summary holds the fields of the "TLS connection established" line.
type Summary struct {
	Trust    Trust
	Reused   bool   // "reused" (a cached smtp connection) vs "established"
	Server   bool   // we are the server: "from" instead of "to"
	NamAddr  string // "host[addr]:port" (client) or "[addr]:port"
	SNI      string // server role only: accepted SNI name
	Protocol string // OpenSSLVersion(...)
	Cipher   CipherInfo
	// TLS 1.3 only; empty parts are omitted.
	KexName, KexCurve             string
	KexBits                       int
	ServerSigName, ServerSigCurve string
	ServerSigBits                 int
	ServerSigDigest               string // empty on resumed sessions
	ClientSigName, ClientSigCurve string
	ClientSigBits                 int
	ClientSigDigest               string
}

// String renders the summary exactly as tls_log_summary does.
func (s Summary) String() string {
	var b strings.Builder
	usage, dir := "established", "to"
	if s.Reused {
		usage = "reused"
	}
	if s.Server {
		dir = "from"
	}
	fmt.Fprintf(&b, "%s TLS connection %s %s %s", s.Trust, usage, dir, s.NamAddr)
	if s.Server && s.SNI != "" {
		b.WriteString(" to " + s.SNI)
	}
	fmt.Fprintf(&b, ": %s with cipher %s (%d/%d bits)", s.Protocol, s.Cipher.Name, s.Cipher.UseBits, s.Cipher.AlgBits)
	if s.KexName != "" {
		b.WriteString(" key-exchange " + s.KexName + describeBits(s.KexCurve, s.KexBits))
	}
	if s.ServerSigName != "" {
		b.WriteString(" server-signature " + s.ServerSigName + describeBits(s.ServerSigCurve, s.ServerSigBits))
		if s.ServerSigDigest != "" {
			b.WriteString(" server-digest " + s.ServerSigDigest)
		}
	}
	if s.ClientSigName != "" {
		b.WriteString(" client-signature " + s.ClientSigName + describeBits(s.ClientSigCurve, s.ClientSigBits))
		if s.ClientSigDigest != "" {
			b.WriteString(" client-digest " + s.ClientSigDigest)
		}
	}
	return b.String()
}

// Delivery status texts of smtp(8) (smtp_proto.c). Only the first two
// occur in the captures; "Server certificate not trusted" does not exist
// in 3.7.11.
const (
	DSNNotVerified      = "Server certificate not verified"                    // 4.7.5
	DSNHandshakeFailure = "Cannot start TLS: handshake failure"                // 4.7.5
	DSNConfigProblem    = "client TLS configuration problem"                   // 4.7.5
	DSNEngineMissing    = "TLS is required, but our TLS engine is unavailable" // 4.7.5
	DSNUnavailable      = "TLS is required, but unavailable"                   // 4.7.0
)

// NotVerifiedDSN is the deferral at levels above encrypt when the peer
// was not matched.
func NotVerifiedDSN() (status, text string) { return "4.7.5", DSNNotVerified }

// HandshakeFailureDSN is the deferral after a failed TLS handshake.
func HandshakeFailureDSN() (status, text string) { return "4.7.5", DSNHandshakeFailure }

// NotOfferedDSN is the 4.7.4 deferral when TLS is required but the server
// did not offer STARTTLS.
func NotOfferedDSN(namaddr string) (status, text string) {
	return "4.7.4", "TLS is required, but was not offered by host " + namaddr
}

// RefusedDSN is the text when the server answered STARTTLS with an error
// although TLS is required; the status comes from the server's reply.
func RefusedDSN(namaddr, reply string) string {
	return "TLS is required, but host " + namaddr + " refused to start TLS: " + strings.ReplaceAll(reply, "\n", " ")
}

// MatchedPeernameLog is "<namaddr>: matched peername: <name>" (loglevel 2).
func MatchedPeernameLog(namaddr, name string) string {
	return namaddr + ": matched peername: " + name
}

// PeerCertLog is the loglevel-2 certificate line:
// "<namaddr>: subject_CN=..., issuer_CN=..., fingerprint=..., pkey_fingerprint=...".
func PeerCertLog(namaddr, subjectCN, issuerCN, certFP, pkeyFP string) string {
	return fmt.Sprintf("%s: subject_CN=%s, issuer_CN=%s, fingerprint=%s, pkey_fingerprint=%s",
		namaddr, subjectCN, issuerCN, certFP, pkeyFP)
}

// DANEMatchLog is what tls_dane_log says after a DANE-style success:
// trust-anchor files at verify/secure report only the depth, the
// fingerprint level the digest, and DANE levels the record.
func DANEMatchLog(namaddr string, level Level, m DANEMatch) string {
	switch {
	case level == LevelVerify || level == LevelSecure:
		return fmt.Sprintf("%s: Matched trust anchor at depth %d", namaddr, m.Depth)
	case level == LevelFingerprint:
		return namaddr + ": Matched fingerprint: " + dumpHexNoEmpty(m.Record.Data)
	}
	kind := "EE certificate"
	switch {
	case m.TAKey:
		kind = "TA public key verified certificate"
	case m.Depth > 0:
		kind = "TA certificate"
	}
	return fmt.Sprintf("%s: Matched DANE %s at depth %d: %d %d %d %s", namaddr, kind, m.Depth,
		m.Record.Usage, m.Record.Selector, m.Record.MatchingType, dumpHexNoEmpty(m.Record.Data))
}

// dumpHexNoEmpty is dumpHex without the "..." placeholder for empty data,
// which tls_dane_log does not use.
func dumpHexNoEmpty(d []byte) string {
	if len(d) == 0 {
		return ""
	}
	return dumpHex(d)
}

// UnusableFallback applies the handshake-time rule when PrepareTLSA left
// no usable record: dane and halfdane continue as encrypt; fingerprint,
// dane-only, verify and secure must fail verification. It returns the
// new level, whether verification must fail, and the warning.
func UnusableFallback(namaddr string, level Level) (Level, bool, string) {
	switch level {
	case LevelHalfDANE, LevelDANE:
		return LevelEncrypt, false, namaddr + ": all TLSA records unusable, fallback to unauthenticated TLS"
	case LevelFingerprint:
		return level, true, namaddr + ": all fingerprints unusable"
	case LevelDANEOnly:
		return level, true, namaddr + ": all TLSA records unusable"
	case LevelVerify, LevelSecure:
		return level, true, namaddr + ": all trust anchors unusable"
	}
	return level, true, ""
}

// ReusedUntrustedLog is logged instead of the failure reason when an
// unmatched session was resumed.
func ReusedUntrustedLog(namaddr string) string {
	return namaddr + ": re-using session with untrusted certificate, look for details earlier in the log"
}
