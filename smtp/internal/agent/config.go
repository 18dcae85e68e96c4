package agent

import (
	"context"
	"net"
	"time"

	"github.com/postfix-go/postfix-go/master-compat/statusclient"
	"github.com/postfix-go/postfix-go/smtp/internal/downgrade"
	"github.com/postfix-go/postfix-go/smtp/internal/queuefile"
	"github.com/postfix-go/postfix-go/smtp/internal/smtpwire"
)

// Timeouts are the smtp_*_timeout (lmtp_*_timeout) parameters. Each
// bounds one read or write, as stock does without
// smtp_per_request_deadline.
type Timeouts struct {
	Connect  time.Duration // smtp_connect_timeout; 0 = no limit
	Helo     time.Duration // smtp_helo_timeout: greeting and EHLO/HELO
	Mail     time.Duration // smtp_mail_timeout
	Rcpt     time.Duration // smtp_rcpt_timeout
	DataInit time.Duration // smtp_data_init_timeout
	DataXfer time.Duration // smtp_data_xfer_timeout, per content write
	DataDone time.Duration // smtp_data_done_timeout
	RSET     time.Duration // smtp_rset_timeout
	Quit     time.Duration // smtp_quit_timeout
	Xforward time.Duration // smtp_xforward_timeout
}

// Config is what the agent needs from main.cf and master.cf.
type Config struct {
	// LMTP is the lmtp personality (argv[0] "lmtp"): LHLO, unix:path
	// and inet: next-hops, and one end-of-data reply per recipient.
	LMTP bool
	// Unavailable, when set, is why this agent must not deliver at all
	// with the configuration it was given (for example a TLS level it
	// cannot honour): every recipient is deferred with this 4.x reason
	// rather than sent in a way the administrator did not allow.
	Unavailable string
	// Flags are master.cf's flags= letters; ServiceName is the
	// master.cf service name (the relay= of requests refused by them).
	Flags       CLIFlags
	ServiceName string
	// HeloName is smtp_helo_name, already expanded.
	HeloName string
	// MyHostname is $myhostname (greeting loop warnings).
	MyHostname string
	Timeouts   Timeouts
	// LineLimit is line_length_limit (reply lines).
	LineLimit int
	// SMTPLineLimit is smtp_line_length_limit (content folding).
	SMTPLineLimit int
	// Skip5xxGreeting is smtp_skip_5xx_greeting.
	Skip5xxGreeting bool
	// NeverEHLO is smtp_never_send_ehlo. smtp_always_send_ehlo=yes
	// (the default) is assumed otherwise.
	NeverEHLO bool
	// QuoteEnvelope is smtp_quote_rfc821_envelope.
	QuoteEnvelope bool
	// SendXforward is smtp_send_xforward_command.
	SendXforward bool
	// SkipQuitResponse is smtp_skip_quit_response.
	SkipQuitResponse bool
	// DiscardEHLO is smtp_discard_ehlo_keywords, parsed.
	DiscardEHLO smtpwire.EHLOMask
	// DisableMIMEConversion is disable_mime_output_conversion; MIME
	// holds the limits of the 8BITMIME downgrade (mime_nesting_limit,
	// mime_boundary_length_limit, header_size_limit).
	DisableMIMEConversion bool
	MIME                  downgrade.Config
	// HelpfulWarnings is helpful_warnings.
	HelpfulWarnings bool
	// SoftBounce is soft_bounce.
	SoftBounce bool
	// DisableUTF8 is smtputf8_enable=no.
	DisableUTF8 bool
	// DelayResolution is delay_logging_resolution_limit.
	DelayResolution int
	// FlushDomains is fast_flush_domains as plain domain names (table
	// entries are not supported and never match); ParentMatches is
	// whether fast_flush_domains is in parent_domain_matches_subdomains.
	FlushDomains  []string
	ParentMatches bool
	// TLS is the TLS client; nil or its zero value means no TLS.
	TLS *TLSClient
	// Cache is the connection cache configuration; it applies only
	// when Agent.Cache is set.
	Cache CacheConfig
	// DefaultService is smtp_tcp_port, the port of destinations
	// without one ("smtp" when empty).
	DefaultService string
	// FallbackRelay is smtp_fallback_relay, appended to every next-hop.
	FallbackRelay string
	// Relayhost is $relayhost, only to recognise its misconfiguration.
	Relayhost string
	// BestMXTransport is best_mx_transport (not implemented: mail that
	// loops back to this host is deferred instead of bounced).
	BestMXTransport string
	// MXAddressLimit and MXSessionLimit are smtp_mx_address_limit and
	// smtp_mx_session_limit (0 = no limit).
	MXAddressLimit, MXSessionLimit int
	// NoProtocols: inet_protocols is empty; every request is deferred.
	NoProtocols bool
	// Service names, for the texts stock builds from them.
	BounceService, DeferService, TraceService, VerifyService string
}

// Status is the part of statusclient.Client the agent uses, as an
// interface so that tests can record the calls.
type Status interface {
	DeferAppend(ctx context.Context, flags int, queueID string, rcpt statusclient.Recipient, dsn statusclient.DSN) error
	BounceAppend(ctx context.Context, flags int, queueID string, rcpt statusclient.Recipient, dsn statusclient.DSN) error
	TraceAppend(ctx context.Context, flags int, queueID string, rcpt statusclient.Recipient, relay string, dsn statusclient.DSN) error
	Sent(ctx context.Context, flags int, queueID string, rcpt statusclient.Recipient, relay string, dsn statusclient.DSN) (statusclient.SentResult, error)
	VerifyAppend(ctx context.Context, rcpt statusclient.Recipient, rcptStatus int, dsnAction, reason string) (string, error)
	FlushAdd(ctx context.Context, site, queueID string) (int, error)
}

// Message is the open queue file; *queuefile.File implements it.
type Message interface {
	Content(dataOffset int64) (*queuefile.ContentReader, error)
	MarkDone(offset int64) error
}

// Logger receives log records without the severity prefix;
// *maillog.Logger implements it.
type Logger interface {
	Info(msg string)
	Warn(msg string)
}

// Agent delivers requests. It holds configuration only, so one Agent
// serves every request of the process.
type Agent struct {
	cfg    Config
	status Status
	log    Logger
	// Dial opens the TCP connection; nil means a net.Dialer honouring
	// Timeouts.Connect. Tests substitute it.
	Dial func(ctx context.Context, network, address string) (net.Conn, error)
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Cache is the scache client; nil disables connection caching.
	Cache Cache
	// Resolver resolves next-hop destinations; nil means literal
	// [address] destinations only.
	Resolver Resolver
}

// New returns an agent.
func New(cfg Config, status Status, log Logger) *Agent {
	if cfg.LineLimit <= 0 {
		cfg.LineLimit = smtpwire.DefaultLineLimit
	}
	return &Agent{cfg: cfg, status: status, log: log}
}

func (a *Agent) now() time.Time {
	if a.Now != nil {
		return a.Now()
	}
	return time.Now()
}

func (a *Agent) dial(ctx context.Context, network, address string) (net.Conn, error) {
	if a.Dial != nil {
		return a.Dial(ctx, network, address)
	}
	d := net.Dialer{Timeout: a.cfg.Timeouts.Connect}
	return d.DialContext(ctx, network, address)
}
