// Package tlsmgrproto holds the wire structures of Postfix 3.7.11's
// tlsmgr(8) protocol (requests, replies, the ticket key layout) and the
// attr0 reading rules of the stock TLS readers, which the tlsproxy(8)
// protocol package (internal/tlsproxyproto) shares. It does no I/O of its
// own: master-compat/tlsmgrclient is the client, a tlsmgr replacement
// would be the server. It lives outside tlsproxy/ because Go's internal
// rule would otherwise hide it from the client.
//
// # Protocol (smtp, smtpd and tlsproxy are tlsmgr's clients)
//
// The client connects to private/tlsmgr, reads the announcement
// (Protocol) and then sends requests one at a time on the same
// connection, each one list starting with request=<name> (MgrRequest);
// each gets one reply list whose shape depends on the request (MgrReply).
// No descriptors are passed. seed returns random bytes; policy says
// whether a session cache is configured for a cache type and its timeout;
// lookup, update and delete manage cached client or server sessions by
// cache id; tktkey returns a session ticket key (TicketKey) — the current
// one for an empty key name, else the one with that 16-byte name. Status
// values are MgrStatOK, MgrStatErr (not found) and MgrStatFail. The stock
// client reads replies leniently (unknown attributes skipped); the stock
// server answers an unknown request name with nothing and a list without
// a request name with a bare FAIL status. The master's wake-up trigger
// ("W" NUL, told apart by tlsmgr from requests by its size of at most two
// bytes) is not attr0 and is not handled here.
//
// # Errors
//
// Decoders pass stock's warning texts to Scanner.Warn and return errors
// wrapping ErrShort, ErrRange, ErrMismatch or ErrUnknownRequest, all of
// which also match attr.ErrMalformed. A clean end of input before a list
// wraps io.EOF; a list cut short wraps io.ErrUnexpectedEOF instead.
package tlsmgrproto
