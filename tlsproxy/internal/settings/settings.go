// Package settings loads tlsproxy's main.cf parameters: the server-role
// tlsproxy_tls_* clones of smtpd_tls_*, the client-role tlsproxy_client_*
// clones of smtp_tls_*, and the few global TLS parameters tlsproxy uses.
package settings

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/postfix-go/postfix-go/internal/tlspolicy"
	"github.com/postfix-go/postfix-go/master-compat/config"
	"github.com/postfix-go/postfix-go/tlsproxy/internal/tlsconf"
)

// Server is the server role (postscreen's STARTTLS).
type Server struct {
	Enabled    bool // TLS level may or encrypt (after stock's downgrades)
	Enforce    bool // encrypt: mandatory protocols, client certs may be required
	Files      tlsconf.Files
	NoCertOK   bool // cert_file = none: anonymous-only TLS on purpose
	CAFile     string
	CAPath     string
	AskCCert   bool
	ReqCCert   bool
	Protocols  string // mandatory protocols when enforcing, else protocols
	LogLevel   string
	FprtDigest string
	// TicketCipher is tls_session_ticket_cipher (empty: no tickets) and
	// MgrService tlsmgr_service_name, whose keys the tickets use.
	TicketCipher string
	MgrService   string
}

// Client is the client role's own configuration (smtp connection reuse).
type Client struct {
	// Enabled is stock's condition for building a client context before
	// the chroot: a level that uses TLS, or a per-site or policy table.
	Enabled    bool
	Level      string
	Files      tlsconf.Files
	CAFile     string
	CAPath     string
	LogLevel   string
	AppendCA   bool   // tls_append_default_CA
	DANEDigest string // tls_dane_digests
}

// Settings is everything tlsproxy reads from main.cf.
type Settings struct {
	Server   Server
	Client   Client
	Warnings []string // stock start-up warnings, logged by the caller
}

type loader struct {
	d   *config.Dict
	err error
}

// refRE finds the parameters a default value refers to.
var refRE = regexp.MustCompile(`\$[{(]?([A-Za-z0-9_]+)`)

// preload loads the smtpd_*/smtp_* parameters that a tlsproxy_* default
// refers to, so that "$smtpd_use_tls" expands to smtpd's own default when
// main.cf does not set it; stock tlsproxy lists them in its parameter
// tables for the same reason.
func (l *loader) preload(name string) {
	def, ok := config.BuiltinDefault(name)
	if !ok || l.err != nil {
		return
	}
	for _, m := range refRE.FindAllStringSubmatch(def, -1) {
		if _, known := config.BuiltinDefault(m[1]); known {
			if _, err := l.d.Str(m[1]); err != nil {
				l.err = err
			}
		}
	}
}

func (l *loader) str(name string) string {
	l.preload(name)
	if l.err != nil {
		return ""
	}
	v, err := l.d.Str(name)
	if err != nil {
		l.err = err
	}
	return v
}

func (l *loader) boolean(name string) bool {
	l.preload(name)
	if l.err != nil {
		return false
	}
	get := l.d.Bool
	if def, _ := config.BuiltinDefault(name); strings.HasPrefix(def, "$") {
		// The tlsproxy clones default to "$smtpd_..." or "$smtp_...".
		get = l.d.NBool
	}
	v, err := get(name)
	if err != nil {
		l.err = err
	}
	return v
}

