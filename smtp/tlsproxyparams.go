package main

import (
	"strings"

	"github.com/postfix-go/postfix-go/internal/tlsproxyproto"
	"github.com/postfix-go/postfix-go/smtp/internal/agent"
)

// loadProxyParams reads what smtp(8) sends to tlsproxy(8) when a
// destination's policy asks for connection reuse: the global TLS
// parameters, which stock tlsproxy compares with its own main.cf, and
// the client init props, which it uses to build its client context.
// p is "smtp_" or "lmtp_"; t holds the smtp_tls_* values read already.
func loadProxyParams(pr *paramReader, p string, lmtp bool, t *tlsParams) *agent.TLSProxy {
	str, int_ := pr.str, pr.int
	bool_ := func(name string) int { return cBool(pr.bool(name)) }
	cacheType := "smtp"
	if lmtp {
		cacheType = "lmtp"
	}
	return &agent.TLSProxy{
		Path: "private/" + strings.TrimSpace(str("tlsproxy_service_name")),
		Params: tlsproxyproto.ClientParams{
			ConfigFile:          str("tls_config_file"),
			ConfigName:          str("tls_config_name"),
			HighCipherlist:      str("tls_high_cipherlist"),
			MediumCipherlist:    str("tls_medium_cipherlist"),
			LowCipherlist:       str("tls_low_cipherlist"),
			ExportCipherlist:    str("tls_export_cipherlist"),
			NullCipherlist:      str("tls_null_cipherlist"),
			EECDHAutoCurves:     str("tls_eecdh_auto_curves"),
			EECDHStrongCurve:    str("tls_eecdh_strong_curve"),
			EECDHUltraCurve:     str("tls_eecdh_ultra_curve"),
			DisableWorkarounds:  str("tls_disable_workarounds"),
			SSLOptions:          str("tls_ssl_options"),
			DANEDigests:         t.daneDigests,
			MgrServiceName:      str("tlsmgr_service_name"),
			TicketCipher:        str("tls_session_ticket_cipher"),
			DaemonRandomBytes:   int_("tls_daemon_random_bytes"),
			AppendDefaultCA:     cBool(t.appendDefaultCA),
			LegacyPkeyFprints:   bool_("tls_legacy_public_key_fingerprints"),
			PreemptCipherlist:   bool_("tls_preempt_cipherlist"),
			WildcardMultiLabels: bool_("tls_wildcard_matches_multiple_labels"),
		},
		Init: tlsproxyproto.ClientInitProps{
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

// cBool is a boolean parameter as the C int the lists carry.
func cBool(b bool) int {
	if b {
		return 1
	}
	return 0
}
