package resolve

import (
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
)

// NexthopKind says how a destination is resolved.
type NexthopKind int

const (
	// Domain is an unbracketed name: SMTP looks up its MX records first.
	Domain NexthopKind = iota
	// Literal is a [host] or [addr] destination: address lookup only.
	Literal
	// Unix is an LMTP unix:/path destination: no resolution at all.
	Unix
)

func (k NexthopKind) String() string {
	switch k {
	case Domain:
		return "domain"
	case Literal:
		return "literal"
	case Unix:
		return "unix"
	}
	return "NexthopKind(" + strconv.Itoa(int(k)) + ")"
}

// Nexthop is one parsed destination.
type Nexthop struct {
	Text    string      // destination as given (after any LMTP inet: prefix)
	Kind    NexthopKind // Domain, Literal or Unix
	Host    string      // name or address; brackets and "IPv6:" removed
	Service string      // service as written, or the default service
	Port    uint16      // TCP port resolved from Service (0 for Unix)
	Path    string      // Unix only: socket path, may be relative to the queue dir
	LMTP    bool        // parsed for lmtp(8): never MX lookups, no loop detection
}

// LookupMX reports whether Postfix would query MX records for this
// destination (before smtp_dns_support_level is considered): SMTP only,
// unbracketed destinations only.
func (n Nexthop) LookupMX() bool { return !n.LMTP && n.Kind == Domain }

// LoopDetect reports whether best-MX-is-myself / loop detection applies:
// Postfix enables it only for SMTP to port 25 (SMTP_MISC_FLAG_LOOP_DETECT).
func (n Nexthop) LoopDetect() bool { return !n.LMTP && n.Kind != Unix && n.Port == 25 }

// NexthopError is a destination syntax error. Postfix treats these as
// fatal (msg_fatal), which makes qmgr see a crashed delivery agent; the
// caller decides how to mirror that. Error() is the stock fatal text.
type NexthopError struct {
	Text string
}

func (e *NexthopError) Error() string { return e.Text }

// knownTCPPorts is the default known_tcp_ports table. It is consulted before
// the services database so that a chroot without /etc/services still works.
func knownTCPPort(service string) (string, bool) {
	switch service {
	case "lmtp":
		return "24", true
	case "smtp":
		return "25", true
	case "smtps", "submissions":
		return "465", true
	case "submission":
		return "587", true
	}
	return "", false
}

// SplitDestinations turns the request nexthop into the ordered destination
// list of smtp_connect(): for LMTP a "unix:" nexthop is used whole (fallback
// relays are ignored, Postfix warns) and an "inet:" prefix is stripped once;
// otherwise the text is split on commas and whitespace and the
// fallback relay list is appended. primaries is the number of entries that
// came from nexthop (the rest are fallback relays).
func SplitDestinations(nexthop, fallbackRelay string, lmtp bool) (dests []string, primaries int) {
	if lmtp && strings.HasPrefix(nexthop, "unix:") {
		return []string{nexthop}, 1
	}
	if lmtp {
		nexthop = strings.TrimPrefix(nexthop, "inet:")
	}
	dests = splitCommaSpace(nexthop)
	primaries = len(dests)
	return append(dests, splitCommaSpace(fallbackRelay)...), primaries
}

func splitCommaSpace(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool {
		return r == ',' || r == ' ' || r == '\t' || r == '\r' || r == '\n'
	})
}

