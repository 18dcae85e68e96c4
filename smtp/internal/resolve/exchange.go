package resolve

import (
	"context"
	"math/rand/v2"
	"net"
	"strings"
	"time"

	"github.com/miekg/dns"
)

// glibc resolver defaults (resolv.h RES_TIMEOUT, RES_DFLRETRY).
const (
	defaultTimeout  = 5 * time.Second
	defaultAttempts = 2
	ednsBufSize     = 1232 // common DNS flag-day EDNS0 size
)

// maxRecords is Postfix's internal dns_rr_list_limit.
const maxRecords = 100

// Resolver resolves SMTP/LMTP destinations. It is safe for concurrent use.
type Resolver struct {
	cfg      Config
	servers  []string
	timeout  time.Duration
	attempts int
	tlsa     tlsaCache // per-process TLSA lookups (DANE)
}

// New builds a Resolver. Server selection: Config.Servers, else the
// servers of Config.ClientConfig, else 127.0.0.1:53 (what glibc does when
// resolv.conf is missing – the smtp-dns-fail vector shows exactly that).
func New(cfg Config) *Resolver {
	r := &Resolver{cfg: cfg, timeout: cfg.Timeout, attempts: cfg.Attempts}
	cc := cfg.ClientConfig
	switch {
	case len(cfg.Servers) > 0:
		r.servers = append([]string(nil), cfg.Servers...)
	case cc != nil && len(cc.Servers) > 0:
		port := cc.Port
		if port == "" {
			port = "53"
		}
		for _, s := range cc.Servers {
			r.servers = append(r.servers, net.JoinHostPort(s, port))
		}
	default:
		r.servers = []string{"127.0.0.1:53"}
	}
	if r.timeout <= 0 {
		r.timeout = defaultTimeout
		if cc != nil && cc.Timeout > 0 {
			r.timeout = time.Duration(cc.Timeout) * time.Second
		}
	}
	if r.attempts <= 0 {
		r.attempts = defaultAttempts
		if cc != nil && cc.Attempts > 0 {
			r.attempts = cc.Attempts
		}
	}
	return r
}

func (r *Resolver) logf(format string, args ...any) {
	if r.cfg.Logf != nil {
		r.cfg.Logf(format, args...)
	}
}

func (r *Resolver) intN(n int) int {
	if r.cfg.Rand != nil {
		return r.cfg.Rand.IntN(n)
	}
	return rand.IntN(n)
}

// exchange sends one query the way glibc's res_send does: every server in
// turn, for the configured number of attempts; SERVFAIL, NOTIMP and
// REFUSED make it move on to the next server, and if nobody gives a usable
// answer the result is TRY_AGAIN. A truncated UDP reply is retried over TCP.
func (r *Resolver) exchange(ctx context.Context, name string, qtype uint16, dnssec bool) (*dns.Msg, herrno) {
	q := new(dns.Msg)
	q.SetQuestion(dns.Fqdn(name), qtype)
	q.RecursionDesired = true
	if dnssec {
		// RES_USE_DNSSEC|RES_USE_EDNS0|RES_TRUSTAD: DO bit, and AD set in
		// the query so the (trusted, local) resolver reports validation.
		q.SetEdns0(ednsBufSize, true)
		q.AuthenticatedData = true
	}
	udp := &dns.Client{Net: "udp", Timeout: r.timeout}
	tcp := &dns.Client{Net: "tcp", Timeout: r.timeout}
	for range r.attempts {
		for _, srv := range r.servers {
			if ctx.Err() != nil {
				return nil, hTryAgain
			}
			q.Id = dns.Id()
			resp, _, err := udp.ExchangeContext(ctx, q, srv)
			if err == nil && resp.Truncated {
				resp, _, err = tcp.ExchangeContext(ctx, q, srv)
			}
			if err != nil || resp == nil {
				continue
			}
			switch resp.Rcode {
			case dns.RcodeServerFailure, dns.RcodeNotImplemented, dns.RcodeRefused:
				continue
			case dns.RcodeNameError:
				return resp, hHostNotFound
			case dns.RcodeSuccess:
				if len(resp.Answer) == 0 {
					return resp, hNoData
				}
				return resp, hOK
			default:
				return resp, hNoRecovery
			}
		}
	}
	return nil, hTryAgain
}

// String describes the server list, for logging.
func (r *Resolver) String() string {
	return "resolve.Resolver(" + strings.Join(r.servers, ",") + ")"
}
