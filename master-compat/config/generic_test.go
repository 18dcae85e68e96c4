package config

import (
	"bufio"
	"errors"
	"net"
	"os"
	"strings"
	"syscall"
	"testing"
)

// fakeSystem describes a machine like the one the reference captures
// were made on: host "vm", loopback plus one Ethernet interface.
func fakeSystem() System {
	cidr := func(s string) net.IPNet {
		ip, n, err := net.ParseCIDR(s)
		if err != nil {
			panic(err)
		}
		n.IP = ip
		return *n
	}
	users := map[string][2]int{"postfix": {101, 104}, "nobody": {65534, 65534}}
	groups := map[string]int{"postdrop": 105}
	return System{
		Hostname: func() (string, error) { return "vm", nil },
		Getpid:   func() int { return 4242 },
		InterfaceAddrs: func() ([]net.IPNet, error) {
			return []net.IPNet{
				cidr("127.0.0.1/8"), cidr("::1/128"),
				cidr("192.0.2.2/24"), cidr("fd00::2/64"), cidr("fe80::fc:ff:fe00:1/64"),
			}, nil
		},
		LookupIP: func(string) ([]net.IP, error) { return nil, errors.New("no DNS in tests") },
		ReadFile: func(p string) ([]byte, error) {
			if p == "/etc/mailname" {
				return []byte("  mail.example.com \nignored\n"), nil
			}
			return nil, &os.PathError{Op: "open", Path: p, Err: syscall.ENOENT}
		},
		LookupUser: func(n string) (int, int, error) {
			if u, ok := users[n]; ok {
				return u[0], u[1], nil
			}
			return 0, 0, errors.New("unknown user")
		},
		UserName: func(uid int) string {
			for n, u := range users {
				if u[0] == uid {
					return n
				}
			}
			return ""
		},
		LookupGroup: func(n string) (int, error) {
			if g, ok := groups[n]; ok {
				return g, nil
			}
			return 0, errors.New("unknown group")
		},
		GroupName: func(gid int) string {
			for n, g := range groups {
				if g == gid {
					return n
				}
			}
			return ""
		},
	}
}

// startDaemon mimics the skeleton start-up: main.cf, -o options,
// service_name, then the generic parameters.
func startDaemon(t *testing.T, mainCF string, hook func(name, value string), overrides ...string) (*Dict, *Generic, error) {
	t.Helper()
	opts := []Option{WithSystem(fakeSystem())}
	if hook != nil {
		opts = append(opts, WithUpdateHook(hook))
	}
	d := New(opts...)
	d.Set(ParamProcessName, "smtp")
	if err := d.LoadMainCF(strings.NewReader(mainCF), "/x/main.cf"); err != nil {
		t.Fatal(err)
	}
	for _, o := range overrides {
		if err := d.Override(o); err != nil {
			t.Fatal(err)
		}
	}
	d.Set(ParamServiceName, "smtp")
	g, err := d.LoadGeneric()
	return d, g, err
}

