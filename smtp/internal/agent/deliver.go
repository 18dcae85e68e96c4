package agent

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"strings"

	"github.com/postfix-go/postfix-go/internal/tlspolicy"
	"github.com/postfix-go/postfix-go/master-compat/statusclient"
	"github.com/postfix-go/postfix-go/smtp/internal/deliver"
	"github.com/postfix-go/postfix-go/smtp/internal/resolve"
	"github.com/postfix-go/postfix-go/smtp/internal/smtpwire"
)

// delivery is the state of one request: the recipients still to be
// disposed of, the aggregate status for qmgr and the hop status.
type delivery struct {
	a     *Agent
	ctx   context.Context
	req   *deliver.Request
	msg   Message
	rcpts []rcpt
	// status is the OR of the per-recipient results (stock
	// state->status): StatDefer as soon as one recipient was not
	// recorded as delivered or bounced and marked done.
	status int
	hop    deliver.DSN
	hopSet bool
	// final: the server being tried is the last one for this request,
	// so soft failures defer instead of waiting for the next server.
	final bool
	// completed: a mail transaction ran to its end in this request
	// (SMTP_MISC_FLAG_COMPLETE_SESSION); connection trouble with a later
	// server then does not throttle the destination.
	completed bool
	// Connection caching for this request (smtp_cache_policy):
	// cacheLoad looks up cached sessions, cacheStore makes new sessions
	// cacheable, reqNexthop is the request next-hop of destination
	// labels until the first good session.
	cacheLoad, cacheStore bool
	reqNexthop            string
	// why is the last failure reason (stock state->why): what recipients
	// still pending after the last server fail with.
	why statusclient.DSN
	// sessionUp, when set, is called once a session is past the
	// EHLO/HELO handshake (smtp_mx_session_limit accounting).
	sessionUp func()
	// addr is the resolved address being tried (DNSSEC status, best
	// MX), for the DANE inputs of its TLS policy.
	addr *resolve.Addr
}

// rcpt is one recipient and how far it got.
type rcpt struct {
	deliver.Recipient
	dropped bool // disposed of: sent, deferred or bounced
	keep    bool // soft failure at a non-final server: retry with the next
}

// Deliver handles one request and returns the reply for qmgr. It never
// returns StatFinal unless every recipient was reported and, where stock
// does so, marked done in msg.
func (a *Agent) Deliver(ctx context.Context, req *deliver.Request, msg Message) deliver.Reply {
	d := &delivery{a: a, ctx: ctx, req: req, msg: msg}
	for _, r := range req.Recipients {
		d.rcpts = append(d.rcpts, rcpt{Recipient: r})
	}
	switch {
	case a.cfg.Unavailable != "":
		d.final = true
		d.bulkFail(nil, localDSN("4.3.0", "mail transport unavailable: "+a.cfg.Unavailable), true)
	case d.rejectByFlags():
	default:
		d.deliverAll()
	}
	// Nothing may stay undisposed: deliverAll fails leftovers with the
	// last reason, so a leftover here would be a bug, and deferring it
	// keeps the mail.
	for i := range d.rcpts {
		if !d.rcpts[i].dropped {
			d.fail(i, "none", localDSN("4.3.0", "server unavailable or unable to receive mail"))
		}
	}
	reply := deliver.Reply{Status: d.status}
	if d.hopSet {
		reply.HopStatus = d.hop
	}
	return reply
}

// deliverAll is smtp_connect_inet(): each destination of the next-hop
// list (plus smtp_fallback_relay) is resolved, and its addresses are
// tried in order while recipients remain. Recipients still pending at
// the end fail with the last recorded reason, as in smtp_connect().
func (d *delivery) deliverAll() {
	cfg := &d.a.cfg
	d.deliverSites(cfg)
	if !d.pending() {
		return
	}
	d.final = true
	d.bulkFail(nil, d.why, true)
}

