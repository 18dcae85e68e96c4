package harness

import (
	"bufio"
	"encoding/hex"
	"fmt"
	"net/netip"
	"os"
	"strconv"
	"strings"
)

// TCP states as numbered in /proc/net/tcp.
const (
	tcpEstablished = 0x01
	tcpListen      = 0x0A
)

// TCPConn is one TCP socket from /proc/net/tcp{,6}.
type TCPConn struct {
	Local, Remote netip.AddrPort
	State         int // 1 = ESTABLISHED, 10 = LISTEN, see include/net/tcp_states.h
	Inode         uint64
}

// Established reports whether the socket is a live connection.
func (c TCPConn) Established() bool { return c.State == tcpEstablished }

// TCPConns returns the TCP sockets that pid holds open. The scache tests
// use it to see the connections that smtp(8) parked in the cache.
func TCPConns(pid int) ([]TCPConn, error) {
	base := "/proc/" + strconv.Itoa(pid)
	fds, err := os.ReadDir(base + "/fd")
	if err != nil {
		return nil, fmt.Errorf("list %s/fd: %w", base, err)
	}
	inodes := map[uint64]bool{}
	for _, e := range fds {
		l, err := os.Readlink(base + "/fd/" + e.Name())
		if err != nil {
			continue // closed meanwhile
		}
		if s, ok := strings.CutPrefix(l, "socket:["); ok {
			if n, err := strconv.ParseUint(strings.TrimSuffix(s, "]"), 10, 64); err == nil {
				inodes[n] = true
			}
		}
	}
	// The process's own net namespace view; equal to ours here, but
	// this stays right if a daemon ever gets its own namespace.
	all, err := tcpTable(base + "/net/tcp")
	if err != nil {
		return nil, err
	}
	all6, err := tcpTable(base + "/net/tcp6")
	if err != nil && !os.IsNotExist(err) {
		return nil, err
	}
	var out []TCPConn
	for _, c := range append(all, all6...) {
		if inodes[c.Inode] {
			out = append(out, c)
		}
	}
	return out, nil
}

// tcpListening reports whether something listens on 127.0.0.1:port
// (or the wildcard); used to know when smtp-sink is ready without
// connecting to it, which would count as a session.
func tcpListening(port int) (bool, error) {
	conns, err := tcpTable("/proc/net/tcp")
	if err != nil {
		return false, err
	}
	for _, c := range conns {
		if c.State == tcpListen && int(c.Local.Port()) == port {
			return true, nil
		}
	}
	return false, nil
}

func tcpTable(path string) ([]TCPConn, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	defer f.Close()
	var out []TCPConn
	sc := bufio.NewScanner(f)
	sc.Scan() // header
	for sc.Scan() {
		c, err := parseTCPLine(sc.Text())
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		out = append(out, c)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return out, nil
}

// parseTCPLine parses "sl local rem st tx:rx tr:when retrnsmt uid timeout inode ...".
func parseTCPLine(line string) (TCPConn, error) {
	f := strings.Fields(line)
	if len(f) < 10 {
		return TCPConn{}, fmt.Errorf("short line %q", line)
	}
	var c TCPConn
	var err error
	if c.Local, err = parseHexAddrPort(f[1]); err != nil {
		return c, err
	}
	if c.Remote, err = parseHexAddrPort(f[2]); err != nil {
		return c, err
	}
	st, err := strconv.ParseUint(f[3], 16, 8)
	if err != nil {
		return c, fmt.Errorf("state %q: %w", f[3], err)
	}
	c.State = int(st)
	if c.Inode, err = strconv.ParseUint(f[9], 10, 64); err != nil {
		return c, fmt.Errorf("inode %q: %w", f[9], err)
	}
	return c, nil
}

// parseHexAddrPort decodes "0100007F:1F90": the address is a sequence of
// 32-bit words each in host (little-endian) byte order, the port is big
// hex.
func parseHexAddrPort(s string) (netip.AddrPort, error) {
	a, p, ok := strings.Cut(s, ":")
	if !ok {
		return netip.AddrPort{}, fmt.Errorf("address %q: no port", s)
	}
	raw, err := hex.DecodeString(a)
	if err != nil || (len(raw) != 4 && len(raw) != 16) {
		return netip.AddrPort{}, fmt.Errorf("address %q: bad hex", s)
	}
	for i := 0; i < len(raw); i += 4 {
		raw[i], raw[i+1], raw[i+2], raw[i+3] = raw[i+3], raw[i+2], raw[i+1], raw[i]
	}
	port, err := strconv.ParseUint(p, 16, 16)
	if err != nil {
		return netip.AddrPort{}, fmt.Errorf("port %q: %w", p, err)
	}
	addr, _ := netip.AddrFromSlice(raw)
	return netip.AddrPortFrom(addr.Unmap(), uint16(port)), nil
}
