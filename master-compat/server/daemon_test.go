package server

import (
	"testing"

	"github.com/postfix-go/postfix-go/master-compat/daemonargs"
)

func TestCheckCapabilities(t *testing.T) {
	tests := []struct {
		name string
		prog Program
		argv []string
		want string
	}{
		{"solitary ok", Program{Solitary: true}, []string{"scache", "-l", "-t", "unix"}, ""},
		{"solitary missing -l", Program{Solitary: true}, []string{"scache", "-t", "unix"}, "service scache requires a process limit of 1"},
		{"solitary named service", Program{Solitary: true}, []string{"scache", "-n", "goscache", "-t", "unix"}, "service goscache requires a process limit of 1"},
		{"unlimited missing -z", Program{Unlimited: true}, []string{"tlsproxy", "-t", "unix"}, "service tlsproxy requires a process limit of 0"},
		{"privileged with -u", Program{Privileged: true}, []string{"x", "-u", "-t", "unix"}, "service x requires privileged operation"},
		{"no transport", Program{}, []string{"smtp"}, "no transport type specified"},
		{"bad transport", Program{}, []string{"smtp", "-t", "fifo"}, "unsupported transport type: fifo"},
		{"stand-alone needs neither", Program{Solitary: true}, []string{"scache", "-S"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := daemonargs.Parse(tt.argv)
			if err != nil {
				t.Fatal(err)
			}
			err = checkCapabilities(tt.prog, a)
			got := ""
			if err != nil {
				got = err.Error()
			}
			if got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}
