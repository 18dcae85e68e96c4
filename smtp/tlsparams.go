package main

import (
	"errors"
	"strings"

	"github.com/postfix-go/postfix-go/internal/tlspolicy"
	"github.com/postfix-go/postfix-go/master-compat/server"
	"github.com/postfix-go/postfix-go/smtp/internal/agent"
	"github.com/postfix-go/postfix-go/smtp/internal/resolve"
)

// tlsParams are the TLS client parameters as read from main.cf; preInit
// turns them into the agent's TLSClient, before the chroot.
type tlsParams struct {
	policy                     tlspolicy.Config
	logLevel                   string
	certFile, keyFile          string
	ecCertFile, ecKeyFile      string
	chainFiles                 string
	caFile, caPath             string
	appendDefaultCA            bool
	digest, daneDigests        string
	wrapper, noteOffer         bool
	dnssec, connReuse, enabled bool
	resolverSearch             bool   // smtp_dns_resolver_options has res_defnames/res_dnsrch
	cacheDB, mgrService        string // smtp_tls_session_cache_database, tlsmgr_service_name
	proxy                      *agent.TLSProxy
}

// loadTLSParams reads the smtp_tls_* (lmtp_tls_*) parameters; p is the
// prefix. Nothing is opened or parsed here: that waits for preInit and
// happens only when some level above "none" or a policy table exists.
func (d *daemon) loadTLSParams(pr *paramReader, p, compatLevel string) {
	str, bool_, tm := pr.str, pr.bool, pr.time
	c := tlspolicy.Config{
		LMTP:                    d.cfg.LMTP,
		SecurityLevel:           str(p + "tls_security_level"),
		UseTLS:                  bool_(p + "use_tls"),
		EnforceTLS:              bool_(p + "enforce_tls"),
		EnforcePeername:         bool_(p + "tls_enforce_peername"),
		Ciphers:                 str(p + "tls_ciphers"),
		MandatoryCiphers:        str(p + "tls_mandatory_ciphers"),
		ExcludeCiphers:          str(p + "tls_exclude_ciphers"),
		MandatoryExcludeCiphers: str(p + "tls_mandatory_exclude_ciphers"),
		Protocols:               str(p + "tls_protocols"),
		MandatoryProtocols:      str(p + "tls_mandatory_protocols"),
		VerifyCertMatch:         str(p + "tls_verify_cert_match"),
		SecureCertMatch:         str(p + "tls_secure_cert_match"),
		FingerprintCertMatch:    str(p + "tls_fingerprint_cert_match"),
		FingerprintDigest:       fingerprintDigest(pr, p, compatLevel),
		TrustAnchorFile:         str(p + "tls_trust_anchor_file"),
		ServerName:              str(p + "tls_servername"),
		ConnectionReuse:         bool_(p + "tls_connection_reuse"),
		PolicyMaps:              str(p + "tls_policy_maps"),
		PerSite:                 str(p + "tls_per_site"),
	}
	if !d.cfg.LMTP {
		c.DANEInsecureMXPolicy = str("smtp_tls_dane_insecure_mx_policy")
	}
	t := &d.tlsParams
	t.policy = c
	t.logLevel = str(p + "tls_loglevel")
	t.certFile, t.keyFile = str(p+"tls_cert_file"), str(p+"tls_key_file")
	t.ecCertFile, t.ecKeyFile = str(p+"tls_eccert_file"), str(p+"tls_eckey_file")
	t.chainFiles = str(p + "tls_chain_files")
	t.caFile, t.caPath = str(p+"tls_CAfile"), str(p+"tls_CApath")
	t.appendDefaultCA = bool_("tls_append_default_CA")
	t.digest, t.daneDigests = c.FingerprintDigest, str("tls_dane_digests")
	t.wrapper, t.noteOffer = bool_(p+"tls_wrappermode"), bool_(p+"tls_note_starttls_offer")
	t.connReuse = c.ConnectionReuse
	t.cacheDB, t.mgrService = strings.TrimSpace(str(p+"tls_session_cache_database")), strings.TrimSpace(str("tlsmgr_service_name"))
	t.proxy = loadProxyParams(pr, p, d.cfg.LMTP, t)
	t.dnssec = strings.EqualFold(str(p+"dns_support_level"), "dnssec")
	for _, o := range strings.FieldsFunc(strings.ToLower(str(p+"dns_resolver_options")), isListSep) {
		t.resolverSearch = t.resolverSearch || o == "res_defnames" || o == "res_dnsrch"
	}
	d.cfg.TLS = &agent.TLSClient{
		Wrapper:    t.wrapper,
		NoteOffer:  t.noteOffer,
		Timeout:    tm(p+"starttls_timeout", 1),
		MinBackoff: tm("minimal_backoff_time", 1),
	}
	// smtp.c pre_init: TLS is initialised when a level is set or a
	// policy table exists; stock makes an invalid level fatal.
	lvl, err := tlspolicy.GlobalLevel(&c)
	pr.note(err)
	t.enabled = lvl > tlspolicy.LevelNone || strings.TrimSpace(c.PolicyMaps) != "" || strings.TrimSpace(c.PerSite) != ""
}

