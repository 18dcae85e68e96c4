// Package server is the life of a daemon under the stock master(8): the
// start-up sequence of the Postfix skeletons (argv, main.cf and -o,
// logging, checks, privileges, chroot), the three server models (multi,
// single, event) with their use and idle limits and watchdog, and the
// status channel to master.
package server

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"golang.org/x/sys/unix"

	"github.com/postfix-go/postfix-go/master-compat/config"
	"github.com/postfix-go/postfix-go/master-compat/daemonargs"
	"github.com/postfix-go/postfix-go/master-compat/maillog"
	"github.com/postfix-go/postfix-go/master-compat/masterstatus"
	"github.com/postfix-go/postfix-go/master-compat/privs"
)

// Model selects the server skeleton.
type Model int

const (
	Single Model = iota // one client per process (smtp, lmtp)
	Multi               // many clients, request/response (scache)
	Event               // many clients, program-driven (tlsproxy)
)

// Program describes a daemon to Run, mirroring the skeletons' options.
type Program struct {
	Model      Model
	Solitary   bool // requires -l (process limit 1)
	Unlimited  bool // requires -z (process limit 0)
	Privileged bool // refuses -u
	RetireMe   bool // event model: retire after RetireTime
	// WatchdogTimeout overrides the skeleton's default (daemon_timeout
	// for single and multi, 1000 s for event).
	WatchdogTimeout time.Duration

	// LoadParams loads the program's parameter tables, in the program's
	// order, after the generic ones (the order decides what "$name"
	// expands to, as in Postfix).
	LoadParams func(rt *Runtime) error
	// PreInit runs as root before the chroot: open what lives outside
	// the queue directory.
	PreInit func(rt *Runtime) error
	// PostInit runs after the privilege drop and returns the service:
	// a MultiService, SingleService or EventService matching Model.
	PostInit func(rt *Runtime) (any, error)
	// PreAccept runs, in the single model, before the process waits
	// for its next connection (before the first one and after each);
	// true makes the process exit now (Reason Restart), as a stock
	// daemon's pre_accept does on "table ... has changed".
	PreAccept func(rt *Runtime) bool
	// Exit runs when the process leaves on its own (idle, use limit,
	// master gone); never on SIGTERM, which kills the process as it
	// kills a C daemon.
	Exit func(rt *Runtime, why Reason)
}

// JournaldParam is the main.cf (or master.cf -o) parameter that selects
// journald logging for our daemons. It is ours: stock daemons ignore it.
const JournaldParam = "postfix_go_journald"

// Runtime is what a program gets to work with.
type Runtime struct {
	Args    *daemonargs.Args
	Config  *config.Dict
	Generic *config.Generic
	Log     *maillog.Logger
	Limits  Limits
}

// Run starts the daemon and never returns.
func Run(p Program) {
	log := maillog.New(maillog.Options{ProcessName: os.Args[0]})
	rt, err := setup(p, log)
	if err != nil {
		log.Fatal(err.Error())
	}
	why := rt.serve(p)
	if p.Exit != nil {
		p.Exit(rt, why)
	}
	if why == Failed {
		log.Fatal("service failed")
	}
	os.Exit(0)
}

// setup follows the skeletons' start-up sequence up to the event loop.
func setup(p Program, log *maillog.Logger) (*Runtime, error) {
	args, err := daemonargs.Parse(os.Args)
	var optErr *daemonargs.OptionError
	if errors.As(err, &optErr) {
		fmt.Fprintln(os.Stderr, optErr.Getopt(os.Args[0]))
	}
	if err != nil {
		return nil, err
	}
	cfg, err := config.Load("", config.WithWarn(log.Warn))
	if err != nil {
		return nil, err
	}
	if args.MaxIdle != "" {
		args.Overrides = append(args.Overrides, "max_idle="+args.MaxIdle)
	}
	if args.MaxUse != "" {
		args.Overrides = append(args.Overrides, "max_use="+args.MaxUse)
	}
	for _, o := range args.Overrides {
		if err := cfg.Override(o); err != nil {
			return nil, err
		}
	}
	// Stored after -o, as every 3.7 skeleton does: "-o service_name=x"
	// has no effect.
	cfg.Set("service_name", args.ServiceName)
	cfg.Set("process_name", args.ProcessName)
	gen, err := cfg.LoadGeneric()
	if err != nil {
		return nil, err
	}
	// Our own switch (Postfix has none): send logs to journald instead
	// of syslog when maillog_file is empty.
	journald, err := cfg.Bool(JournaldParam, config.WithDefault("no"))
	if err != nil {
		return nil, err
	}
	if err := log.Configure(maillog.Settings{
		SyslogName:          gen.SyslogName,
		SyslogFacility:      gen.SyslogFacility,
		MaillogFile:         gen.MaillogFile,
		MaillogFilePrefixes: gen.MaillogFilePrefixes,
		PostlogServicePath:  filepath.Join(gen.QueueDirectory, "public", gen.PostlogServiceName),
		Hostname:            gen.Myhostname,
		Stderr:              args.Stderr,
		UTF8:                gen.SMTPUTF8Enable,
		Journald:            journald,
	}); err != nil {
		return nil, err
	}
	log.ExportEnv(os.Setenv, os.Unsetenv)
	log.SetVerbose(args.Verbose)
	rt := &Runtime{Args: args, Config: cfg, Generic: gen, Log: log, Limits: Limits{
		MaxIdle:         gen.MaxIdle,
		MaxUse:          gen.MaxUse,
		WatchdogTimeout: gen.DaemonTimeout,
		IPCTimeout:      gen.IPCTimeout,
	}}
	if p.Model == Event {
		rt.Limits.WatchdogTimeout = 1000 * time.Second
	}
	if p.WatchdogTimeout > 0 {
		rt.Limits.WatchdogTimeout = p.WatchdogTimeout
	}
	if !args.Debug && !args.Standalone && isTerminal(0) {
		return nil, fmt.Errorf("do not run this command by hand")
	}
	if p.LoadParams != nil {
		if err := p.LoadParams(rt); err != nil {
			return nil, err
		}
	}
	if err := checkCapabilities(p, args); err != nil {
		return nil, err
	}
	if err := os.Chdir(gen.QueueDirectory); err != nil {
		return nil, fmt.Errorf("chdir(\"%s\"): %v", gen.QueueDirectory, unwrapErrno(err))
	}
	if p.PreInit != nil {
		if err := p.PreInit(rt); err != nil {
			return nil, err
		}
	}
	if err := confine(args, gen); err != nil {
		return nil, err
	}
	return rt, nil
}

