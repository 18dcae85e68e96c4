package config

import (
	"net"
	"os"
	"os/user"
	"strconv"
)

// System supplies the facts about the machine and process that Postfix's
// run-time defaults and start-up checks read. Each nil field means "ask
// the real machine"; tests set fields to make results deterministic.
type System struct {
	// Hostname returns the kernel host name (gethostname).
	Hostname func() (string, error)
	// Getpid returns the process id stored as $process_id.
	Getpid func() int
	// InterfaceAddrs returns the addresses of the network interfaces
	// that are up, with netmasks, in the order the kernel lists them.
	InterfaceAddrs func() ([]net.IPNet, error)
	// LookupIP resolves a host name listed in inet_interfaces.
	LookupIP func(host string) ([]net.IP, error)
	// ReadFile reads a file (myorigin = /path, a Debian feature).
	ReadFile func(path string) ([]byte, error)
	// LookupUser returns the uid and gid of a user name.
	LookupUser func(name string) (uid, gid int, err error)
	// UserName returns the name of a uid ("" when unknown).
	UserName func(uid int) string
	// LookupGroup returns the gid of a group name.
	LookupGroup func(name string) (gid int, err error)
	// GroupName returns the name of a gid ("" when unknown).
	GroupName func(gid int) string
}

func (s System) hostname() (string, error) {
	if s.Hostname != nil {
		return s.Hostname()
	}
	return os.Hostname()
}

func (s System) getpid() int {
	if s.Getpid != nil {
		return s.Getpid()
	}
	return os.Getpid()
}

func (s System) interfaceAddrs() ([]net.IPNet, error) {
	if s.InterfaceAddrs != nil {
		return s.InterfaceAddrs()
	}
	ifs, err := net.Interfaces()
	if err != nil {
		return nil, err
	}
	var out []net.IPNet
	for _, ifc := range ifs {
		// Postfix includes interfaces that are up, running or not.
		if ifc.Flags&net.FlagUp == 0 {
			continue
		}
		addrs, err := ifc.Addrs()
		if err != nil {
			return nil, err
		}
		for _, a := range addrs {
			if ipn, ok := a.(*net.IPNet); ok {
				out = append(out, *ipn)
			}
		}
	}
	return out, nil
}

func (s System) lookupIP(host string) ([]net.IP, error) {
	if s.LookupIP != nil {
		return s.LookupIP(host)
	}
	return net.LookupIP(host)
}

func (s System) readFile(path string) ([]byte, error) {
	if s.ReadFile != nil {
		return s.ReadFile(path)
	}
	return os.ReadFile(path)
}

func (s System) lookupUser(name string) (uid, gid int, err error) {
	if s.LookupUser != nil {
		return s.LookupUser(name)
	}
	u, err := user.Lookup(name)
	if err != nil {
		return 0, 0, err
	}
	uid, err = strconv.Atoi(u.Uid)
	if err != nil {
		return 0, 0, err
	}
	gid, err = strconv.Atoi(u.Gid)
	return uid, gid, err
}

func (s System) userName(uid int) string {
	if s.UserName != nil {
		return s.UserName(uid)
	}
	u, err := user.LookupId(strconv.Itoa(uid))
	if err != nil {
		return ""
	}
	return u.Username
}

func (s System) lookupGroup(name string) (int, error) {
	if s.LookupGroup != nil {
		return s.LookupGroup(name)
	}
	g, err := user.LookupGroup(name)
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(g.Gid)
}

func (s System) groupName(gid int) string {
	if s.GroupName != nil {
		return s.GroupName(gid)
	}
	g, err := user.LookupGroupId(strconv.Itoa(gid))
	if err != nil {
		return ""
	}
	return g.Name
}