// initTLS is the pre-jail TLS initialisation: policy tables, then the
// client engine (CA data, client certificates, digests). Table problems
// leave the guard reason in d.cfg.Unavailable; engine problems make
// TLS unavailable, as stock's smtp_tls_ctx = 0 does.
func (d *daemon) initTLS(rt *server.Runtime) error {
	t, tc := &d.tlsParams, d.cfg.TLS
	if !t.enabled {
		return nil
	}
	prefix := "smtp_"
	if d.cfg.LMTP {
		prefix = "lmtp_"
	}
	mask, bad := agent.ParseTLSLogMask(t.logLevel)
	for _, w := range bad {
		rt.Log.Warnf("unknown %stls_loglevel value \"%s\" -- ignored", prefix, w)
	}
	tc.Log = mask
	px := d.proxyOpener(rt)
	d.localTables = &localTables{info: rt.Log.Info}
	configDir, _ := rt.Config.Lookup("config_directory")
	local := d.localTables.opener(rt.Generic.SMTPUTF8Enable, runPostmap(rt.Generic.CommandDirectory, configDir), rt.Log.Warn)
	policy, err := openTables(t.policy.PolicyMaps, local, px)
	perSite, err2 := openTables(t.policy.PerSite, local, px)
	if err == nil {
		err = err2
	}
	var ut *errUnsupportedTable
	switch {
	case errors.As(err, &ut):
		// Never guess a policy: defer everything (the TLS guard).
		d.cfg.Unavailable = ut.Error() + "; the TLS policy cannot be applied"
		return nil
	case err != nil:
		return err
	}
	load := func(path string) ([]tlspolicy.TLSA, error) { return loadTrustFile(path) }
	res, warns, err := tlspolicy.NewResolver(t.policy, policy, perSite, load)
	if err != nil {
		return err
	}
	for _, w := range warns {
		rt.Log.Warn(w)
	}
	tc.Policy = res
	// DANE preconditions (dane_init); the TLSA lookups themselves are
	// the resolver's, per destination.
	rc := &d.resolveCfg
	tc.DANE = tlspolicy.DANEEnv{
		DNSSECLookups:       rc.SupportLevel == resolve.DNSSEC && rc.HostLookup&resolve.HostLookupDNS != 0,
		IgnoreMXLookupError: rc.IgnoreMXLookupError,
		ResolverSearch:      t.resolverSearch,
	}
	if imx, err := tlspolicy.InsecureMXPolicy(&t.policy); err == nil && !d.cfg.LMTP && imx > tlspolicy.LevelMay {
		// smtp_addr_list: MX host addresses are looked up with DNSSEC
		// even when the MX RRset is insecure.
		rc.DNSSECHostLookups = true
	}
	// Any policy entry may ask for connection_reuse, so the tlsproxy
	// client is always ready once TLS is on.
	tc.Proxy = t.proxy
	if mask&agent.TLSLogVerbose != 0 {
		rt.Log.Info("initializing the client-side TLS engine")
	}
	if err := d.initEngine(rt); err != nil {
		rt.Log.Warnf("%v: disabling TLS support", err)
		tc.EngineDown = true
	}
	return nil
}

// fingerprintDigest reads smtp_tls_fingerprint_digest, whose default is
// an expression on compatibility_level; where that cannot be evaluated
// (no compatibility_level at all) the expression's meaning is applied.
func fingerprintDigest(pr *paramReader, p, compatLevel string) string {
	v, err := pr.c.Str(p + "tls_fingerprint_digest")
	if err != nil {
		return tlspolicy.DefaultFingerprintDigest(compatLevel)
	}
	return v
}
