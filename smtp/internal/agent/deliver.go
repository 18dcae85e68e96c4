package agent

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"strings"

	"github.com/postfix-go/postfix-go/master-compat/statusclient"
	"github.com/postfix-go/postfix-go/smtp/internal/deliver"
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
	case a.cfg.LMTP:
		d.final = true
		d.bulkFail(nil, localDSN("4.3.0", "mail transport unavailable: LMTP delivery is not implemented by this lmtp(8)"), true)
	default:
		d.deliverAll()
	}
	// Nothing may stay undisposed: stock defers leftovers with the last
	// reason; this slice always ends with a final server, so a
	// leftover would be a bug, and deferring it keeps the mail.
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

// deliverAll tries each element of the next-hop list in turn while
// recipients remain.
func (d *delivery) deliverAll() {
	hops := strings.FieldsFunc(d.req.Nexthop, func(r rune) bool {
		return r == ',' || r == ' ' || r == '\t' || r == '\r' || r == '\n'
	})
	if len(hops) == 0 {
		hops = []string{d.req.Nexthop}
	}
	for n, hop := range hops {
		if !d.pending() {
			return
		}
		d.final = n == len(hops)-1
		dst, err := parseNexthop(hop)
		if err != nil {
			d.bulkFail(nil, localDSN("4.3.0", err.Error()), true)
		} else {
			if n == 0 {
				d.cachePolicy(hop, dst)
			}
			d.try(dst, hop)
		}
		// Recipients kept for the next server become pending again.
		for i := range d.rcpts {
			d.rcpts[i].keep = false
		}
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
	if d.a.Cache != nil && d.cacheLoad {
		s = d.reuse(dst, hop)
	}
	if s == nil {
		start := d.a.now()
		addrport := net.JoinHostPort(dst.addr, strconv.Itoa(dst.port))
		conn, err := d.a.dial(d.ctx, addrport)
		if err != nil {
			reason := fmt.Sprintf("connect to %s[%s]:%d: %s", dst.host, dst.addr, dst.port, connectError(err))
			d.a.log.Info(reason)
			d.bulkFail(nil, localDSN("4.4.1", reason), true)
			return
		}
		s = newSession(d, conn, dst)
		s.nexthop = hop
		s.tlsLevel = d.a.cfg.Cache.TLSLevel
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
	// learn() replaced the features; literal next-hops are best MX.
	if !s.fromCache {
		s.features |= smtpwire.FeatureBestMX
	}
	if s.kept && !s.noCache {
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
}

// bulkFail is smtp_bulk_fail(): every recipient not yet disposed of in
// this session fails with dsn. throttle marks a site failure: when it
// deferred someone and no transaction completed, dsn becomes the hop
// status, which makes qmgr suspend the destination.
func (d *delivery) bulkFail(s *session, dsn statusclient.DSN, throttle bool) {
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
