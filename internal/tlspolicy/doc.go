// Package tlspolicy is the pure decision logic of the smtp(8)/lmtp(8) TLS
// client of Postfix 3.7.11, kept apart from crypto/tls so that every rule
// can be tested without a network: which security level applies to a
// destination, which names, fingerprints or TLSA records authenticate the
// peer, and what stock logs about it.
//
// # What is implemented
//
//   - Levels (level.go): the stock codes 0..8 (none, may, encrypt,
//     fingerprint, halfdane, dane, dane-only, verify, secure) with the
//     tls.h predicates; the global level from smtp_tls_security_level or
//     the legacy smtp_use_tls / smtp_enforce_tls / smtp_tls_enforce_peername;
//     smtp_tls_dane_insecure_mx_policy.
//   - Policy entries (entry.go): the smtp_tls_policy_maps right-hand side
//     with every 3.7 attribute (ciphers, protocols, exclude, match, tafile,
//     servername, connection_reuse), the stock parse order and warnings.
//   - Resolution (resolve.go, daneinit.go): lookup keys (exact, then parent
//     domains in leading-dot form), legacy smtp_tls_per_site precedence,
//     DANE preconditions and downgrades (dane -> may/encrypt/halfdane,
//     dane-only -> deferral), main.cf defaults for protocols, SNI, cipher
//     grade, exclusions, match lists, fingerprints and trust-anchor files.
//     DNS facts (DNSSEC status, TLSA records) are caller-supplied inputs.
//   - Name matching (names.go, wildcard.go): OpenSSL X509_check_host with
//     X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS, as Postfix registers names via
//     SSL_add1_host, including the "nexthop"/"dot-nexthop"/"hostname"
//     keywords, ".domain" references, CN only without DNS SANs, and the
//     OpenSSL 3.0 IP-literal quirk (an IP entry becomes an additional
//     required IP check: "num=64:IP address mismatch"). Verified against
//     OpenSSL 3.0.19 itself (testdata/names).
//   - Fingerprints (fingerprint.go): certificate and SubjectPublicKeyInfo
//     digests, OpenSSL digest names, the colon hex form, list parsing.
//   - DANE (tlsa.go, dane.go): record filtering (usages 2/3 only, type 255
//     reserved), OpenSSL's usability rules, tls_dane_digests and digest
//     agility, DANE-EE (no validity or, at DANE levels, name checks) and
//     DANE-TA (issuer in the chain, a "2 0 0" anchor not sent by the peer,
//     or a "2 1 0" bare key), with OpenSSL's error precedence.
//   - Verification errors (verify.go): X509_V_ERR codes and texts, the
//     lowest-depth-first error choice, tls_log_verify_error wording, and a
//     mapping from crypto/x509 Verify errors.
//   - Log and DSN texts (logtext.go, ciphers.go): the summary line,
//     OpenSSL names for Go cipher suites, protocol versions, key exchange
//     and signature naming.
//
// # What Go's crypto/tls cannot do (for the TLS client built on this)
//
//   - Anonymous (aNULL) suites: stock may/encrypt negotiate e.g.
//     AECDH-AES256-SHA with servers that offer it; Go cannot, so such
//     sessions are always certificate-based (never "Anonymous").
//   - eNULL, FFDHE/DHE suites and groups, X448, DSA client keys, Ed448.
//   - OpenSSL cipher strings: grades and exclusions (tls_*_cipherlist,
//     exclude=) must be mapped to a suite set; Go ignores suite order and
//     TLS 1.3 suites are not configurable.
//   - Protocol "holes" (e.g. !TLSv1.1 with 1.0 and 1.2 allowed): Go has
//     only MinVersion/MaxVersion; SSLv2/SSLv3 are never available.
//   - OpenSSL security level 0: Go rejects RSA keys under 1024 bits and
//     SHA-1 certificate signatures in chains, which stock accepts at
//     may/encrypt.
//   - The peer's TLS 1.3 signature digest is not exposed; InferDigest
//     guesses it for "server-digest".
//   - Chain building and purpose checks are crypto/x509's for PKIX trust
//     (GoVerifyErrorCode maps its errors); the DANE-TA path here checks CA
//     flags, signatures and validity, but not name constraints, path
//     length or key usage of issuers.
//   - IDNA: ToASCII is Punycode with lower-casing; full UTS 46 mapping and
//     normalisation (midna_domain_to_ascii) needs tables the standard
//     library lacks.
package tlspolicy