func (d *delivery) deliverSites(cfg *Config) {
	if cfg.NoProtocols {
		d.why = localDSN("4.4.4", "all network protocols are disabled")
		return
	}
	sites, primaries := resolve.SplitDestinations(d.req.Nexthop, cfg.FallbackRelay, cfg.LMTP)
	if len(sites) == 0 {
		sites, primaries = []string{d.req.Nexthop}, 1
	}
	service := cfg.DefaultService
	if service == "" {
		service = "smtp"
		if cfg.LMTP {
			service = "lmtp"
		}
	}
	last := -1
	for n := 0; n < len(sites) && d.pending(); n++ {
		last = n
		hop := sites[n]
		finalHop := n == len(sites)-1
		nh, err := resolve.ParseNexthop(hop, service, cfg.LMTP)
		if err != nil {
			// Fatal for stock smtp(8), which makes qmgr defer the
			// request; deferring here keeps the mail just the same.
			d.a.log.Warn(err.Error())
			d.why = localDSN("4.3.0", err.Error())
			if finalHop {
				break
			}
			continue
		}
		if nh.Kind == resolve.Unix {
			// smtp_connect_local: one UNIX-domain server, always final.
			d.tryUnix(hop, nh)
			break
		}
		var res resolve.Result
		if nonASCII(nh.Host) {
			// No IDNA converter yet: wait rather than bounce with
			// "invalid host or domain name".
			res.Err = &resolve.Error{DSN: "4.3.0", Text: "cannot deliver to " + hop +
				": internationalized domain names are not supported by this smtp(8) yet"}
		} else {
			res = d.a.resolver().Resolve(d.ctx, nh)
		}
		if res.Err != nil {
			d.why = localDSN(res.Err.DSN, res.Err.Text)
		}
		if res.FoundSelf || (len(res.Addrs) == 0 && isLoopDSN(d.why.Status)) {
			// This host is an MX for the destination, or the mail
			// loops: no later destinations (smtp_connect_inet).
			finalHop = true
		}
		if len(res.Addrs) > 0 && n == 0 {
			d.cachePolicy(hop, destination{domain: nh.Host})
		}
		d.tryAddrs(hop, nh, res.Addrs, finalHop)
		if finalHop {
			break
		}
	}
	if !d.pending() || d.why.Status == "" || d.why.Status[0] != '5' {
		if d.why.Status == "" {
			d.why = localDSN("4.3.0", "server unavailable or unable to receive mail")
		}
		return
	}
	// Configuration problems are made recoverable rather than bounced.
	switch {
	case last >= primaries:
		d.a.log.Warn("smtp_fallback_relay configuration problem")
		d.why.Status = "4.3.5"
	case cfg.Relayhost != "" && sites[0] == cfg.Relayhost:
		d.a.log.Warn("relayhost configuration problem")
		d.why.Status = "4.3.5"
	case isLoopDSN(d.why.Status) && cfg.BestMXTransport != "":
		// Stock passes the request to best_mx_transport; this agent
		// cannot yet, so the mail waits instead of bouncing.
		d.a.log.Warn("best_mx_transport = " + cfg.BestMXTransport + " is not supported by this smtp(8) yet: deferring mail that loops back to myself")
		d.why.Status = "4.4.6"
	}
}

func nonASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return true
		}
	}
	return false
}

func isLoopDSN(status string) bool { return len(status) == 5 && status[1:] == ".4.6" }

// tryAddrs walks the addresses of one destination with the
// smtp_mx_address_limit and smtp_mx_session_limit rules. finalHop says
// that no destination follows: the last address tried is then the final
// server, where soft failures defer instead of waiting for the next one.
func (d *delivery) tryAddrs(hop string, nh resolve.Nexthop, addrs []resolve.Addr, finalHop bool) {
	if len(addrs) == 0 {
		return
	}
	cfg := &d.a.cfg
	bestPref := addrs[0].Pref
	addrCount, sessCount := 0, 0
	for i := 0; i < len(addrs) && d.pending(); i++ {
		addrCount++
		stop := i == len(addrs)-1 || addrCount == cfg.MXAddressLimit
		d.final = finalHop && stop
		d.sessionUp = func() {
			sessCount++
			if sessCount == cfg.MXSessionLimit {
				stop = true
			}
			d.final = finalHop && stop
		}
		a := addrs[i]
		ip := a.IP.Unmap().String()
		dst := destination{host: a.Host, addr: ip, port: int(nh.Port), domain: nh.Host,
			bestMX: a.Pref == bestPref}
		d.addr = &a // for DANE
		if d.tlsPolicy(&dst, hop) {
			d.try(dst, hop)
		}
		d.sessionUp = nil
		// Recipients kept for the next server become pending again.
		for j := range d.rcpts {
			d.rcpts[j].keep = false
		}
		if stop {
			break
		}
	}
}

// tryUnix is smtp_connect_local(): the LMTP server at a UNIX-domain
// path, relative to the current directory (the queue directory when
// chrooted), shown as $myhostname[path]. It is always the final server.
func (d *delivery) tryUnix(hop string, nh resolve.Nexthop) {
	cfg := &d.a.cfg
	if cfg.FallbackRelay != "" {
		d.a.log.Warn(fmt.Sprintf("ignoring \"lmtp_fallback_relay = %s\" setting for non-TCP connections", cfg.FallbackRelay))
	}
	if len(nh.Path) >= 108 { // sizeof(sun_path)
		d.a.log.Warn("unix-domain name too long: " + nh.Path)
		d.why = localDSN("4.3.5", "Server configuration error")
		return
	}
	d.final = true
	dst := destination{host: cfg.MyHostname, addr: nh.Path, unix: true}
	if d.tlsPolicy(&dst, hop) {
		d.try(dst, hop)
	}
}

