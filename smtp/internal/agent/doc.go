// Package agent is the delivery logic of smtp(8): one delivery request
// from qmgr(8) in, SMTP sessions with the servers of its next hops, every
// recipient disposed of through the stock status services, and the
// reply for qmgr out.
//
// The rule that shapes everything here is the one that keeps mail from
// being lost: a recipient is marked done in the queue file, and so never
// delivered again, only after the server accepted it (RCPT 2xx and
// end-of-data 2xx) or after its bounce was recorded, and the reply to
// qmgr says "final" only when every recipient's status was recorded.
// Anything short of that defers.
//
// It speaks plain SMTP and LMTP with command pipelining as stock does
// it (pipeline.go), XFORWARD, and the 8BITMIME downgrade
// (smtp/internal/downgrade). Next hops are resolved
// through Agent.Resolver (smtp/internal/resolve: MX and address
// lookups) and their addresses tried in order as smtp_connect_inet()
// does, with smtp_mx_address_limit, smtp_mx_session_limit and
// smtp_fallback_relay; without a Resolver only bracketed literal
// addresses ("[127.0.0.1]:2525") are reached. TLS is deferred
// with an explicit reason rather than attempted halfway. Connection caching through scache(8) works as in
// stock 3.7.11 for plain sessions (cache.go), with labels and property
// strings that stock smtp processes of the same service can share.
package agent
