// Package tlsmgrclient is the client side of Postfix 3.7.11's tlsmgr(8)
// protocol (src/tls/tls_mgr.c over attr_clnt/auto_clnt), for the Go
// smtp(8), lmtp(8) and tlsproxy(8): PRNG seed, cache policy, session cache
// lookup/update/delete for the "smtp", "lmtp" and "smtpd" caches, and
// session ticket keys — plus adapters that let crypto/tls use them.
//
// # Transport (Client)
//
// One persistent connection to private/$tlsmgr_service_name, opened on
// the first request (lazy connect) and checked against the
// "tlsmgr_protocol" announcement. Requests are serialized. Before each
// request a connection is dropped without a failed try if it outlived
// ipc_idle (5 s) or ipc_ttl (1000 s) or if the server hung up: stock
// closes it from its event loop in those cases. Each request gets stock
// attr_clnt's two tries with a 1 s pause and a reconnect in between, each
// read and write bounded by ipc_timeout (3600 s). Warnings carry the
// stock texts: "connect to private/tlsmgr: %m" for every failed connect,
// "problem talking to server private/tlsmgr: %m" after the last try, and
// after an earlier one only for an errno other than EPIPE, ENOENT and
// ECONNRESET.
//
// # When tlsmgr is unavailable
//
// Caching is an optimisation, and stock never fails a TLS session because
// tlsmgr is down (tls_client_init treats a failed policy request as "no
// cache"; lookups, updates and deletes fail silently; servers issue no
// tickets). After a request has failed its tries the Client is marked
// unavailable: it warned once, and for Config.Recheck every further call
// fails at once with ErrUnavailable, without I/O and without warnings,
// so a delivery never pays the 1 s retry pause per cache operation. The
// first call after that period makes a single quiet try; success ends the
// outage. Callers treat every error as "no cache" and go on.
//
// # Session cache (SessionCache)
//
// SessionCache.For returns a tls.ClientSessionCache that stores Go
// session state in the tlsmgr cache. Entries live in a namespace stock
// never uses: every cache id ends in a field "&go1:<key>", while stock
// client ids end in "&" plus an uppercase hex digest (tls_serverid_digest
// appends hexcodes "0123456789ABCDEF" only) and stock server ids end in
// "&l=<OpenSSL version number>" (tls_server.c GEN_CACHE_ID). So neither a
// stock process nor this package ever looks up the other's entry. The
// stored blob starts with the tag "go1:tls\x00"; should a stock process
// read one anyway, d2i_SSL_SESSION refuses it at the first byte (0x67
// where DER SEQUENCE needs 0x30), tls_session_activate logs the OpenSSL
// error and returns no session, and the client does a full handshake.
// tlsmgr itself treats values as opaque (it wraps them in a timestamped
// hex record and expires them after the cache timeout).
//
// # Session tickets (Tickets)
//
// Tickets hands a Go TLS server keys derived from tlsmgr's ticket keys,
// so that all Go servers of an instance accept each other's tickets; see
// tickets.go for why OpenSSL's tickets cannot be shared.
package tlsmgrclient
