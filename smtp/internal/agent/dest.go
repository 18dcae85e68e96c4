package agent

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/postfix-go/postfix-go/smtp/internal/resolve"
)

var zeroTime time.Time

// destination is one server address to connect to.
type destination struct {
	host string // as shown in host[addr]: the MX or host name, or the literal address
	addr string
	port int
	// domain is the bare domain as written (no [], no :port), matched
	// against smtp_connection_cache_destinations.
	domain string
	// bestMX: the address has the destination's best MX preference.
	bestMX bool
}

// Resolver turns one parsed destination into the ordered addresses to
// try; *resolve.Resolver implements it, tests inject fakes.
type Resolver interface {
	Resolve(ctx context.Context, n resolve.Nexthop) resolve.Result
}

func (a *Agent) resolver() Resolver {
	if a.Resolver != nil {
		return a.Resolver
	}
	return literalOnly{}
}

// literalOnly is the resolver of an agent without one: literal
// [address] destinations only, names are deferred.
type literalOnly struct{}

func (literalOnly) Resolve(_ context.Context, n resolve.Nexthop) resolve.Result {
	if n.Kind == resolve.Literal {
		if ip, err := netip.ParseAddr(n.Host); err == nil {
			return resolve.Result{Addrs: []resolve.Addr{{Host: n.Host, IP: ip}}}
		}
	}
	return resolve.Result{Err: &resolve.Error{DSN: "4.3.0",
		Text: fmt.Sprintf("cannot deliver to %s: this smtp(8) supports only literal [address] destinations (no DNS lookups yet)", n.Text)}}
}

// parseNexthop (now used by tests only) accepts what can be reached without DNS: a
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
