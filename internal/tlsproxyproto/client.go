package tlsproxyproto

import (
	"fmt"

	"github.com/postfix-go/postfix-go/master-compat/attr"
)

// ClientParams is TLS_CLIENT_PARAMS as 3.7.6–3.7.11 send it: the caller's
// global TLS settings, named after their main.cf parameters. Stock
// tlsproxy does not apply them; it compares them with its own and warns
// about differences. The int members are C ints (the booleans are 0/1 by
// convention only) and are kept as sent so that re-encoding is exact.
type ClientParams struct {
	ConfigFile          string // config_file (tls_config_file)
	ConfigName          string // config_name (tls_config_name)
	HighCipherlist      string // tls_high_cipherlist
	MediumCipherlist    string // tls_medium_cipherlist
	LowCipherlist       string // tls_low_cipherlist
	ExportCipherlist    string // tls_export_cipherlist
	NullCipherlist      string // tls_null_cipherlist
	EECDHAutoCurves     string // tls_eecdh_auto_curves
	EECDHStrongCurve    string // tls_eecdh_strong_curve
	EECDHUltraCurve     string // tls_eecdh_ultra_curve
	DisableWorkarounds  string // tls_disable_workarounds
	SSLOptions          string // tls_ssl_options
	DANEDigests         string // tls_dane_digests
	MgrServiceName      string // tlsmgr_service_name
	TicketCipher        string // tls_session_ticket_cipher
	DaemonRandomBytes   int    // tls_daemon_random_bytes
	AppendDefaultCA     int    // tls_append_default_CA
	LegacyPkeyFprints   int    // tls_legacy_public_key_fingerprints
	PreemptCipherlist   int    // tls_preempt_cipherlist
	WildcardMultiLabels int    // tls_wildcard_matches_multiple_labels
}

func (p *ClientParams) fields() []field {
	return []field{
		strField("config_file", &p.ConfigFile),
		strField("config_name", &p.ConfigName),
		strField("tls_high_cipherlist", &p.HighCipherlist),
		strField("tls_medium_cipherlist", &p.MediumCipherlist),
		strField("tls_low_cipherlist", &p.LowCipherlist),
		strField("tls_export_cipherlist", &p.ExportCipherlist),
		strField("tls_null_cipherlist", &p.NullCipherlist),
		strField("tls_eecdh_auto_curves", &p.EECDHAutoCurves),
		strField("tls_eecdh_strong_curve", &p.EECDHStrongCurve),
		strField("tls_eecdh_ultra_curve", &p.EECDHUltraCurve),
		strField("tls_disable_workarounds", &p.DisableWorkarounds),
		strField("tls_ssl_options", &p.SSLOptions),
		strField("tls_dane_digests", &p.DANEDigests),
		strField("tlsmgr_service_name", &p.MgrServiceName),
		strField("tls_session_ticket_cipher", &p.TicketCipher),
		intField("tls_daemon_random_bytes", &p.DaemonRandomBytes),
		intField("tls_append_default_CA", &p.AppendDefaultCA),
		intField("tls_legacy_public_key_fingerprints", &p.LegacyPkeyFprints),
		intField("tls_preempt_cipherlist", &p.PreemptCipherlist),
		intField("tls_wildcard_matches_multiple_labels", &p.WildcardMultiLabels),
	}
}

// DecodeClientParams reads the 20 attributes of a nested TLS_CLIENT_PARAMS
// and leaves the enclosing list open. mid says whether the structure
// continues a list already under way (see DecodeClientSettings).
func DecodeClientParams(sc *attr.Scanner, mid bool) (ClientParams, error) {
	var p ClientParams
	if err := scanFields(sc, mid, p.fields()); err != nil {
		return ClientParams{}, fmt.Errorf("TLS_CLIENT_PARAMS: %w", err)
	}
	return p, nil
}

// AppendAttrs appends the structure inline, without a list terminator, as
// Postfix's nested (FUNC) printers do.
func (p *ClientParams) AppendAttrs(dst []byte) []byte {
	return appendFields(dst, p.fields())
}

// AppendPlain appends the structure in the plain encoding without a
// terminator. Stock tlsproxy compares this serialisation of a request's
// params with that of its own, line by line, to word its "unexpected
// settings" warnings.
func (p *ClientParams) AppendPlain(dst []byte) []byte {
	return appendFieldsPlain(dst, p.fields())
}

