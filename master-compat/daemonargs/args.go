// Package daemonargs parses the command line that master(8) builds for a
// child from its master.cf entry: argv[0] is the command field, then
// master's own flags (-l, -z, -n, -t, -d, -v, -u, -c, -o stress=, -s N),
// then the administrator's arguments from master.cf.
package daemonargs

import (
	"fmt"
	"path"
	"strconv"
	"strings"
)

// Args is the parsed command line.
type Args struct {
	ProcessName  string   // basename of argv[0]; selects smtp vs lmtp
	ServiceName  string   // -n, else the process name
	Transport    string   // -t: inet, unix, pass, fifo, unix-dgram (lower case)
	Chroot       bool     // -c: chroot to queue_directory
	Unprivileged bool     // -u: run as mail_owner
	Solitary     bool     // -l: process limit is 1
	Unlimited    bool     // -z: process limit is 0
	Debug        bool     // -d: not a daemon, skip the terminal check
	Debugger     bool     // -D: run debugger_command
	Standalone   bool     // -S: serve stdin/stdout
	Stderr       bool     // -V: also log to stderr
	Verbose      int      // -v, repeatable
	Sockets      int      // -s: number of listen descriptors from 6 on
	MaxIdle      string   // -i: overrides max_idle
	MaxUse       string   // -m: overrides max_use
	Retire       string   // -r: retirement time
	Overrides    []string // -o name=value, in order
	Rest         []string // non-option arguments, for the program
}

// takesValue lists the options with an argument, as in the skeletons'
// getopt strings.
const takesValue = "imnorst"

// Parse reads argv the way the skeletons' getopt does on Linux: options may
// be clustered (-lv), a value may be attached (-n relay or -nrelay), and
// parsing stops at "--" or the first non-option argument.
func Parse(argv []string) (*Args, error) {
	if len(argv) == 0 {
		return nil, fmt.Errorf("empty argument list")
	}
	a := &Args{ProcessName: path.Base(argv[0]), Sockets: 1}
	i := 1
	for ; i < len(argv); i++ {
		arg := argv[i]
		if arg == "--" {
			i++
			break
		}
		if len(arg) < 2 || arg[0] != '-' {
			break
		}
		for j := 1; j < len(arg); j++ {
			opt := arg[j]
			if !strings.ContainsRune("cdDi:lm:n:o:r:s:St:uvVz", rune(opt)) || opt == ':' {
				return nil, &OptionError{Opt: opt}
			}
			if strings.IndexByte(takesValue, opt) < 0 {
				a.setFlag(opt)
				continue
			}
			val := arg[j+1:]
			if val == "" {
				i++
				if i >= len(argv) {
					return nil, &OptionError{Opt: opt, MissingValue: true}
				}
				val = argv[i]
			}
			if err := a.setValue(opt, val); err != nil {
				return nil, err
			}
			break
		}
	}
	a.Rest = append([]string(nil), argv[i:]...)
	if a.ServiceName == "" {
		a.ServiceName = a.ProcessName
	}
	return a, nil
}

// OptionError is a command-line option that getopt rejects.
type OptionError struct {
	Opt          byte
	MissingValue bool
}

// Error is the text the Postfix skeletons log (they see '?' from getopt
// for both cases and report the option character).
func (e *OptionError) Error() string {
	if e.MissingValue {
		return fmt.Sprintf("option requires an argument -- '%c'", e.Opt)
	}
	return fmt.Sprintf("invalid option: %c", e.Opt)
}

// Getopt is what glibc's getopt prints on stderr for the same mistake,
// before the daemon logs anything; a person running the program by hand
// sees this line.
func (e *OptionError) Getopt(program string) string {
	if e.MissingValue {
		return fmt.Sprintf("%s: option requires an argument -- '%c'", program, e.Opt)
	}
	return fmt.Sprintf("%s: invalid option -- '%c'", program, e.Opt)
}

func (a *Args) setFlag(opt byte) {
	switch opt {
	case 'c':
		a.Chroot = true
	case 'd':
		a.Debug = true
	case 'D':
		a.Debugger = true
	case 'l':
		a.Solitary = true
	case 'S':
		a.Standalone = true
	case 'u':
		a.Unprivileged = true
	case 'v':
		a.Verbose++
	case 'V':
		a.Stderr = true
	case 'z':
		a.Unlimited = true
	}
}

func (a *Args) setValue(opt byte, val string) error {
	switch opt {
	case 'i':
		a.MaxIdle = val
	case 'm':
		a.MaxUse = val
	case 'n':
		a.ServiceName = val
	case 'o':
		a.Overrides = append(a.Overrides, val)
	case 'r':
		a.Retire = val
	case 's':
		n, err := strconv.Atoi(val)
		if err != nil || n <= 0 {
			return fmt.Errorf("invalid socket_count: %s", val)
		}
		a.Sockets = n
	case 't':
		a.Transport = strings.ToLower(val)
	}
	return nil
}
