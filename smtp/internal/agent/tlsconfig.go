package agent

import (
	"crypto"
	"crypto/tls"
	"crypto/x509"
	"strings"
	"time"

	"github.com/postfix-go/postfix-go/internal/tlspolicy"
	"github.com/postfix-go/postfix-go/master-compat/tlsmgrclient"
)

// TLSClient is the process-wide TLS client state (stock smtp_tls_ctx
// plus the policy tables), built once before the chroot by the daemon.
// A zero TLSClient means TLS is off: no level above "none" is
// configured and no policy table exists, so nothing was loaded.
type TLSClient struct {
	// Policy resolves the per-destination level; nil means TLS is off.
	Policy *tlspolicy.Resolver
	// EngineDown: the client engine could not be initialised (CA data,
	// client certificate or digest problem). Opportunistic levels then
	// stay in plaintext; required levels defer with stock's
	// "TLS is required, but our TLS engine is unavailable".
	EngineDown bool
	// Roots are smtp_tls_CAfile, smtp_tls_CApath and, with
	// tls_append_default_CA, the system roots. nil means no CA data:
	// no chain is ever trusted (Go's system roots are never implied).
	Roots *x509.CertPool
	// Certs are the client certificates (smtp_tls_cert_file,
	// smtp_tls_eccert_file, smtp_tls_chain_files); the first is sent
	// whenever the server asks, as OpenSSL does.
	Certs []tls.Certificate
	// Log is smtp_tls_loglevel as a mask.
	Log TLSLogMask
	// Wrapper is smtp_tls_wrappermode (SMTPS: TLS before the greeting).
	Wrapper bool
	// Timeout is smtp_starttls_timeout: the STARTTLS reply and the
	// handshake.
	Timeout time.Duration
	// Digest is smtp_tls_fingerprint_digest (fingerprint lines and the
	// fingerprint level); Digests is tls_dane_digests with it.
	Digest  crypto.Hash
	Digests tlspolicy.Digests
	// NoteOffer is smtp_tls_note_starttls_offer.
	NoteOffer bool
	// MinBackoff is minimal_backoff_time, which decides when a failed
	// opportunistic handshake may be retried in plaintext.
	MinBackoff time.Duration
	// DANE carries the process-wide DNS facts for DANE levels; the
	// per-server TLSA lookup is added by daneEnv (dane.go).
	DANE tlspolicy.DANEEnv
	// Proxy is the tlsproxy(8) client for destinations whose policy
	// asks for connection reuse; nil when smtp(8) has none configured.
	Proxy *TLSProxy
	// Sessions is the tlsmgr(8) session cache ("smtp" or "lmtp"), set
	// when smtp_tls_session_cache_database is not empty; nil: none.
	Sessions *tlsmgrclient.SessionCache
}

// enabled reports whether any destination may use TLS.
func (c *TLSClient) enabled() bool { return c != nil && c.Policy != nil }

// TLSLogMask is the parsed smtp_tls_loglevel (tls_log_mask).
type TLSLogMask int

// The mask bits this client acts on; the packet dumps have no Go
// equivalent and are accepted but ignored.
const (
	TLSLogSummary TLSLogMask = 1 << iota
	TLSLogUntrusted
	TLSLogPeerCert
	TLSLogCertMatch
	TLSLogVerbose
	TLSLogCache
	TLSLogDebug
	TLSLogDANE
	tlsLogPackets
)

var tlsLogNames = map[string]TLSLogMask{
	"0": 0, "none": 0,
	"1": TLSLogSummary, "routine": TLSLogSummary,
	"summary": TLSLogSummary, "untrusted": TLSLogUntrusted, "peercert": TLSLogPeerCert,
	"certmatch": TLSLogCertMatch, "verbose": TLSLogVerbose, "cache": TLSLogCache,
	"dane": TLSLogDANE, "ssl-debug": TLSLogDebug,
	"ssl-handshake-packet-dump": tlsLogPackets, "ssl-session-packet-dump": tlsLogPackets,
}

// ParseTLSLogMask converts a smtp_tls_loglevel value: names or numbers,
// any case, separated by commas or white space. Unknown words are
// returned so that the caller can warn, as stock does, and are ignored.
func ParseTLSLogMask(s string) (TLSLogMask, []string) {
	level2 := TLSLogSummary | TLSLogVerbose | TLSLogCache | TLSLogDebug
	var m TLSLogMask
	var bad []string
	for _, w := range strings.FieldsFunc(s, func(r rune) bool { return strings.ContainsRune(", \t\r\n", r) }) {
		w = strings.ToLower(w)
		switch w {
		case "2", "debug":
			m |= level2
			continue
		case "3", "ssl-expert", "4", "ssl-developer", "5", "6", "7", "8", "9":
			m |= level2 | tlsLogPackets
			continue
		}
		bit, ok := tlsLogNames[w]
		if !ok {
			bad = append(bad, w)
			continue
		}
		m |= bit
	}
	return m, bad
}

// has reports whether any of bits is set.
func (m TLSLogMask) has(bits TLSLogMask) bool { return m&bits != 0 }
