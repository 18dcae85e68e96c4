package config

import (
	"errors"
	"fmt"
	"math/bits"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// defaultDomain is Postfix's DEF_MYDOMAIN, used when the host name has no
// dot.
const defaultDomain = "localdomain"

// maxHostnameBytes mirrors gethostname() into a MAXHOSTNAMELEN (64) buffer.
const maxHostnameBytes = 64

// runtimeDefault computes the default of a run-time parameter for this
// process, the way the Postfix function that postconf lists does.
// Caller holds d.mu.
func (d *Dict) runtimeDefault(name string) (string, error) {
	switch name {
	case "myhostname":
		return d.defaultHostname()
	case "mydomain":
		return d.defaultMydomain()
	case "mynetworks":
		return d.defaultMynetworks()
	case ParamProcessID:
		return strconv.Itoa(d.sys.getpid()), nil
	case ParamProcessName:
		return filepath.Base(os.Args[0]), nil
	case ParamServiceName:
		return "", nil
	case ParamConfigDirectory:
		if d.configDir != "" {
			return d.configDir, nil
		}
		return ConfigDirFromEnv(), nil
	case ParamMailVersion:
		return MailVersion, nil
	}
	return "", fmt.Errorf("parameter %s: no run-time default", name)
}

// defaultHostname is check_myhostname(): the kernel host name, made a
// FQDN by appending $mydomain (only a configured one: mydomain is loaded
// after myhostname) or "localdomain". It never uses DNS. The result is
// cached per Dict as Postfix caches it per process.
func (d *Dict) defaultHostname() (string, error) {
	if d.hostname != "" {
		return d.hostname, nil
	}
	name, err := d.sys.hostname()
	if err != nil {
		return "", fmt.Errorf("gethostname: %w", err)
	}
	if len(name) > maxHostnameBytes {
		name = name[:maxHostnameBytes]
	}
	if err := validHostname(name); err != nil {
		d.warn(err.Error())
		return "", errors.New("unable to use my own hostname")
	}
	if !strings.Contains(name, ".") {
		domain, ok, err := d.lookupEval("mydomain")
		if err != nil {
			return "", err
		}
		if !ok {
			domain = defaultDomain
		}
		name += "." + domain
	}
	d.hostname = name
	return name, nil
}

// defaultMydomain is check_mydomainname(): $myhostname minus its first
// label, or "localdomain" when it has no dot.
func (d *Dict) defaultMydomain() (string, error) {
	host, ok, err := d.lookupEval("myhostname")
	if err != nil {
		return "", err
	}
	if !ok {
		if host, err = d.defaultHostname(); err != nil {
			return "", err
		}
	}
	if i := strings.IndexByte(host, '.'); i >= 0 {
		return host[i+1:], nil
	}
	return defaultDomain, nil
}

// currentValue returns the expanded value of name, or its expanded
// default without storing it. It stands in for the C globals (e.g.
// var_inet_interfaces) that mynetworks() reads.
func (d *Dict) currentValue(name string) (string, error) {
	if v, ok, err := d.lookupEval(name); ok || err != nil {
		return v, err
	}
	def, err := d.defaultText(name, getSpec{})
	if err != nil {
		return "", err
	}
	return d.eval(def, true)
}

// Address families in the order inet_proto_init() lists them.
const (
	familyIPv4 = 1 << iota
	familyIPv6
)

// parseInetProtocols checks inet_protocols like inet_proto_init(): a
// list of "all", "ipv4", "ipv6" (exact case).
func parseInetProtocols(value string) (int, error) {
	mask := 0
	for _, n := range SplitFields(value, ListSeparators) {
		switch n {
		case "all":
			mask |= familyIPv4 | familyIPv6
		case "ipv4":
			mask |= familyIPv4
		case "ipv6":
			mask |= familyIPv6
		default:
			return 0, fmt.Errorf("unknown inet_protocols value \"%s\" in \"%s\"", n, value)
		}
	}
	return mask, nil
}

func familyOf(ip net.IP) int {
	if ip.To4() != nil {
		return familyIPv4
	}
	return familyIPv6
}

// defaultMynetworks is mynetworks(): one pattern per local interface
// address (own_inet_addr_list()), shaped by mynetworks_style. The text
// keeps Postfix's trailing space. Cached per Dict, as in Postfix.
func (d *Dict) defaultMynetworks() (string, error) {
	if d.mynetworks != nil {
		return *d.mynetworks, nil
	}
	protoText, err := d.currentValue("inet_protocols")
	if err != nil {
		return "", err
	}
	families, err := parseInetProtocols(protoText)
	if err != nil {
		return "", err
	}
	result := ""
	if families != 0 {
		if result, err = d.computeMynetworks(families); err != nil {
			return "", err
		}
	}
	d.mynetworks = &result
	return result, nil
}

func (d *Dict) computeMynetworks(families int) (string, error) {
	styleText, err := d.currentValue("mynetworks_style")
	if err != nil {
		return "", err
	}
	style := ""
	for _, s := range SplitFields(styleText, ListSeparators) {
		switch s {
		case "class", "subnet", "host":
		default:
			return "", fmt.Errorf("unknown mynetworks mask style value \"%s\" in \"%s\"", s, styleText)
		}
		if style != "" && style != s {
			style = "multiple"
		} else {
			style = s
		}
	}
	if style == "" || style == "multiple" {
		return "", fmt.Errorf("bad mynetworks_style value: %s; specify exactly one value", styleText)
	}
	nets, err := d.ownAddresses(families)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	seen := map[string]bool{}
	for _, n := range nets {
		pattern, err := networkPattern(n, style)
		if err != nil {
			return "", err
		}
		if !seen[pattern] {
			seen[pattern] = true
			b.WriteString(pattern + " ")
		}
	}
	return b.String(), nil
}

// localAddrs lists the up interfaces' addresses of the enabled families,
// family by family like inet_addr_local(), skipping unspecified ones.
func (d *Dict) localAddrs(families int) ([]net.IPNet, error) {
	all, err := d.sys.interfaceAddrs()
	if err != nil {
		return nil, fmt.Errorf("inet_addr_local: %w", err)
	}
	var out []net.IPNet
	for _, fam := range []int{familyIPv4, familyIPv6} {
		if families&fam == 0 {
			continue
		}
		for _, n := range all {
			if familyOf(n.IP) == fam && !n.IP.IsUnspecified() && n.Mask != nil {
				out = append(out, n)
			}
		}
	}
	if len(out) == 0 {
		return nil, errors.New("could not find any active network interfaces")
	}
	return out, nil
}

// ownAddresses is own_inet_addr_list() with masks: all local addresses,
// the loopback ones, or the inet_interfaces hosts matched to interfaces.
func (d *Dict) ownAddresses(families int) ([]net.IPNet, error) {
	ifaces, err := d.currentValue("inet_interfaces")
	if err != nil {
		return nil, err
	}
	local, err := d.localAddrs(families)
	if err != nil {
		return nil, err
	}
	switch ifaces {
	case "all":
		return local, nil
	case "loopback-only":
		var out []net.IPNet
		for _, n := range local {
			if n.IP.IsLoopback() {
				out = append(out, n)
			}
		}
		return out, nil
	}
	var want []net.IP
	for _, host := range SplitFields(ifaces, " \t,") {
		ips, err := d.hostAddrs(host, families)
		if err != nil || len(ips) == 0 {
			return nil, fmt.Errorf("config variable inet_interfaces: host not found: %s", host)
		}
		for _, ip := range ips {
			dup := false
			for _, w := range want {
				dup = dup || w.Equal(ip)
			}
			if !dup {
				want = append(want, ip)
			}
		}
	}
	var out []net.IPNet
	for _, ip := range want {
		found := false
		for _, n := range local {
			if n.IP.Equal(ip) {
				out, found = append(out, net.IPNet{IP: ip, Mask: n.Mask}), true
				break
			}
		}
		if !found {
			return nil, fmt.Errorf("parameter inet_interfaces: no local interface found for %s", ip)
		}
	}
	return out, nil
}

// hostAddrs resolves one inet_interfaces entry: an address literal
// (optionally in [brackets]) or a host name, filtered by family.
func (d *Dict) hostAddrs(host string, families int) ([]net.IP, error) {
	lit := strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	var ips []net.IP
	if ip := net.ParseIP(lit); ip != nil {
		ips = []net.IP{ip}
	} else {
		var err error
		if ips, err = d.sys.lookupIP(host); err != nil {
			return nil, err
		}
	}
	var out []net.IP
	for _, ip := range ips {
		if families&familyOf(ip) != 0 {
			out = append(out, ip)
		}
	}
	return out, nil
}

// networkPattern formats one mynetworks entry: "a.b.c.d/len" or
// "[v6addr]/len" with host bits cleared.
func networkPattern(n net.IPNet, style string) (string, error) {
	if ip4 := n.IP.To4(); ip4 != nil {
		addr := uint32(ip4[0])<<24 | uint32(ip4[1])<<16 | uint32(ip4[2])<<8 | uint32(ip4[3])
		prefix := 32
		switch style {
		case "class":
			switch {
			case addr>>31 == 0:
				prefix = 8
			case addr>>30 == 2:
				prefix = 16
			case addr>>29 == 6:
				prefix = 24
			case addr>>28 == 14:
				prefix = 4
			default:
				return "", fmt.Errorf("mynetworks_core: unknown address class: %s", ip4)
			}
		case "subnet":
			// Postfix counts from the lowest set bit of the mask.
			mask := maskUint32(n.Mask)
			if mask == 0 {
				prefix = 0
			} else {
				prefix = 32 - bits.TrailingZeros32(mask)
			}
		}
		netAddr := ip4.Mask(net.CIDRMask(prefix, 32))
		return fmt.Sprintf("%s/%d", netAddr, prefix), nil
	}
	prefix := 128
	if style != "host" {
		prefix = ipv6MaskPrefix(n.Mask)
	}
	netAddr := n.IP.To16().Mask(net.CIDRMask(prefix, 128))
	return fmt.Sprintf("[%s]/%d", netAddr, prefix), nil
}

func maskUint32(m net.IPMask) uint32 {
	if len(m) == 16 {
		m = m[12:]
	}
	if len(m) != 4 {
		return 0
	}
	return uint32(m[0])<<24 | uint32(m[1])<<16 | uint32(m[2])<<8 | uint32(m[3])
}

// ipv6MaskPrefix counts whole 0xff bytes, then the bits of the first
// other byte up to its lowest set bit, as mynetworks_core() does.
func ipv6MaskPrefix(m net.IPMask) int {
	prefix := 0
	for _, c := range m {
		if c == 0xff {
			prefix += 8
			continue
		}
		if c != 0 {
			prefix += 8 - bits.TrailingZeros8(c)
		}
		break
	}
	return prefix
}