// TestGenericLoadOrder compares the sequence of values that LoadGeneric
// stores with the "dict_update" lines that the real Postfix 3.7.11 smtp
// daemon logged with -v -v for the same main.cf (testdata file; machine
// specific values myhostname/mydomain/... agree through fakeSystem).
func TestGenericLoadOrder(t *testing.T) {
	f, err := os.Open("testdata/smtp-3.7.11-generic-updates.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var want []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if line := sc.Text(); line != "" && !strings.HasPrefix(line, "#") {
			want = append(want, line)
		}
	}
	mainCF := "queue_directory = /tmp/pfi/spool\ncompatibility_level = 3.6\n" +
		"maillog_file = /tmp/pfi/maillog\nmaillog_file_prefixes = /tmp/pfi\ndata_directory = /tmp/pfi/data\n"
	var got []string
	record := false
	_, _, err = startDaemon(t, mainCF, func(name, value string) {
		if record {
			got = append(got, name+" = "+value)
		}
		if name == ParamServiceName {
			record = true
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < len(want) || i < len(got); i++ {
		var w, g string
		if i < len(want) {
			w = want[i]
		}
		if i < len(got) {
			g = got[i]
		}
		// process_id differs per run; compare the name only.
		if strings.HasPrefix(w, "process_id = ") && strings.HasPrefix(g, "process_id = ") {
			continue
		}
		if w != g {
			t.Fatalf("update %d: got %q, want %q", i, g, w)
		}
	}
}

func TestGenericValues(t *testing.T) {
	_, g, err := startDaemon(t, "compatibility_level = 3.6\nmyorigin = /etc/mailname\n", nil, "max_idle = 5m", "unknown_to_smtp = 1")
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"Myhostname", g.Myhostname, "vm.localdomain"},
		{"Mydomain", g.Mydomain, "localdomain"},
		{"Myorigin", g.Myorigin, "mail.example.com"},
		{"MaxIdle", g.MaxIdle.Seconds(), 300.0},
		{"MaxUse", g.MaxUse, 100},
		{"IPCTimeout", g.IPCTimeout.Seconds(), 3600.0},
		{"DaemonTimeout", g.DaemonTimeout.Seconds(), 18000.0},
		{"LineLengthLimit", g.LineLengthLimit, 2048},
		{"SyslogName", g.SyslogName, "postfix"},
		{"MessageSizeLimit", g.MessageSizeLimit, int64(10240000)},
		{"SMTPUTF8Enable", g.SMTPUTF8Enable, true},
		{"CompatLevel", g.CompatLevel, CompatLevel3_6},
		{"Mynetworks", g.Mynetworks, "127.0.0.1/32 192.0.2.2/32 [::1]/128 [fd00::2]/128 [fe80::fc:ff:fe00:1]/128 "},
		{"MailOwnerUID", g.MailOwnerUID, 101},
		{"SetgidGID", g.SetgidGID, 105},
		{"ProcessID", g.ProcessID, 4242},
		{"LegacyDefaults", len(g.LegacyDefaults), 0},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
}

func TestGenericCompat0(t *testing.T) {
	d, g, err := startDaemon(t, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	if g.Mynetworks != "127.0.0.0/8 192.0.2.0/24 [::1]/128 [fd00::]/64 [fe80::]/64 " {
		t.Errorf("Mynetworks = %q", g.Mynetworks)
	}
	if g.SMTPUTF8Enable || g.RespectfulLogging {
		t.Errorf("compat 0 must keep legacy smtputf8_enable/respectful_logging = no")
	}
	if rd, _ := d.Lookup("relay_domains"); rd != "vm.localdomain, localhost.localdomain, localhost" {
		t.Errorf("relay_domains stored %q", rd)
	}
	want := []string{"smtpd_tls_fingerprint_digest", "smtp_tls_fingerprint_digest", "lmtp_tls_fingerprint_digest",
		"smtpd_relay_before_recipient_restrictions", "respectful_logging", "relay_domains", "fast_flush_domains",
		"mynetworks_style", "append_dot_mydomain", "smtputf8_enable", "chroot", "smtpd_relay_restrictions"}
	if strings.Join(g.LegacyDefaults, ",") != strings.Join(want, ",") {
		t.Errorf("LegacyDefaults = %v", g.LegacyDefaults)
	}
}

func TestGenericErrors(t *testing.T) {
	tests := []struct{ mainCF, want string }{
		{"compatibility_level = 3.x", `malformed compatibility level syntax: "3.x"`},
		{"syslog_facility = bogus", "file /x/main.cf: parameter syslog_facility: unrecognized value: bogus"},
		{"inet_protocols = ipv5", `unknown inet_protocols value "ipv5" in "ipv5"`},
		{"myhostname = -bad", "file /x/main.cf: parameter myhostname: bad parameter value: -bad"},
		{"mail_owner = nosuch", "file /x/main.cf: parameter mail_owner: unknown user name value: nosuch"},
		{"setgid_group = nosuch", "file /x/main.cf: parameter setgid_group: unknown group name: nosuch"},
		{"default_privs = postfix", "file /x/main.cf: parameters default_privs and mail_owner specify the same user postfix"},
		{"max_use = 0", "invalid max_use parameter value 0 < 1"},
		{"max_use = 1k", "bad numerical configuration: max_use = 1k"},
		{"line_length_limit = 100", "invalid line_length_limit parameter value 100 < 512"},
		{"max_idle = 1x", "parameter max_idle: bad time value or unit: 1x"},
		{"in_flow_delay = 11", "invalid in_flow_delay: 11 (max 10)"},
		{"soft_bounce = true", "bad boolean configuration: soft_bounce = true"},
		{"relayhost = VM.localdomain", "myhostname and relayhost parameter settings must not be identical: vm.localdomain"},
		{"myorigin = a b", "myorigin parameter setting must not contain multiple values: a b"},
		{"myorigin = /nonexistent", "/nonexistent: cannot open file: No such file or directory"},
		{"default_verp_delimiters = +x", "file /x/main.cf: parameters default_verp_delimiters and verp_delimiter_filter: bad second VERP delimiter character"},
		{"mynetworks_style = host subnet", "bad mynetworks_style value: host subnet; specify exactly one value"},
		{"inet_interfaces = 10.9.9.9", "parameter inet_interfaces: no local interface found for 10.9.9.9"},
		{"mail_name =", "bad string length 0 < 1: mail_name = "},
	}
	for _, tc := range tests {
		_, _, err := startDaemon(t, tc.mainCF, nil)
		if err == nil || err.Error() != tc.want {
			t.Errorf("%q: error %v, want %q", tc.mainCF, err, tc.want)
		}
	}
}

func TestMynetworksStyles(t *testing.T) {
	tests := []struct{ mainCF, want string }{
		{"mynetworks_style = class", "127.0.0.0/8 192.0.2.0/24 [::1]/128 [fd00::]/64 [fe80::]/64 "},
		{"mynetworks_style = host\ninet_protocols = ipv4", "127.0.0.1/32 192.0.2.2/32 "},
		{"mynetworks_style = subnet\ninet_interfaces = loopback-only", "127.0.0.0/8 [::1]/128 "},
		{"mynetworks_style = host\ninet_interfaces = 192.0.2.2, [::1]", "192.0.2.2/32 [::1]/128 "},
		{"mynetworks = 10.0.0.0/8", "10.0.0.0/8"},
	}
	for _, tc := range tests {
		_, g, err := startDaemon(t, tc.mainCF, nil)
		if err != nil || g.Mynetworks != tc.want {
			t.Errorf("%q: mynetworks %q, %v; want %q", tc.mainCF, g.Mynetworks, err, tc.want)
		}
	}
}
