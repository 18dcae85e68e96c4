package main

import (
	"strings"

	"github.com/postfix-go/postfix-go/smtp/internal/agent"
)

// loadProxyParams reads what smtp(8) sends to tlsproxy(8) when a
// destination's policy asks for connection reuse: the global TLS
// parameters, which stock tlsproxy compares with its own main.cf, and
// the client init props, which it uses to build its client context.
// p is "smtp_" or "lmtp_"; t holds the smtp_tls_* values read already.
func loadProxyParams(pr *paramReader, p string, lmtp bool, t *tlsParams) *agent.TLSProxy {
	str, bool_, int_ := pr.str, pr.bool, pr.int
	cacheType := "smtp"
	if lmtp {
		cacheType = "lmtp"
	}
	return &agent.TLSProxy{
		Path: "private/" + strings.TrimSpace(str("tlsproxy_service_name")),
		Params: agent.ProxyParams{
			ConfigFile:          str("tls_config_file"),
			ConfigName:          str("tls_config_name"),
			HighCiphers:         str("tls_high_cipherlist"),
			MediumCiphers:       str("tls_medium_cipherlist"),
			LowCiphers:          str("tls_low_cipherlist"),
			ExportCiphers:       str("tls_export_cipherlist"),
			NullCiphers:         str("tls_null_cipherlist"),
			AutoCurves:          str("tls_eecdh_auto_curves"),
			StrongCurve:         str("tls_eecdh_strong_curve"),
			UltraCurve:          str("tls_eecdh_ultra_curve"),
			DisableWorkarounds:  str("tls_disable_workarounds"),
			SSLOptions:          str("tls_ssl_options"),
			DANEDigests:         t.daneDigests,
			MgrService:          str("tlsmgr_service_name"),
			TicketCipher:        str("tls_session_ticket_cipher"),
			RandomBytes:         int_("tls_daemon_random_bytes"),
			AppendDefaultCA:     t.appendDefaultCA,
			LegacyPkeyFprints:   bool_("tls_legacy_public_key_fingerprints"),
			PreemptCiphs:        bool_("tls_preempt_cipherlist"),
			WildcardMultiLabels: bool_("tls_wildcard_matches_multiple_labels"),
		},
		Init: agent.ProxyInit{
			LogParam:    p + "tls_loglevel",
			LogLevel:    t.logLevel,
			VerifyDepth: int_(p + "tls_scert_verifydepth"),
			CacheType:   cacheType,
			ChainFiles:  t.chainFiles,
			CertFile:    t.certFile,
			KeyFile:     t.keyFile,
			DCertFile:   str(p + "tls_dcert_file"),
			DKeyFile:    str(p + "tls_dkey_file"),
			ECCertFile:  t.ecCertFile,
			ECKeyFile:   t.ecKeyFile,
			CAFile:      t.caFile,
			CAPath:      t.caPath,
			MDAlg:       t.digest,
		},
	}
}
