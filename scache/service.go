package main

import (
	"net"

	"github.com/postfix-go/postfix-go/master-compat/server"
	scachesvc "github.com/postfix-go/postfix-go/scache/internal/service"
)

// service adapts the protocol handler to the multi-client server model.
type service struct {
	daemon *daemon
}

func (s *service) Accept(c net.Conn) (server.Session, error) {
	uc, ok := c.(*net.UnixConn)
	if !ok {
		// scache is a unix-domain service: descriptors cannot travel
		// over anything else.
		c.Close()
		s.daemon.rt.Log.Warnf("connection from a non-unix socket refused")
		return nil, net.ErrClosed
	}
	conn, err := scachesvc.New(uc, scachesvc.StreamName(s.daemon.rt.Args.ServiceName), s.daemon.store, s.daemon.rt.Log, s.daemon.rt.Limits.IPCTimeout)
	if err != nil {
		return nil, err
	}
	if err := conn.Announce(); err != nil {
		return nil, err
	}
	return &session{conn: conn, uc: uc, daemon: s.daemon}, nil
}

type session struct {
	conn   *scachesvc.Conn
	uc     *net.UnixConn
	daemon *daemon
}

func (s *session) Wait() error { return s.conn.WaitRequest() }

func (s *session) Serve() error {
	// Like stock, reject master.cf arguments only once there is work.
	if rest := s.daemon.rt.Args.Rest; len(rest) > 0 {
		s.daemon.rt.Log.Fatalf("unexpected command-line argument: %s", rest[0])
	}
	s.daemon.requests.Add(1)
	return s.conn.Serve()
}

func (s *session) Close() error { return s.uc.Close() }