// Load reads the parameters and applies stock's level rules. An invalid
// level is an error (stock: fatal "Invalid TLS level").
func Load(d *config.Dict) (*Settings, error) {
	l := &loader{d: d}
	s := &Settings{}
	sv := &s.Server
	level := l.str("tlsproxy_tls_security_level")
	use, enforce := l.boolean("tlsproxy_use_tls"), l.boolean("tlsproxy_enforce_tls")
	if level != "" {
		lv, ok := tlspolicy.ParseLevel(level)
		switch {
		case !ok:
			return nil, fmt.Errorf("Invalid TLS level \"%s\"", level)
		case lv == tlspolicy.LevelSecure || lv == tlspolicy.LevelVerify || lv == tlspolicy.LevelFingerprint:
			s.Warnings = append(s.Warnings, fmt.Sprintf("tlsproxy_tls_security_level: unsupported TLS level \"%s\", using \"encrypt\"", level))
			use, enforce = true, true
		case lv == tlspolicy.LevelEncrypt:
			use, enforce = true, true
		case lv == tlspolicy.LevelMay:
			use, enforce = true, false
		case lv == tlspolicy.LevelNone:
			use, enforce = false, false
		default:
			return nil, fmt.Errorf("Invalid TLS level \"%s\"", level)
		}
	}
	sv.Enabled, sv.Enforce = use || enforce, enforce
	sv.Files = tlsconf.Files{
		CertFile: l.str("tlsproxy_tls_cert_file"), KeyFile: l.str("tlsproxy_tls_key_file"),
		ECCertFile: l.str("tlsproxy_tls_eccert_file"), ECKeyFile: l.str("tlsproxy_tls_eckey_file"),
		DCertFile: l.str("tlsproxy_tls_dcert_file"), ChainFiles: l.str("tlsproxy_tls_chain_files"),
	}
	if strings.EqualFold(sv.Files.CertFile, "none") {
		sv.NoCertOK, sv.Files.CertFile = true, ""
	}
	sv.CAFile, sv.CAPath = l.str("tlsproxy_tls_CAfile"), l.str("tlsproxy_tls_CApath")
	sv.AskCCert, sv.ReqCCert = l.boolean("tlsproxy_tls_ask_ccert"), l.boolean("tlsproxy_tls_req_ccert")
	if sv.Enforce {
		sv.Protocols = l.str("tlsproxy_tls_mandatory_protocols")
	} else {
		sv.Protocols = l.str("tlsproxy_tls_protocols")
	}
	sv.LogLevel = l.str("tlsproxy_tls_loglevel")
	sv.FprtDigest = l.str("tlsproxy_tls_fingerprint_digest")
	sv.TicketCipher = strings.TrimSpace(l.str("tls_session_ticket_cipher"))
	sv.MgrService = strings.TrimSpace(l.str("tlsmgr_service_name"))

	c := &s.Client
	c.Level = l.str("tlsproxy_client_security_level")
	cuse, cenf := l.boolean("tlsproxy_client_use_tls"), l.boolean("tlsproxy_client_enforce_tls")
	if c.Level != "" {
		lv, ok := tlspolicy.ParseLevel(c.Level)
		if !ok || lv == tlspolicy.LevelHalfDANE {
			return nil, fmt.Errorf("Invalid TLS level \"%s\"", c.Level)
		}
		cuse = lv != tlspolicy.LevelNone
	}
	perSite, policy := l.str("tlsproxy_client_per_site"), l.str("tlsproxy_client_policy_maps")
	c.Enabled = cuse || cenf || perSite != "" || policy != ""
	c.Files = tlsconf.Files{
		CertFile: l.str("tlsproxy_client_cert_file"), KeyFile: l.str("tlsproxy_client_key_file"),
		ECCertFile: l.str("tlsproxy_client_eccert_file"), ECKeyFile: l.str("tlsproxy_client_eckey_file"),
		DCertFile: l.str("tlsproxy_client_dcert_file"), ChainFiles: l.str("tlsproxy_client_chain_files"),
	}
	c.CAFile, c.CAPath = l.str("tlsproxy_client_CAfile"), l.str("tlsproxy_client_CApath")
	c.LogLevel = l.str("tlsproxy_client_loglevel")
	c.AppendCA = l.boolean("tls_append_default_CA")
	c.DANEDigest = l.str("tls_dane_digests")
	if l.err != nil {
		return nil, l.err
	}
	if _, _, err := tlsconf.Protocols(sv.Protocols); err != nil && sv.Enabled {
		return nil, err
	}
	return s, nil
}

// ServerCertWarnings are stock's non-fatal server configuration checks;
// haveCert reports whether a certificate parameter is set.
func (sv *Server) ServerCertWarnings() (warns []string, usable bool) {
	require := sv.AskCCert || (sv.Enforce && sv.ReqCCert)
	have := !sv.Files.Empty()
	if !have && require {
		warns = append(warns, "Need a server cert to request client certs")
	}
	if !sv.Enforce && sv.ReqCCert {
		warns = append(warns, "Can't require client certs unless TLS is required")
	}
	return warns, have || (sv.NoCertOK && !require)
}