func checkCapabilities(p Program, a *daemonargs.Args) error {
	switch {
	case p.Solitary && !a.Solitary && !a.Standalone:
		return fmt.Errorf("service %s requires a process limit of 1", a.ServiceName)
	case p.Unlimited && !a.Unlimited && !a.Standalone:
		return fmt.Errorf("service %s requires a process limit of 0", a.ServiceName)
	case p.Privileged && a.Unprivileged:
		return fmt.Errorf("service %s requires privileged operation", a.ServiceName)
	case a.Transport == "" && !a.Standalone:
		return fmt.Errorf("no transport type specified")
	case a.Transport != "" && a.Transport != "unix" && a.Transport != "inet" && !a.Standalone:
		return fmt.Errorf("unsupported transport type: %s", a.Transport)
	}
	return nil
}

// confine drops privileges and enters the jail, in the skeletons' order.
func confine(a *daemonargs.Args, gen *config.Generic) error {
	var id privs.Identity
	if a.Unprivileged {
		var err error
		if id, err = privs.Lookup(gen.MailOwner); err != nil {
			return err
		}
	}
	root := ""
	if a.Chroot {
		root = gen.QueueDirectory
	}
	return privs.Confine(id, root)
}

// serve opens the master descriptors and runs the model loop.
func (rt *Runtime) serve(p Program) Reason {
	log := rt.Log
	gen, err := masterstatus.ParseGeneration(os.Getenv("GENERATION"))
	if err != nil {
		log.Fatal(err.Error())
	}
	if p.PostInit == nil {
		log.Fatal("program has no service")
	}
	svc, err := p.PostInit(rt)
	if err != nil {
		log.Fatal(err.Error())
	}
	e := &env{limits: rt.Limits, errorf: log.Errorf}
	if p.PreAccept != nil {
		e.preAccept = func() bool { return p.PreAccept(rt) }
	}
	if rt.Args.Standalone {
		return rt.standalone(svc)
	}
	for i := 0; i < rt.Args.Sockets; i++ {
		ln, err := inheritListener(6 + i)
		if err != nil {
			log.Fatal(err.Error())
		}
		e.listeners = append(e.listeners, ln)
	}
	// Programs we might run must not inherit master's descriptors.
	for _, fd := range []int{3, 4, masterstatus.FD} {
		unix.CloseOnExec(fd)
	}
	ch := masterstatus.New(masterstatus.FD, os.Getpid(), gen)
	e.status, e.masterGone = ch, ch.WatchEOF()
	e.watchdog = NewWatchdog(rt.Limits.WatchdogTimeout, func() { log.Fatal("watchdog timeout") })
	defer e.watchdog.Stop()
	switch s := svc.(type) {
	case MultiService:
		return runMulti(e, s)
	case SingleService:
		return runSingle(e, s)
	case EventService:
		retire := time.Duration(0)
		if p.RetireMe {
			retire = RetireTime(rt.Limits.MaxIdle, rt.Limits.MaxUse)
			if rt.Args.Retire != "" {
				if n, err := strconv.Atoi(rt.Args.Retire); err == nil && n > 0 {
					retire = time.Duration(n) * time.Second
				}
			}
		}
		return runEvent(e, s, retire)
	}
	log.Fatalf("program service of unexpected type %T", svc)
	return Failed
}

// inheritListener wraps a listen descriptor from master. It is already
// non-blocking (master made it so) and shared with sibling processes;
// net.FileListener works on a duplicate and leaves the shared flags as
// they are.
func inheritListener(fd int) (net.Listener, error) {
	f := os.NewFile(uintptr(fd), "listener-"+strconv.Itoa(fd))
	if f == nil {
		return nil, fmt.Errorf("no listen descriptor %d", fd)
	}
	defer f.Close()
	ln, err := net.FileListener(f)
	if err != nil {
		return nil, fmt.Errorf("listen descriptor %d: %w", fd, err)
	}
	return ln, nil
}

// standalone serves one client on stdin (-S), which must be a socket for
// the multi and event models; the single model also accepts a pipe pair.
func (rt *Runtime) standalone(svc any) Reason {
	f := os.NewFile(0, "stdin")
	c, err := net.FileConn(f)
	if err != nil {
		rt.Log.Fatalf("stand-alone mode: stdin is not a socket: %v", err)
	}
	e := &env{status: noStatus{}, limits: rt.Limits, errorf: rt.Log.Errorf}
	switch s := svc.(type) {
	case MultiService:
		e.serveSession(s, c, make(chan struct{}, 1))
	case SingleService:
		s.Serve(c)
	case EventService:
		done := make(chan struct{})
		s.Start(c, func() { close(done) })
		<-done
	}
	return UseLimit
}

func isTerminal(fd int) bool {
	_, err := unix.IoctlGetTermios(fd, unix.TCGETS)
	return err == nil
}

func unwrapErrno(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}
