// Package proxymap is a read-only client of Postfix 3.7.11's proxymap(8)
// service (src/global/dict_proxy.c over clnt_stream), for Go daemons that
// need a lookup table of a type they cannot read themselves (hash:,
// lmdb:, cdb:, ldap:, ...).
//
// # Protocol
//
// The server announces itself with "protocol=proxymap_protocol" on every
// new connection. Every request is self-contained, naming the table and
// the dict flags, because the server may be restarted between requests:
//
//	open:   request=open   table=TYPE:NAME flags=<instance flags>
//	        reply: status, flags (the server table's dict flags)
//	lookup: request=lookup table=TYPE:NAME flags=<request flags> key=KEY
//	        reply: status, value
//
// Status codes (dict_proxy.h PROXY_STAT_*): 0 OK, 1 NOKEY, 2 RETRY,
// 3 BAD, 4 DENY (the table is not approved for proxy read access: it
// must be listed as "proxy:TYPE:NAME" in proxy_read_maps), 5 CONFIG.
//
// # Tables (Table)
//
// A Table is what stock's dict_proxy_open returns for one "TYPE:NAME"
// and set of dict flags, including the UTF-8 layer that dict_open3 puts
// in front of it when smtputf8_enable is on and the flags ask for it
// (dict_utf8.c): the key is checked for valid UTF-8 and, when the server
// table is fixed-case (DICT_FLAG_FIXED) and DICT_FLAG_FOLD_FIX was asked
// for, case-folded by the client, and the fold flags are then left out of
// the lookup request. Without that layer the fold flags go to the server,
// which folds. The open request is sent lazily, before the first lookup
// (stock sends it from dict_proxy_open, at process start-up).
//
// # Transport (Client)
//
// One persistent connection to private/$proxymap_service_name, opened on
// the first request and shared by all tables, serialized. Before each
// request it is dropped if idle for ipc_idle (5 s), older than ipc_ttl
// (1000 s) or if the server hung up (clnt_stream's readable check).
// Reads and writes are bounded by ipc_timeout.
//
// Differences from stock, which never gives up: stock dict_proxy retries
// a failed request forever with a 1 s pause, mail_connect_wait retries a
// failed connect every 10 s and exits after the 11th, and a DENY or BAD
// status is fatal. Here a request gets Config.Tries attempts (default 2,
// 1 s apart); then the Client reports ErrUnavailable and, for
// Config.Recheck (10 s), fails further requests at once without I/O or
// warnings. DENY and BAD are returned as errors carrying stock's fatal
// text, so that the caller can defer the mail instead of exiting.
// Warnings use stock's texts: "connect #1 to subsystem private/proxymap:
// %m", "dict_proxy_lookup: service proxymap: %m" (only for the second
// and later try, or for an errno other than EPIPE and ENOENT),
// "dict_proxy_open: service proxymap: %m" and "proxymap lookup failed
// for table ... unexpected reply status N".
package proxymap
