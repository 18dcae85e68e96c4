package daemonargs

import (
	"reflect"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name string
		argv []string
		want Args
	}{
		{"scache from master", []string{"scache", "-l", "-t", "unix", "-u", "-c"},
			Args{ProcessName: "scache", ServiceName: "scache", Transport: "unix", Solitary: true, Unprivileged: true, Chroot: true, Sockets: 1}},
		{"relay with override", []string{"smtp", "-n", "relay", "-t", "unix", "-u", "-c", "-o", "syslog_name=postfix/$service_name"},
			Args{ProcessName: "smtp", ServiceName: "relay", Transport: "unix", Unprivileged: true, Chroot: true, Sockets: 1,
				Overrides: []string{"syslog_name=postfix/$service_name"}}},
		{"clustered and attached", []string{"/x/lmtp", "-zvv", "-tUNIX", "-s2", "-o", "a = b", "flags=DO", "-v"},
			Args{ProcessName: "lmtp", ServiceName: "lmtp", Transport: "unix", Unlimited: true, Verbose: 2, Sockets: 2,
				Overrides: []string{"a = b"}, Rest: []string{"flags=DO", "-v"}}},
		{"double dash", []string{"tlsproxy", "-z", "--", "-c"},
			Args{ProcessName: "tlsproxy", ServiceName: "tlsproxy", Unlimited: true, Sockets: 1, Rest: []string{"-c"}}},
		{"standalone", []string{"smtp", "-S", "-d", "-V", "-i", "5", "-m", "7", "-r", "9"},
			Args{ProcessName: "smtp", ServiceName: "smtp", Standalone: true, Debug: true, Stderr: true, MaxIdle: "5", MaxUse: "7", Retire: "9", Sockets: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(tt.argv)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(*got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", *got, tt.want)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	for _, tt := range []struct {
		argv []string
		want string
	}{
		{[]string{"error", "-Z"}, "invalid option: Z"},
		{[]string{"scache", "-t"}, "option requires an argument -- 't'"},
		{[]string{"scache", "-s", "0"}, "invalid socket_count: 0"},
		{[]string{"scache", "-:"}, "invalid option: :"},
	} {
		if _, err := Parse(tt.argv); err == nil || err.Error() != tt.want {
			t.Errorf("Parse(%q) error %v, want %q", tt.argv, err, tt.want)
		}
	}
}

// FuzzParse checks that no argument vector crashes the parser and that
// what it accepts is self-consistent.
func FuzzParse(f *testing.F) {
	f.Add("scache\x00-l\x00-t\x00unix\x00-u\x00-c")
	f.Add("smtp\x00-n\x00relay\x00-o\x00syslog_name=postfix/$service_name\x00flags=DO")
	f.Add("x\x00-s\x000\x00-")
	f.Fuzz(func(t *testing.T, joined string) {
		argv := strings.Split(joined, "\x00")
		a, err := Parse(argv)
		if err != nil {
			return
		}
		if a.Sockets < 1 || a.ServiceName == "" && a.ProcessName != "" {
			t.Fatalf("inconsistent result %+v", a)
		}
	})
}