// ClientInitProps is TLS_CLIENT_INIT_PROPS: what the caller would give
// tls_client_init(). Stock tlsproxy keys its client SSL_CTX cache on the
// plain serialisation of this structure and does apply these settings.
type ClientInitProps struct {
	LogParam    string // log_param: a parameter name, for messages
	LogLevel    string // log_level: the value of that parameter
	VerifyDepth int    // verifydepth
	CacheType   string // cache_type: tlsmgr cache name (smtp, lmtp)
	ChainFiles  string // chain_files
	CertFile    string // cert_file
	KeyFile     string // key_file
	DCertFile   string // dcert_file
	DKeyFile    string // dkey_file
	ECCertFile  string // eccert_file
	ECKeyFile   string // eckey_file
	CAFile      string // CAfile
	CAPath      string // CApath
	MDAlg       string // mdalg: fingerprint digest
}

func (p *ClientInitProps) fields() []field {
	return []field{
		strField("log_param", &p.LogParam),
		strField("log_level", &p.LogLevel),
		intField("verifydepth", &p.VerifyDepth),
		strField("cache_type", &p.CacheType),
		strField("chain_files", &p.ChainFiles),
		strField("cert_file", &p.CertFile),
		strField("key_file", &p.KeyFile),
		strField("dcert_file", &p.DCertFile),
		strField("dkey_file", &p.DKeyFile),
		strField("eccert_file", &p.ECCertFile),
		strField("eckey_file", &p.ECKeyFile),
		strField("CAfile", &p.CAFile),
		strField("CApath", &p.CAPath),
		strField("mdalg", &p.MDAlg),
	}
}

// DecodeClientInitProps reads the 14 attributes of a nested
// TLS_CLIENT_INIT_PROPS and leaves the enclosing list open.
func DecodeClientInitProps(sc *attr.Scanner, mid bool) (ClientInitProps, error) {
	var p ClientInitProps
	if err := scanFields(sc, mid, p.fields()); err != nil {
		return ClientInitProps{}, fmt.Errorf("TLS_CLIENT_INIT_PROPS: %w", err)
	}
	return p, nil
}

// AppendAttrs appends the structure inline, without a list terminator.
func (p *ClientInitProps) AppendAttrs(dst []byte) []byte {
	return appendFields(dst, p.fields())
}

// AppendPlain appends the structure in the plain encoding ("name=value\n"
// lines, no terminator): stock tlsproxy uses this serialisation as the key
// of its client SSL_CTX cache, so a replacement can do the same.
func (p *ClientInitProps) AppendPlain(dst []byte) []byte {
	return appendFieldsPlain(dst, p.fields())
}

// ClientSettings is list 2 of a client-role request: the three nested
// structures and then the list terminator, sent right after list 1.
type ClientSettings struct {
	Params ClientParams
	Init   ClientInitProps
	Start  ClientStartProps
}

// DecodeClientSettings reads list 2 strictly, with its terminator. Stock
// tlsproxy logs a failure as "tlsp_get_request_event: receive client TLS
// settings: %m" and drops the session without a reply.
func DecodeClientSettings(sc *attr.Scanner) (ClientSettings, error) {
	var s ClientSettings
	var err error
	const what = "receive client TLS settings"
	if s.Params, err = DecodeClientParams(sc, false); err != nil {
		return ClientSettings{}, fmt.Errorf("%s: %w", what, err)
	}
	if s.Init, err = DecodeClientInitProps(sc, true); err != nil {
		return ClientSettings{}, fmt.Errorf("%s: %w", what, err)
	}
	if s.Start, err = DecodeClientStartProps(sc, true); err != nil {
		return ClientSettings{}, fmt.Errorf("%s: %w", what, err)
	}
	if err = scanEnd(sc); err != nil {
		return ClientSettings{}, fmt.Errorf("%s: %w", what, err)
	}
	return s, nil
}

// Append appends list 2 with its terminator.
func (s *ClientSettings) Append(dst []byte) []byte {
	dst = s.Params.AppendAttrs(dst)
	dst = s.Init.AppendAttrs(dst)
	dst = s.Start.AppendAttrs(dst)
	return attr.AppendEnd(dst)
}
