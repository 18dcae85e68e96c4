// Package proto holds the wire structures of Postfix 3.7.11's tlsproxy(8)
// protocol: plain Go structs, decoders that read them from
// an attr.Scanner with the stock readers' order and count rules, and
// encoders that append the exact attr0 bytes the stock writers produce.
// It does no I/O of its own and passes no descriptors; it is the layer a
// tlsproxy daemon, and the TLS code of smtp(8), build on.
//
// # Encoding rules that matter here
//
// Every list is attr0 (name NUL value NUL … NUL). Integers travel as
// unsigned 32-bit decimals (-1 is "4294967295"); DATA values as padded
// base64. A nested structure is written inline without a terminator of its
// own, so a structure's decoder reads exactly its attributes and leaves
// the enclosing list open (attr.More); the list's owner reads the
// terminator. The stock readers are strict: every attribute in order, no
// extras, exact counts. Version skew is fatal on these sockets: 3.7.0–3.7.5
// send 18 TLS_CLIENT_PARAMS attributes, 3.7.6–3.7.11 send 20 (this
// package), 3.8+ differ again.
//
// # tlsproxy, client role (smtp/lmtp asks tlsproxy to be the TLS client)
//
//  1. smtp has a TCP connection to the remote server and, unless in
//     wrapper mode, has finished EHLO, STARTTLS and the 220 reply in
//     plaintext.
//  2. smtp connects to private/tlsproxy; tlsproxy sends the announcement
//     (AppendAnnounce with TLSProxyProtocol).
//  3. smtp sends list 1 (Request: flags FlagRoleClient|FlagSendContext, the
//     handshake and session timeouts as two attributes both named
//     "timeout", its service name as serverid) and, in the same write,
//     list 2 (ClientSettings: ClientParams, ClientInitProps,
//     ClientStartProps, then the terminator).
//  4. tlsproxy answers with a status list (AppendStatus): 1 when it could
//     set up a TLS client context for the init props, 0 otherwise. On 0 no
//     descriptor follows; tlsproxy waits for the client to hang up.
//  5. Descriptor passing point: smtp sends the TCP socket with one sendmsg
//     carrying the single data byte 0x00 and SCM_RIGHTS, then closes its
//     copy. tlsproxy must receive it with recvmsg, never through a
//     buffered reader that may have swallowed the byte (see
//     master-compat/fdpass). The status round trip exists only so that
//     this byte is never read together with the lists.
//  6. tlsproxy runs the TLS handshake on the socket (handshake timeout).
//     On failure it simply closes the plaintext socket: smtp sees EOF
//     where it expected the context (DecodeContext wraps io.EOF).
//  7. On success, and because FlagSendContext was set, tlsproxy sends the
//     Context list (22 attributes) before any decrypted byte. smtp decodes
//     it and must treat everything after it as application data.
//  8. From then on the unix socket carries raw plaintext both ways, with
//     no framing. EOF from smtp (or from scache, which may hold the socket
//     between deliveries) makes tlsproxy send close_notify and close.
//
// smtp may later hand that unix socket to scache; the endpoint property it
// stores then ends with the Context in the plain encoding
// (Context.AppendPlain, ContextFromPlain).
//
// # tlsproxy, server role (postscreen asks tlsproxy to be the TLS server)
//
// Steps 2–5 as above, except: list 1 has flags FlagRoleServer (without
// FlagSendContext from postscreen) and serverid "smtpd", and there is no
// list 2 in 3.7 — tlsproxy takes all server settings from its own
// tlsproxy_tls_* parameters, so it must not wait for more input before
// replying with the status. ServerInitProps and ServerStartProps exist in
// the 3.7 source but are never sent; they are here for completeness. The
// descriptor is the remote SMTP client's socket, passed after the client
// sent STARTTLS; postscreen writes "220 2.0.0 Ready to start TLS" to it
// itself right after passing it, then talks plaintext to tlsproxy.
//
// # tlsmgr
//
// The tlsmgr(8) protocol, the error kinds and the announcement helpers
// live in internal/tlsmgrproto so that smtp's tlsmgr client
// (master-compat/tlsmgrclient) can use them too; shared.go re-exports
// what this package's API promised.
//
// # Errors
//
// Decoders pass stock's warning texts ("missing attribute …", "unexpected
// attribute …", "invalid size … while reading ARGV", …) to Scanner.Warn
// as they happen and return errors wrapping ErrShort, ErrRange,
// ErrMismatch or ErrUnknownRequest, all of which also match
// attr.ErrMalformed. A clean end of input before a list wraps io.EOF; a
// list cut short wraps io.ErrUnexpectedEOF instead. The daemon logs the
// stock summary line, e.g. "tlsp_get_request_event: receive request
// attributes: …".
package tlsproxyproto
