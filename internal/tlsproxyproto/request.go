package tlsproxyproto

import (
	"fmt"

	"github.com/postfix-go/postfix-go/master-compat/attr"
)

// TLSProxyProtocol is the name tlsproxy announces (MAIL_ATTR_PROTO_TLSPROXY).
const TLSProxyProtocol = "tlsproxy_protocol"

// Request flags (TLS_PROXY_FLAG_*, src/tls/tls_proxy.h).
const (
	FlagRoleServer  = 1 << 0 // TLS_PROXY_FLAG_ROLE_SERVER: tlsproxy accepts TLS
	FlagRoleClient  = 1 << 1 // TLS_PROXY_FLAG_ROLE_CLIENT: tlsproxy connects TLS
	FlagSendContext = 1 << 2 // TLS_PROXY_FLAG_SEND_CONTEXT: send the TLS context back
)

// Role is the role tlsproxy is asked to play, decided by the role bits.
type Role int

const (
	// RoleBogus: neither or both role bits are set; stock tlsproxy warns
	// "bad request flags: 0x%x" and answers status 0.
	RoleBogus Role = iota
	RoleServer
	RoleClient
)

// Request is list 1 of a tlsproxy request, which both roles send.
type Request struct {
	// RemoteEndpoint is remote_endpoint, "[addr]:port" of the remote
	// peer; tlsproxy logs it and uses it as the server-role namaddr.
	RemoteEndpoint string
	// Flags is flags, a mask of the Flag* constants.
	Flags int
	// HandshakeTimeout is the first timeout attribute, in seconds.
	HandshakeTimeout int
	// SessionTimeout is the second timeout attribute (same name on the
	// wire), in seconds. Stock tlsproxy adds 10 s to it when it arms its
	// own session timer.
	SessionTimeout int
	// ServerID is serverid: the caller's service name (smtp), or "smtpd"
	// from postscreen.
	ServerID string
}

// Role reports the role the flags ask for. Only exactly one role bit is a
// valid request, as in tlsp_get_request_event.
func (r *Request) Role() Role {
	switch r.Flags & (FlagRoleClient | FlagRoleServer) {
	case FlagRoleClient:
		return RoleClient
	case FlagRoleServer:
		return RoleServer
	}
	return RoleBogus
}

// Direction is the word tlsproxy logs after CONNECT: "from" for the server
// role, "to" for the client role, "(bogus_direction)" otherwise. Stock tests
// the server bit first, so flags with both bits log "from".
func (r *Request) Direction() string {
	switch {
	case r.Flags&FlagRoleServer != 0:
		return "from"
	case r.Flags&FlagRoleClient != 0:
		return "to"
	}
	return "(bogus_direction)"
}

// ClientRequest is list 1 as smtp(8) fills it when it asks for the client
// role (tls_proxy_open called from smtp_start_tls with connection reuse):
// FlagRoleClient|FlagSendContext, the STARTTLS timeout as the handshake
// timeout, the DATA-done timeout as the session timeout, and the caller's
// service name as serverid. List 2 (ClientSettings) follows in the same
// write.
func ClientRequest(remoteEndpoint string, handshakeTimeout, sessionTimeout int, serverID string) Request {
	return Request{
		RemoteEndpoint:   remoteEndpoint,
		Flags:            FlagRoleClient | FlagSendContext,
		HandshakeTimeout: handshakeTimeout,
		SessionTimeout:   sessionTimeout,
		ServerID:         serverID,
	}
}

// DecodeRequest reads list 1, strictly and with its terminator. A clean end
// of input before the first byte gives an error wrapping io.EOF (the client
// hung up without a request). Stock tlsproxy logs any failure as
// "tlsp_get_request_event: receive request attributes: %m" and drops the
// session without a reply.
func DecodeRequest(sc *attr.Scanner) (Request, error) {
	var r Request
	err := scan(sc, false, attr.Strict,
		attr.Str("remote_endpoint", &r.RemoteEndpoint),
		attr.Int("flags", &r.Flags),
		attr.Int("timeout", &r.HandshakeTimeout),
		attr.Int("timeout", &r.SessionTimeout),
		attr.Str("serverid", &r.ServerID))
	if err != nil {
		return Request{}, fmt.Errorf("receive request attributes: %w", err)
	}
	return r, nil
}

// Append appends list 1 with its terminator, as tls_proxy_open sends it.
func (r *Request) Append(dst []byte) []byte {
	dst = attr.AppendStr(dst, "remote_endpoint", r.RemoteEndpoint)
	dst = attr.AppendInt(dst, "flags", r.Flags)
	dst = attr.AppendInt(dst, "timeout", r.HandshakeTimeout)
	dst = attr.AppendInt(dst, "timeout", r.SessionTimeout)
	dst = attr.AppendStr(dst, "serverid", r.ServerID)
	return attr.AppendEnd(dst)
}

// DecodeStatus reads tlsproxy's one-attribute status list. Any value other
// than 0 means "send the descriptor"; the stock client treats a failed scan
// like status 0 and logs `<service> service role "<role>" is not
// available`.
func DecodeStatus(sc *attr.Scanner) (int, error) {
	var status int
	if err := scan(sc, false, attr.Strict, attr.Int("status", &status)); err != nil {
		return 0, fmt.Errorf("receive status: %w", err)
	}
	return status, nil
}

// AppendStatus appends the status list: 1 when the role is available and
// the descriptor may follow, 0 when not.
func AppendStatus(dst []byte, status int) []byte {
	return attr.AppendEnd(attr.AppendInt(dst, "status", status))
}
