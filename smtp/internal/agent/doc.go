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
// addresses ("[127.0.0.1]:2525") are reached. Connection caching
// through scache(8) works as in stock 3.7.11 for plain sessions
// (cache.go), with labels and property strings that stock smtp
// processes of the same service can share.
//
// # TLS
//
// The in-process TLS client of smtp_proto.c/tls_client.c, on Go's
// crypto/tls (starttls.go, tlshandshake.go, tlsverify.go, tlsproto.go),
// with the policy, matching and log texts of smtp/internal/tlspolicy:
// STARTTLS after EHLO/LHLO (and EHLO again over TLS) or SMTPS with
// smtp_tls_wrappermode; levels none, may, encrypt, fingerprint, verify
// and secure; SNI; client certificates; smtp_tls_loglevel lines. Every
// peer check is ours, after the handshake (InsecureSkipVerify): PKIX
// chains against smtp_tls_CAfile/CApath only (never Go's system roots
// unless tls_append_default_CA), OpenSSL-exact name checks, synthetic
// DANE for fingerprints and trust-anchor files. Failures are stock's:
// 4.7.4 "TLS is required, but was not offered by host ...", STARTTLS
// refused, 4.7.5 "Cannot start TLS: handshake failure" (no QUIT; at
// "may" the same address is retried in plaintext once the mail is older
// than minimal_backoff_time), 4.7.5 "Server certificate not verified"
// (QUIT over TLS), policy errors from the table.
//
// Differences from stock that remain:
//
//   - With smtp_tls_connection_reuse (or connection_reuse=yes in a
//     policy entry) TLS goes through tlsproxy(8) (tlsproxy.go), and the
//     tlsproxy socket is cached with the TLS context, as stock does;
//     in-process TLS sessions are never cached. A cached plaintext
//     session is not used where the policy now requires TLS (stock
//     would use one found by next-hop name).
//   - DANE (dane.go): TLSA lookups through the resolver; no
//     smtp_tls_force_insecure_host_tlsa_lookup, no dnssec_probe.
//   - Go cannot negotiate anonymous (aNULL) suites, DHE/FFDHE, RC4,
//     3DES (left out, as OpenSSL 3.0 lacks them too), SSLv3, or protocol
//     "holes"; grades map to one suite set (tlsproto.go), TLS 1.3 suites
//     are fixed. Go refuses RSA keys under 1024 bits and SHA-1 signed
//     chains, which stock accepts at may/encrypt (a "may" peer then gets
//     the plaintext retry, an "encrypt" peer a handshake failure).
//   - "server-digest" is inferred from the key (Go does not expose it);
//     smtp_tls_scert_verifydepth is not enforced; handshake error texts
//     are Go's after stock's "TLS library problem:" prefix.
package agent
