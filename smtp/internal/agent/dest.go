package agent

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"syscall"
	"time"

	"github.com/postfix-go/postfix-go/internal/tlspolicy"
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
	// unix: addr is a UNIX-domain socket path (LMTP unix:path); port
	// is unused.
	unix bool
	// policy is the TLS policy of this server (level none without TLS).
	policy tlspolicy.Policy
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
	// LMTP never looks up MX records: a numeric host needs no lookup,
	// bracketed or not.
	if n.Kind == resolve.Literal || n.LMTP {
		if ip, err := netip.ParseAddr(n.Host); err == nil {
			return resolve.Result{Addrs: []resolve.Addr{{Host: n.Host, IP: ip}}}
		}
	}
	return resolve.Result{Err: &resolve.Error{DSN: "4.3.0",
		Text: fmt.Sprintf("cannot deliver to %s: this smtp(8) supports only literal [address] destinations (no DNS lookups yet)", n.Text)}}
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
