package maillog

import (
	"errors"
	"net"
	"strings"
	"syscall"
)

// logSocket is a connected AF_UNIX socket to a log collector. It is
// connected before chroot and kept, because afterwards the path may not
// resolve any more. Errors are never reported: Postfix daemons drop records
// they cannot deliver rather than fail.
type logSocket struct {
	paths  []string // tried in order when (re)connecting
	redial bool     // reconnect and resend once after a failed send (glibc)
	conn   *net.UnixConn
	stream bool // SOCK_STREAM fallback: glibc then ends each record with NUL
}

// newSyslogSocket prepares the /dev/log client. The relative form of an
// absolute path is a second candidate for reconnects inside the chroot jail,
// where only $queue_directory/dev/log can exist.
func newSyslogSocket(path string) *logSocket {
	s := &logSocket{paths: []string{path}, redial: true}
	if rel := strings.TrimLeft(path, "/"); rel != path && rel != "" {
		s.paths = append(s.paths, rel)
	}
	return s
}

// newPostlogSocket prepares the postlogd client. Like Postfix's msg_logger it
// retries the connect on every record while unconnected but never
// reconnects after a send error.
func newPostlogSocket(path string) *logSocket {
	return &logSocket{paths: []string{path}}
}

// connect opens the connection if there is none; failure leaves it closed.
func (s *logSocket) connect() {
	if s.conn != nil {
		return
	}
	for _, p := range s.paths {
		c, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: p, Net: "unixgram"})
		if err == nil {
			s.conn, s.stream = c, false
			return
		}
		// glibc falls back to a stream socket when the listener is one.
		if s.redial && errors.Is(err, syscall.EPROTOTYPE) {
			if c, err = net.DialUnix("unix", nil, &net.UnixAddr{Name: p, Net: "unix"}); err == nil {
				s.conn, s.stream = c, true
				return
			}
		}
	}
}

// send delivers one record, connecting first if needed. A syslog socket is
// reopened and the record resent once after a failed send, as glibc does,
// because the collector may have re-created /dev/log.
func (s *logSocket) send(rec []byte) {
	s.connect()
	if s.conn == nil || s.write(rec) == nil || !s.redial {
		return
	}
	s.close()
	s.connect()
	if s.conn != nil && s.write(rec) != nil {
		s.close() // glibc: try a fresh connect with the next record
	}
}

func (s *logSocket) write(rec []byte) error {
	if s.stream {
		rec = append(rec[:len(rec):len(rec)], 0)
	}
	_, err := s.conn.Write(rec)
	return err
}

func (s *logSocket) close() {
	if s.conn != nil {
		_ = s.conn.Close()
		s.conn = nil
	}
}
