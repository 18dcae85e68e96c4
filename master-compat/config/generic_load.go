package config

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// param describes one entry of a mail_params_init() table: name, limits
// and where the typed value goes. Exactly one target is set.
type param struct {
	name     string
	min, max int64
	str      *string
	num      *int
	long     *int64
	flag     *bool
	dur      *time.Duration
	nbool    bool // flag is loaded with NBool
}

func str(name string, min, max int64, t *string) param {
	return param{name: name, min: min, max: max, str: t}
}
func num(name string, min, max int64, t *int) param {
	return param{name: name, min: min, max: max, num: t}
}
func long(name string, min int64, t *int64) param { return param{name: name, min: min, long: t} }
func flag(name string, t *bool) param             { return param{name: name, flag: t} }
func nflag(name string, t *bool) param            { return param{name: name, flag: t, nbool: true} }
func dur(name string, min, max int64, t *time.Duration) param {
	return param{name: name, min: min, max: max, dur: t}
}

// load loads the parameters in order, as get_mail_conf_*_table() does.
func (d *Dict) load(params []param) error {
	for _, p := range params {
		lim := []GetOption{WithMin(p.min), WithMax(p.max)}
		var err error
		switch {
		case p.str != nil:
			*p.str, err = d.Str(p.name, lim...)
		case p.num != nil:
			*p.num, err = d.Int(p.name, lim...)
		case p.long != nil:
			*p.long, err = d.Long(p.name, lim...)
		case p.flag != nil && p.nbool:
			*p.flag, err = d.NBool(p.name)
		case p.flag != nil:
			*p.flag, err = d.Bool(p.name)
		case p.dur != nil:
			*p.dur, err = d.Time(p.name, lim...)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// mainCF names the file in "file DIR/main.cf: parameter ..." errors.
func (d *Dict) mainCF() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	dir := d.configDir
	if dir == "" {
		dir = ConfigDirFromEnv()
	}
	return dir + "/main.cf"
}

// validFacility reports whether msg_syslog_set_facility() knows name on
// Linux (glibc has no LOG_SECURITY, so "security" is not accepted).
func validFacility(name string) bool {
	switch name {
	case "auth", "authpriv", "cron", "daemon", "ftp", "kern", "lpr", "mail",
		"news", "syslog", "user", "uucp", "local0", "local1", "local2",
		"local3", "local4", "local5", "local6", "local7":
		return true
	}
	return false
}

// LoadGeneric loads the generic parameters exactly as mail_params_init()
// does, in the same order and with the same checks, so that later $name
// expansion sees the same dictionary as in a C daemon. Call it after
// main.cf, the -o overrides and service_name are in place (spec §1.15).
// It ends by storing process_id. It does not export MAIL_LOGTAG or set
// up logging; that is the caller's job.
func (d *Dict) LoadGeneric() (*Generic, error) {
	g := &Generic{}
	if err := d.loadCompat(g); err != nil {
		return nil, err
	}
	steps := []func(*Generic) error{
		d.loadEarly, d.loadHostnames, d.loadOtherStrings, d.loadNumbers,
		d.checkAccounts, d.loadMynetworks, d.checkSanity,
	}
	for _, step := range steps {
		if err := step(g); err != nil {
			return nil, err
		}
	}
	return g, nil
}

// loadCompat reads compatibility_level first, so that the checks for
// legacy defaults see the configuration before anything else is stored.
func (d *Dict) loadCompat(g *Generic) error {
	if err := d.load([]param{str("compatibility_level", 0, 0, &g.CompatibilityLevel)}); err != nil {
		return err
	}
	lvl, err := ParseCompatLevel(g.CompatibilityLevel)
	if err != nil {
		return err
	}
	g.CompatLevel = lvl
	unset := func(names ...string) bool {
		for _, n := range names {
			if _, ok := d.Lookup(n); ok {
				return false
			}
		}
		return true
	}
	add := func(cond bool, name string) {
		if cond {
			g.LegacyDefaults = append(g.LegacyDefaults, name)
		}
	}
	if lvl < CompatLevel3_6 {
		for _, n := range []string{"smtpd_tls_fingerprint_digest", "smtp_tls_fingerprint_digest",
			"lmtp_tls_fingerprint_digest", "smtpd_relay_before_recipient_restrictions", "respectful_logging"} {
			add(unset(n), n)
		}
	}
	if lvl < CompatLevel2 {
		add(unset("relay_domains"), "relay_domains")
		add(unset("relay_domains", "fast_flush_domains"), "fast_flush_domains")
		add(unset("mynetworks", "mynetworks_style"), "mynetworks_style")
	}
	if lvl < CompatLevel1 {
		add(unset("append_dot_mydomain"), "append_dot_mydomain")
		add(unset("smtputf8_enable"), "smtputf8_enable")
		add(true, "chroot")
		add(unset("smtpd_relay_restrictions"), "smtpd_relay_restrictions")
	}
	return nil
}

// loadEarly covers the tables read before the host name: syslog set-up,
// table-open policy, UTF-8 switches, and inet_protocols.
func (d *Dict) loadEarly(g *Generic) error {
	err := d.load([]param{
		str("mail_version", 1, 0, &g.MailVersion),
		str("syslog_facility", 1, 0, &g.SyslogFacility),
		str("inet_protocols", 0, 0, &g.InetProtocols),
		str("multi_instance_directories", 0, 0, &g.MultiInstanceDirectories),
		str("multi_instance_group", 0, 0, &g.MultiInstanceGroup),
		str("multi_instance_name", 0, 0, &g.MultiInstanceName),
		str("maillog_file", 0, 0, &g.MaillogFile),
		str("maillog_file_prefixes", 1, 0, &g.MaillogFilePrefixes),
		str("maillog_file_compressor", 1, 0, &g.MaillogFileCompressor),
		str("maillog_file_rotate_suffix", 1, 0, &g.MaillogFileRotateSuffix),
		str("postlog_service_name", 1, 0, &g.PostlogServiceName),
		str("dnssec_probe", 0, 0, &g.DNSSECProbe),
		str("known_tcp_ports", 0, 0, &g.KnownTCPPorts),
	})
	if err != nil {
		return err
	}
	if !validFacility(g.SyslogFacility) {
		return fmt.Errorf("file %s: parameter syslog_facility: unrecognized value: %s", d.mainCF(), g.SyslogFacility)
	}
	err = d.load([]param{
		flag("daemon_table_open_error_is_fatal", &g.DaemonTableOpenErrorIsFatal),
		flag("dns_ncache_ttl_fix_enable", &g.DNSNcacheTTLFixEnable),
		nflag("smtputf8_enable", &g.SMTPUTF8Enable),
		nflag("enable_idna2003_compatibility", &g.EnableIDNA2003Compatibility),
		nflag("respectful_logging", &g.RespectfulLogging),
	})
	if err != nil {
		return err
	}
	_, err = parseInetProtocols(g.InetProtocols)
	return err
}

// loadHostnames loads the run-time defaulted myhostname and mydomain and
// validates them.
func (d *Dict) loadHostnames(g *Generic) error {
	err := d.load([]param{
		str("myhostname", 1, 0, &g.Myhostname),
		str("mydomain", 1, 0, &g.Mydomain),
	})
	if err != nil {
		return err
	}
	for _, p := range []struct{ name, value string }{{"myhostname", g.Myhostname}, {"mydomain", g.Mydomain}} {
		if err := validHostname(p.value); err != nil {
			d.warn(err.Error())
			return fmt.Errorf("file %s: parameter %s: bad parameter value: %s", d.mainCF(), p.name, p.value)
		}
	}
	return nil
}

// loadOtherStrings is the other_str_defaults table plus Debian's
// "myorigin = /file" feature (MYORIGIN_FROM_FILE).
func (d *Dict) loadOtherStrings(g *Generic) error {
	err := d.load([]param{
		str("mail_name", 1, 0, &g.MailName),
		str("syslog_name", 1, 0, &g.SyslogName),
		str("mail_owner", 1, 0, &g.MailOwner),
		str("setgid_group", 1, 0, &g.SetgidGroup),
		str("mydestination", 0, 0, &g.Mydestination),
		str("myorigin", 1, 0, &g.Myorigin),
		str("relayhost", 0, 0, &g.Relayhost),
		str("daemon_directory", 1, 0, &g.DaemonDirectory),
		str("data_directory", 1, 0, &g.DataDirectory),
		str("command_directory", 1, 0, &g.CommandDirectory),
		str("meta_directory", 1, 0, &g.MetaDirectory),
		str("queue_directory", 1, 0, &g.QueueDirectory),
		str("shlib_directory", 1, 0, &g.ShlibDirectory),
		str("process_id_directory", 1, 0, &g.ProcessIDDirectory),
		str("inet_interfaces", 0, 0, &g.InetInterfaces),
		str("proxy_interfaces", 0, 0, &g.ProxyInterfaces),
		str("double_bounce_sender", 1, 0, &g.DoubleBounceSender),
		str("default_privs", 1, 0, &g.DefaultPrivs),
		str("alias_database", 0, 0, &g.AliasDatabase),
		str("mail_release_date", 1, 0, &g.MailReleaseDate),
		str("default_database_type", 1, 0, &g.DefaultDatabaseType),
		str("hash_queue_names", 1, 0, &g.HashQueueNames),
		str("recipient_delimiter", 0, 0, &g.RecipientDelimiter),
		str("relay_domains", 0, 0, &g.RelayDomains),
		str("fast_flush_domains", 0, 0, &g.FastFlushDomains),
		str("export_environment", 0, 0, &g.ExportEnvironment),
		str("import_environment", 0, 0, &g.ImportEnvironment),
		str("mynetworks_style", 1, 0, &g.MynetworksStyle),
		str("debug_peer_list", 0, 0, &g.DebugPeerList),
		str("default_verp_delimiters", 2, 2, &g.DefaultVERPDelimiters),
		str("verp_delimiter_filter", 1, 0, &g.VERPDelimiterFilter),
		str("parent_domain_matches_subdomains", 0, 0, &g.ParentDomainMatchesSubdomains),
		str("alternate_config_directories", 0, 0, &g.AlternateConfigDirectories),
		str("bounce_service_name", 1, 0, &g.BounceServiceName),
		str("cleanup_service_name", 1, 0, &g.CleanupServiceName),
		str("defer_service_name", 1, 0, &g.DeferServiceName),
		str("pickup_service_name", 1, 0, &g.PickupServiceName),
		str("queue_service_name", 1, 0, &g.QueueServiceName),
		str("rewrite_service_name", 1, 0, &g.RewriteServiceName),
		str("showq_service_name", 1, 0, &g.ShowqServiceName),
		str("error_service_name", 1, 0, &g.ErrorServiceName),
		str("flush_service_name", 1, 0, &g.FlushServiceName),
		str("address_verify_service_name", 1, 0, &g.AddressVerifyServiceName),
		str("trace_service_name", 1, 0, &g.TraceServiceName),
		str("proxymap_service_name", 1, 0, &g.ProxymapServiceName),
		str("proxywrite_service_name", 1, 0, &g.ProxywriteServiceName),
		str("internal_mail_filter_classes", 0, 0, &g.InternalMailFilterClasses),
		str("multi_instance_wrapper", 0, 0, &g.MultiInstanceWrapper),
		str("default_delivery_status_filter", 0, 0, &g.DefaultDeliveryStatusFilter),
		str("smtputf8_autodetect_classes", 1, 0, &g.SMTPUTF8AutodetectClasses),
		str("message_drop_headers", 0, 0, &g.MessageDropHeaders),
		str("info_log_address_format", 1, 0, &g.InfoLogAddressFormat),
	})
	if err != nil || !strings.HasPrefix(g.Myorigin, "/") {
		return err
	}
	// Debian builds with MYORIGIN_FROM_FILE: the first line of the file,
	// trimmed, without $name expansion.
	data, err := d.sys.readFile(g.Myorigin)
	if err != nil {
		return fmt.Errorf("%s: cannot open file: %w", g.Myorigin, errnoOf(err))
	}
	first, _, _ := strings.Cut(string(data), "\n")
	origin := trimCSpace(cutAtNUL(first))
	if origin == "" {
		return fmt.Errorf("myorigin file %s is empty", g.Myorigin)
	}
	g.Myorigin = origin
	return nil
}

// loadNumbers is the int, long, bool and time tables.
func (d *Dict) loadNumbers(g *Generic) error {
	return d.load([]param{
		num("default_process_limit", 1, 0, &g.DefaultProcessLimit),
		num("max_use", 1, 0, &g.MaxUse),
		num("dont_remove", 0, 0, &g.DontRemove),
		num("line_length_limit", 512, 0, &g.LineLengthLimit),
		num("hash_queue_depth", 1, 0, &g.HashQueueDepth),
		num("fork_attempts", 1, 0, &g.ForkAttempts),
		num("deliver_lock_attempts", 1, 0, &g.DeliverLockAttempts),
		num("debug_peer_level", 1, 0, &g.DebugPeerLevel),
		num("fault_injection_code", 0, 0, &g.FaultInjectionCode),
		num("berkeley_db_create_buffer_size", 1, 0, &g.BerkeleyDBCreateBufferSize),
		num("berkeley_db_read_buffer_size", 1, 0, &g.BerkeleyDBReadBufferSize),
		num("header_size_limit", 1, 0, &g.HeaderSizeLimit),
		num("header_address_token_limit", 1, 0, &g.HeaderAddressTokenLimit),
		num("mime_nesting_limit", 1, 0, &g.MimeNestingLimit),
		num("mime_boundary_length_limit", 1, 0, &g.MimeBoundaryLengthLimit),
		num("delay_logging_resolution_limit", 0, 6, &g.DelayLoggingResolutionLimit),
		num("tcp_windowsize", 0, 0, &g.TCPWindowsize),
		long("message_size_limit", 0, &g.MessageSizeLimit),
		long("lmdb_map_size", 1, &g.LMDBMapSize),
		flag("disable_dns_lookups", &g.DisableDNSLookups),
		flag("soft_bounce", &g.SoftBounce),
		flag("owner_request_special", &g.OwnerRequestSpecial),
		flag("strict_8bitmime", &g.Strict8BitMIME),
		flag("strict_7bit_headers", &g.Strict7BitHeaders),
		flag("strict_8bitmime_body", &g.Strict8BitMIMEBody),
		flag("strict_mime_encoding_domain", &g.StrictMIMEEncodingDomain),
		flag("disable_mime_input_processing", &g.DisableMIMEInputProcessing),
		flag("disable_mime_output_conversion", &g.DisableMIMEOutputConversion),
		flag("address_verify_negative_cache", &g.AddressVerifyNegativeCache),
		flag("backwards_bounce_logfile_compatibility", &g.BackwardsBounceLogfileCompat),
		flag("helpful_warnings", &g.HelpfulWarnings),
		flag("send_cyrus_sasl_authzid", &g.SendCyrusSASLAuthzid),
		flag("multi_instance_enable", &g.MultiInstanceEnable),
		flag("enable_long_queue_ids", &g.EnableLongQueueIDs),
		flag("strict_smtputf8", &g.StrictSMTPUTF8),
		flag("enable_original_recipient", &g.EnableOriginalRecipient),
		dur("application_event_drain_time", 1, 0, &g.ApplicationEventDrainTime),
		dur("max_idle", 1, 0, &g.MaxIdle),
		dur("ipc_timeout", 1, 0, &g.IPCTimeout),
		dur("ipc_idle", 1, 0, &g.IPCIdle),
		dur("ipc_ttl", 1, 0, &g.IPCTTL),
		dur("trigger_timeout", 1, 0, &g.TriggerTimeout),
		dur("fork_delay", 1, 0, &g.ForkDelay),
		dur("deliver_lock_delay", 1, 0, &g.DeliverLockDelay),
		dur("stale_lock_time", 1, 0, &g.StaleLockTime),
		dur("daemon_timeout", 1, 0, &g.DaemonTimeout),
		dur("in_flow_delay", 0, 10, &g.InFlowDelay),
	})
}

// loadMynetworks loads mynetworks, whose run-time default needs
// inet_interfaces, mynetworks_style and inet_protocols, then stores
// process_id, which main.cf cannot set.
func (d *Dict) loadMynetworks(g *Generic) error {
	if err := d.load([]param{str("mynetworks", 0, 0, &g.Mynetworks)}); err != nil {
		return err
	}
	g.ProcessID = d.sys.getpid()
	d.Set(ParamProcessID, strconv.Itoa(g.ProcessID))
	return nil
}

// checkSanity is the final group of mail_params_init() checks.
func (d *Dict) checkSanity(g *Generic) error {
	if asciiEqualFold(g.Myhostname, g.Relayhost) {
		return fmt.Errorf("myhostname and relayhost parameter settings must not be identical: %s", g.Myhostname)
	}
	if strings.ContainsAny(g.Myorigin, ListSeparators) {
		return fmt.Errorf("myorigin parameter setting must not contain multiple values: %s", g.Myorigin)
	}
	why := ""
	switch {
	case len(g.DefaultVERPDelimiters) != 2:
		why = "bad VERP delimiter character count"
	case strings.IndexByte(g.VERPDelimiterFilter, g.DefaultVERPDelimiters[0]) < 0:
		why = "bad first VERP delimiter character"
	case strings.IndexByte(g.VERPDelimiterFilter, g.DefaultVERPDelimiters[1]) < 0:
		why = "bad second VERP delimiter character"
	}
	if why != "" {
		return fmt.Errorf("file %s: parameters default_verp_delimiters and verp_delimiter_filter: %s", d.mainCF(), why)
	}
	return nil
}
