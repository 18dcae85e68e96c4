package agent

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"syscall"
	"time"
)

var zeroTime time.Time

// destination is one literal next hop.
type destination struct {
	host string // as shown in host[addr]: the literal address itself
	addr string
	port int
	// domain is the bare domain as written (no [], no :port), matched
	// against smtp_connection_cache_destinations.
	domain string
}

// parseNexthop accepts what this slice can reach without DNS: a
// bracketed address "[192.0.2.1]" or "[192.0.2.1]:2525" (what qmgr
// sends for relayhost = [192.0.2.1]:2525), optionally with the "inet:"
// prefix, or a bare address. Anything else would need an MX or address
// lookup, which is not implemented yet; the error text becomes the
// deferral reason.
func parseNexthop(hop string) (destination, error) {
	h := strings.TrimPrefix(hop, "inet:")
	port := "smtp"
	host := h
	if strings.HasPrefix(h, "[") {
		end := strings.IndexByte(h, ']')
		if end < 0 {
			return destination{}, fmt.Errorf("malformed next-hop destination %s", hop)
		}
		host = h[1:end]
		rest := h[end+1:]
		if rest != "" {
			if rest[0] != ':' || len(rest) == 1 {
				return destination{}, fmt.Errorf("malformed next-hop destination %s", hop)
			}
			port = rest[1:]
		}
	} else if i := strings.LastIndexByte(h, ':'); i >= 0 && strings.Count(h, ":") == 1 {
		host, port = h[:i], h[i+1:]
	}
	domain := host
	host = strings.TrimPrefix(host, "ipv6:")
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return destination{}, fmt.Errorf("cannot deliver to %s: this smtp(8) supports only literal [address] destinations (no DNS lookups yet)", hop)
	}
	p, err := parsePort(port)
	if err != nil {
		return destination{}, fmt.Errorf("%s: %v", hop, err)
	}
	return destination{host: ip.String(), domain: domain, addr: ip.String(), port: p}, nil
}

// parsePort takes a number or one of the few service names an SMTP
// client meets; /etc/services is not available inside the chroot.
func parsePort(s string) (int, error) {
	switch s {
	case "smtp":
		return 25, nil
	case "lmtp":
		return 24, nil
	case "submission":
		return 587, nil
	case "smtps", "submissions":
		return 465, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n <= 0 || n > 65535 {
		return 0, fmt.Errorf("unknown service: %s/tcp", s)
	}
	return n, nil
}

// connectError renders a failed connect the way stock prints %m.
func connectError(err error) string {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		return strerror(errno.Error())
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return "Connection timed out"
	}
	return err.Error()
}