// ParseNexthop parses one destination with Postfix's host_port() rules:
// "[host]", "[host]:port", "[IPv6:addr]:port", "host", "host:port";
// for LMTP also "unix:/path" and "inet:host[:port]". defaultService is
// used when no port is given (smtp_tcp_port / lmtp_tcp_port, e.g. "smtp",
// "lmtp" or "25"). Errors carry Postfix's fatal message text.
func ParseNexthop(text string, defaultService string, lmtp bool) (Nexthop, error) {
	if lmtp {
		if path, ok := strings.CutPrefix(text, "unix:"); ok {
			return Nexthop{Text: text, Kind: Unix, Path: path, LMTP: true}, nil
		}
		text = strings.TrimPrefix(text, "inet:")
	}
	n := Nexthop{Text: text, LMTP: lmtp}
	host, service, why := hostPort(text, defaultService)
	if why != "" {
		return Nexthop{}, &NexthopError{Text: why + " in server description: " + text}
	}
	n.Host, n.Service = host, service
	if strings.HasPrefix(text, "[") {
		n.Kind = Literal
	}
	port, err := servicePort(service, text)
	if err != nil {
		return Nexthop{}, err
	}
	n.Port = port
	return n, nil
}

// hostPort splits and validates a destination; the returned why is the
// host_port() error string, empty on success.
func hostPort(buf, defService string) (host, service, why string) {
	defaulted := false
	if rest, ok := strings.CutPrefix(buf, "["); ok {
		ipv6 := len(rest) >= 5 && strings.EqualFold(rest[:5], "IPv6:")
		if ipv6 {
			rest = rest[5:]
		}
		end := strings.IndexByte(rest, ']')
		if end < 0 {
			return "", "", `missing "]"`
		}
		host, rest = rest[:end], rest[end+1:]
		if rest != "" {
			if rest[0] != ':' {
				return "", "", `garbage after "]"`
			}
			rest = rest[1:]
		}
		if ipv6 && !validIPv6(host) {
			return "", "", "malformed IPv6 address"
		}
		service = rest
	} else if i := strings.LastIndexByte(buf, ':'); i >= 0 {
		// Split at the LAST colon: unbracketed IPv6 therefore cannot work,
		// exactly as in Postfix.
		host, service = buf[:i], buf[i+1:]
		if host == "" {
			return "", "", "missing host information"
		}
	} else {
		host = buf
		if host == "" {
			return "", "", "missing host information"
		}
	}
	if service == "" {
		service, defaulted = defService, true
		if service == "" {
			return "", "", "missing service information"
		}
	}
	if !validUTF8Hostname(host) && !validHostaddr(host) {
		return "", "", "valid hostname or network address required"
	}
	if !defaulted && service[0] >= '0' && service[0] <= '9' && !allDigits(service) {
		return "", "", "garbage after numerical service"
	}
	return host, service, ""
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// servicePort maps a service to a port: known_tcp_ports first, then a
// number, then the services database like getservbyname(service, "tcp").
func servicePort(service, dest string) (uint16, error) {
	if p, ok := knownTCPPort(service); ok {
		service = p
	}
	if allDigits(service) {
		v, err := strconv.ParseUint(service, 10, 32)
		if err != nil || v == 0 || v >= 65536 {
			return 0, &NexthopError{Text: fmt.Sprintf("bad network port: %s for destination: %s", service, dest)}
		}
		return uint16(v), nil
	}
	if p, ok := lookupService(servicesFile, service); ok {
		return p, nil
	}
	return 0, &NexthopError{Text: fmt.Sprintf("unknown service: %s/tcp", service)}
}

// servicesFile is read at lookup time, so inside the chroot it is the
// queue directory's copy – the same file getservbyname() would read.
const servicesFile = "/etc/services"

// lookupService finds a TCP service (name or alias) in a services(5)
// file. We parse the file ourselves instead of net.LookupPort because Go
// also accepts signed numbers and may go through cgo/NSS; getservbyname()
// semantics are simple enough to match directly.
func lookupService(file, service string) (uint16, bool) {
	data, err := os.ReadFile(file)
	if err != nil {
		return 0, false
	}
	for line := range strings.Lines(string(data)) {
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		portStr, proto, ok := strings.Cut(f[1], "/")
		if !ok || proto != "tcp" || !slices.Contains(append(f[:1:1], f[2:]...), service) {
			continue
		}
		if v, err := strconv.ParseUint(portStr, 10, 16); err == nil && v > 0 {
			return uint16(v), true
		}
	}
	return 0, false
}
