// Package resolve turns an smtp(8)/lmtp(8) nexthop into an ordered list of
// server addresses, the way Postfix 3.7 does it (smtp_connect.c nexthop
// parsing, smtp_addr.c MX/address lookup, dns_lookup.c error mapping).
//
// Everything that Postfix reads from main.cf is passed in through Config;
// the package keeps no package-level mutable state, so several Resolvers
// with different settings can coexist in one process (and in tests).
//
// Chroot: the smtp(8) process normally runs chrooted into the queue
// directory. The DNS client configuration (servers, timeout, attempts) is
// therefore taken from a *dns.ClientConfig that the caller reads from
// /etc/resolv.conf BEFORE the chroot. The "native" host lookup method
// (smtp_host_lookup=native) uses Go's net.Resolver by default, which reads
// /etc/hosts, /etc/nsswitch.conf and /etc/resolv.conf relative to the
// current root: inside the chroot that is $queue_directory/etc, exactly the
// files stock Postfix's getaddrinfo() sees after chroot. Callers that want
// different behaviour inject Config.Native.
package resolve