// pending reports whether some recipient is still to be delivered.
func (d *delivery) pending() bool {
	for _, r := range d.rcpts {
		if !r.dropped && !r.keep {
			return true
		}
	}
	return false
}

// try runs one session with one destination: a cached connection when
// caching applies and one passes the RSET probe, else a new one.
func (d *delivery) try(dst destination, hop string) {
	var s *session
	// Cached sessions are plaintext ones or tlsproxy ones; activate
	// refuses plaintext ones where TLS is required.
	if d.a.Cache != nil && d.cacheLoad {
		s = d.reuse(dst, hop)
	}
	if s == nil {
		start := d.a.now()
		addrport := net.JoinHostPort(dst.addr, strconv.Itoa(dst.port))
		network := "tcp"
		if dst.unix {
			network, addrport = "unix", dst.addr
		}
		conn, err := d.a.dial(d.ctx, network, addrport)
		if err != nil {
			// smtp_connect_addr: the reason is logged and kept; the
			// recipients stay pending for the next address, or fail
			// with it at the end (smtp_connect).
			reason := fmt.Sprintf("connect to %s[%s]:%d: %s", dst.host, dst.addr, dst.port, connectError(err))
			if dst.unix {
				reason = fmt.Sprintf("connect to %s[%s]: %s", dst.host, dst.addr, connectError(err))
			}
			d.a.log.Info(reason)
			d.why = localDSN("4.4.1", reason)
			return
		}
		s = newSession(d, conn, dst)
		s.nexthop = hop
		if d.a.Cache != nil && d.cacheStore {
			// smtp_session_alloc: cacheable until connect start +
			// smtp_connection_reuse_time_limit.
			s.expire = start.Add(d.a.cfg.Cache.ReuseTimeLimit)
			if s.expire.IsZero() {
				s.expire = start
			}
		}
	}
	t := s.run()
	// learn() replaced the features; the best-MX flag is the
	// destination's (SMTP_FEATURE_BEST_MX).
	if !s.fromCache && dst.bestMX {
		s.features |= smtpwire.FeatureBestMX
	}
	// Unread server output means the stream is not clean enough to
	// hand to the next transaction.
	if s.kept && !s.noCache && s.br.Buffered() == 0 {
		d.save(s)
	} else {
		s.conn.Close()
	}
	if t == nil || !t.throttle {
		// Only the first good session is bound to the next-hop name.
		d.reqNexthop = ""
	}
	// Time stamps and the reuse count belong to one session
	// (smtp_cleanup_session).
	d.req.Stats.ConnSetupDone, d.req.Stats.DeliverDone = zeroTime, zeroTime
	d.req.Stats.ReuseCount = 0
	if s.retryPlain {
		// The opportunistic handshake failed: the same address once
		// more, without TLS (smtp_connect_inet's retry_plain).
		d.final = s.savedFinal
		for j := range d.rcpts {
			d.rcpts[j].keep = false
		}
		dst.policy = tlspolicy.Policy{Level: tlspolicy.LevelNone}
		d.try(dst, hop)
	}
}

// bulkFail is smtp_bulk_fail(): every recipient not yet disposed of in
// this session fails with dsn. throttle marks a site failure: when it
// deferred someone and no transaction completed, dsn becomes the hop
// status, which makes qmgr suspend the destination.
func (d *delivery) bulkFail(s *session, dsn statusclient.DSN, throttle bool) {
	d.why = dsn
	soft := strings.HasPrefix(dsn.Status, "4")
	softBounce := strings.HasPrefix(dsn.Status, "5") && d.a.cfg.SoftBounce
	if (soft || softBounce) && !d.final {
		d.a.log.Info(d.req.QueueID + ": " + dsn.Reason)
		for i := range d.rcpts {
			if !d.rcpts[i].dropped {
				d.rcpts[i].keep = true
			}
		}
		return
	}
	now := d.a.now()
	if !stamped(d.req.Stats.ConnSetupDone) {
		d.req.Stats.ConnSetupDone = now
	}
	d.req.Stats.DeliverDone = now
	relay := "none"
	if s != nil {
		relay = s.namaddrport
	}
	before := d.status
	d.status = 0
	for i := range d.rcpts {
		if d.rcpts[i].dropped || d.rcpts[i].keep {
			continue
		}
		d.fail(i, relay, dsn)
	}
	failed := d.status != 0
	d.status |= before
	if throttle && failed && !d.completed && !d.hopSet {
		d.hopSet = true
		d.hop = deliver.DSN{Status: dsn.Status, DiagType: dsn.DiagType, DiagText: dsn.DiagText,
			MTAType: dsn.MTAType, MTAName: dsn.MTAName, Reason: dsn.Reason}
	}
}

// localDSN is a status found by the agent itself, without a server reply.
func localDSN(status, reason string) statusclient.DSN {
	return statusclient.DSN{Status: status, Reason: reason}
}
