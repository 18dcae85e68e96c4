package main

import (
	"strings"

	"github.com/postfix-go/postfix-go/master-compat/config"
)

// unsupported lists parameter suffixes (after "smtp_"/"lmtp_") that this
// agent does not implement yet. Setting one to anything but its stock
// default is logged at start-up, so that no setting is ignored silently.
var unsupported = []string{
	// TLS: these have no Go equivalent or need tlsmgr(8).
	"tls_dcert_file", "tls_block_early_mail_reply",
	"tls_force_insecure_host_tlsa_lookup",
	"sasl_auth_enable", "sasl_password_maps", "sasl_mechanism_filter", "sasl_security_options",
	"generic_maps", "header_checks", "mime_header_checks", "nested_header_checks", "body_checks",
	"bind_address", "bind_address6",
	"sender_dependent_authentication", "delivery_status_filter", "dns_reply_filter",
	"reply_filter", "pix_workarounds", "pix_workaround_maps", "pix_workaround_threshold_time",
	"pix_workaround_delay_time", "always_send_ehlo",
	"send_dummy_mail_auth", "cname_overrides_servername",
}

// warnUnsupported logs each unsupported parameter that is set to a
// non-default value. It reads values raw: loading them would store
// defaults and change what later "$name" expansions see.
func warnUnsupported(cfg *config.Dict, prefix, process string, warn func(string)) {
	for _, suffix := range unsupported {
		name := prefix + suffix
		raw, set := cfg.Lookup(name)
		if !set {
			continue
		}
		def, _ := config.BuiltinDefault(name)
		if strings.TrimSpace(raw) == strings.TrimSpace(def) {
			continue
		}
		warn(name + " = " + raw + " is not supported by this " + process + " yet and is ignored")
	}
}
