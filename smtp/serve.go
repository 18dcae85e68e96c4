package main

import (
	"context"
	"errors"
	"net"
	"time"

	"github.com/postfix-go/postfix-go/master-compat/server"
	"github.com/postfix-go/postfix-go/master-compat/statusclient"
	"github.com/postfix-go/postfix-go/master-compat/tlsmgrclient"
	"github.com/postfix-go/postfix-go/scache/client"
	"github.com/postfix-go/postfix-go/smtp/internal/agent"
	"github.com/postfix-go/postfix-go/smtp/internal/deliver"
	"github.com/postfix-go/postfix-go/smtp/internal/queuefile"
)

// service serves qmgr's connections, one at a time.
type service struct {
	rt     *server.Runtime
	agent  *agent.Agent
	layout queuefile.Layout
}

func (d *daemon) postInit(rt *server.Runtime) (any, error) {
	gen := rt.Generic
	prefix := "smtp_"
	if d.cfg.LMTP {
		prefix = "lmtp_"
	}
	warnUnsupported(rt.Config, prefix, rt.Args.ProcessName, rt.Log.Warn)
	warnUnread(rt.Config, prefix, rt.Args.ProcessName, rt.Log.Warn)
	if d.cfg.Unavailable != "" {
		// A policy table this agent cannot read may require TLS for
		// any destination: never guess, defer everything.
		rt.Log.Warnf("%s", d.cfg.Unavailable+": deferring all mail")
	}
	status := statusclient.New(statusclient.Config{
		BounceService: gen.BounceServiceName,
		DeferService:  gen.DeferServiceName,
		TraceService:  gen.TraceServiceName,
		VerifyService: gen.AddressVerifyServiceName,
		FlushService:  gen.FlushServiceName,
		Timeout:       gen.IPCTimeout,
		Warn:          rt.Log.Warn,
	})
	d.initSessionCache(rt)
	a := agent.New(d.cfg, status, rt.Log)
	a.Resolver = d.newResolver(rt)
	if d.cfg.Cache.Enabled() && d.cacheOff == "" {
		// Like stock post_init: one lazy client per process.
		a.Cache = client.New("private/"+d.cacheService, client.Options{
			Timeout:     d.cacheTimeout,
			IdleTimeout: gen.IPCIdle,
			TTL:         gen.IPCTTL,
			Warn:        rt.Log.Warn,
		})
	}
	return &service{
		rt:    rt,
		agent: a,
		// The process works inside queue_directory (chroot or chdir),
		// so queue file paths are relative, as stock prints them.
		layout: queuefile.NewLayout("", gen.HashQueueNames, gen.HashQueueDepth),
	}, nil
}

// Serve handles one qmgr connection: announce, read the request, open
// and lock the queue file, deliver, reply, and hold the lock until qmgr
// has closed the connection.
func (s *service) Serve(conn net.Conn) {
	log, ipc := s.rt.Log, s.rt.Limits.IPCTimeout
	setDeadline(conn.SetWriteDeadline, ipc)
	if err := deliver.Announce(conn); err != nil {
		return
	}
	sc := deliver.NewScanner(conn, s.rt.Args.ServiceName, log.Warn)
	// No time limit for the request's first byte, as in stock.
	conn.SetReadDeadline(time.Time{})
	if _, err := sc.Reader().Peek(1); err != nil {
		return
	}
	setDeadline(conn.SetReadDeadline, ipc)
	dec := deliver.Decoder{QueueFileOK: s.queueFileOK}
	req, err := dec.Read(sc)
	if errors.Is(err, deliver.ErrNoRequest) {
		return
	}
	var reply deliver.Reply
	if err != nil {
		reply.Status = deliver.StatDefer
		s.finish(conn, sc.Buffered(), reply, nil)
		return
	}
	f, err := queuefile.Open(s.layout, req.QueueName, req.QueueID)
	if err != nil {
		s.logQueueError(err)
		reply.Status = deliver.StatDefer
		s.finish(conn, sc.Buffered(), reply, nil)
		return
	}
	reply = s.agent.Deliver(context.Background(), req, f)
	s.finish(conn, sc.Buffered(), reply, f)
}

// finish sends the reply, waits for qmgr to close (so that the queue
// file lock outlives qmgr's decision), then releases the file.
func (s *service) finish(conn net.Conn, buffered int, reply deliver.Reply, f *queuefile.File) {
	ipc := s.rt.Limits.IPCTimeout
	setDeadline(conn.SetWriteDeadline, ipc)
	if err := deliver.WriteReply(conn, reply); err == nil && buffered == 0 {
		deliver.AwaitClose(conn, ipc)
	}
	if f != nil {
		f.Close()
	}
}

// queueFileOK is mail_open_ok() with stock's logging.
func (s *service) queueFileOK(queueName, queueID string) error {
	warning, err := s.layout.OpenOK(queueName, queueID)
	if warning != "" {
		s.rt.Log.Warn(warning)
	}
	if err != nil {
		s.logQueueError(err)
	}
	return err
}

// logQueueError logs a queue file error at stock's severity. Fatal and
// Panic end the process, which is stock's way of backing off: qmgr sees
// the connection drop and defers the message.
func (s *service) logQueueError(err error) {
	var qe *queuefile.Error
	if !errors.As(err, &qe) {
		s.rt.Log.Warn(err.Error())
		return
	}
	switch qe.Severity {
	case queuefile.Silent:
	case queuefile.Warning:
		s.rt.Log.Warn(qe.Text)
	case queuefile.Fatal:
		s.rt.Log.Fatal(qe.Text)
	default:
		s.rt.Log.Panic(qe.Text)
	}
}

func setDeadline(set func(time.Time) error, d time.Duration) {
	if d > 0 {
		set(time.Now().Add(d))
	} else {
		set(time.Time{})
	}
}

// initSessionCache sets up the tlsmgr(8) session cache as stock's
// tls_client_init does, with one lazy tlsmgr client per process: only
// when smtp_tls_session_cache_database (lmtp_...) is set, and then only
// if tlsmgr's policy, asked once on first use, allows caching.
func (d *daemon) initSessionCache(rt *server.Runtime) {
	t, tc := &d.tlsParams, d.cfg.TLS
	if !t.enabled || tc == nil || tc.EngineDown || tc.Policy == nil || t.cacheDB == "" {
		return
	}
	cacheType := tlsmgrclient.CacheSMTP
	if d.cfg.LMTP {
		cacheType = tlsmgrclient.CacheLMTP
	}
	c := tlsmgrclient.New(tlsmgrclient.Config{
		Service:   t.mgrService,
		Timeout:   rt.Generic.IPCTimeout,
		IdleLimit: rt.Generic.IPCIdle,
		TTL:       rt.Generic.IPCTTL,
		Warn:      rt.Log.Warn,
	})
	tc.Sessions = tlsmgrclient.NewSessionCache(c, cacheType)
}
