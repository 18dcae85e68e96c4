package harness

import (
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// ResolvConfParam is our smtp's own main.cf parameter naming its
// resolv.conf (read before the chroot; the port is always 53).
const ResolvConfParam = "postfix_go_resolv_conf"

// NewDNS is New for an instance whose smtp(8) does real DNS lookups
// against a test name server on nameserverIP (a loopback address, port
// 53), e.g. a dnstest.Server.
//
// Safety first: this machine's /etc/resolv.conf names a real resolver
// that tests must never query. So NewDNS refuses unless the smtp daemon
// (which also runs the "relay" service) is replaced by a binary other
// than the stock one — stock smtp resolves through glibc and
// /etc/resolv.conf — and unless the name server is on 127.0.0.0/8. It
// writes the instance's private resolv.conf and sets ResolvConfParam
// before anything starts, so no smtp process ever runs without it.
// opts.NoStart is honoured.
func NewDNS(t testing.TB, nameserverIP string, opts Options) *Instance {
	t.Helper()
	ip, err := netip.ParseAddr(nameserverIP)
	if err != nil || !ip.Is4() || !ip.IsLoopback() {
		t.Fatalf("NewDNS: name server %q is not an IPv4 loopback address", nameserverIP)
	}
	bin := opts.Replace["smtp"]
	if bin == "" {
		t.Fatal("NewDNS: the stock smtp must not run with DNS enabled: set Options.Replace[\"smtp\"]")
	}
	if same, err := sameFile(bin, filepath.Join(StockDaemonDir, "smtp")); err != nil || same {
		t.Fatalf("NewDNS: %s is the stock smtp (or unreadable: %v)", bin, err)
	}
	start := !opts.NoStart
	opts.NoStart = true
	in := New(t, opts)
	path := filepath.Join(in.Dir, "resolv.conf")
	// timeout:2 keeps a lost datagram from stalling a test for glibc's
	// 5s default; our smtp reads these options through miekg/dns.
	text := fmt.Sprintf("nameserver %s\noptions timeout:2 attempts:2\n", ip)
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := in.Postconf("-e", ResolvConfParam+"="+path); err != nil {
		t.Fatal(err)
	}
	// postconf -h hides parameters stock Postfix does not know: read
	// main.cf itself to be sure the setting landed.
	b, err := os.ReadFile(filepath.Join(in.ConfigDir, "main.cf"))
	if want := "\n" + ResolvConfParam + " = " + path + "\n"; err != nil || !strings.Contains(string(b), want) {
		t.Fatalf("NewDNS: main.cf lacks %q (err %v)", strings.TrimSpace(want), err)
	}
	if start {
		if err := in.Start(); err != nil {
			t.Fatal(err)
		}
	}
	return in
}

func sameFile(a, b string) (bool, error) {
	fa, err := os.Stat(a)
	if err != nil {
		return false, err
	}
	fb, err := os.Stat(b)
	if err != nil {
		return false, err
	}
	return os.SameFile(fa, fb), nil
}
