package maillog

import (
	"io"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coreos/go-systemd/v22/journal"
)

// Environment variables Postfix uses to bootstrap logging before main.cf is
// read.
const (
	EnvLogTag          = "MAIL_LOGTAG"
	EnvPostlogService  = "POSTLOG_SERVICE"
	EnvPostlogHostname = "POSTLOG_HOSTNAME"
)

// defaultTag is the compiled-in syslog_name default used before main.cf is
// read when master did not export MAIL_LOGTAG.
const defaultTag = "postfix"

// Options describe the process; everything except ProcessName is optional
// and exists so tests can observe the logger without side effects.
type Options struct {
	// ProcessName is argv[0]; its base name is the process name.
	ProcessName string
	// Pid goes into every record; 0 means os.Getpid().
	Pid int
	// LookupEnv reads MAIL_LOGTAG and POSTLOG_*; nil means os.LookupEnv.
	LookupEnv func(key string) (string, bool)
	// Now stamps records, formatted in the zone it returns; nil: time.Now.
	Now func() time.Time
	// SyslogPath is the syslog socket; "" means /dev/log.
	SyslogPath string
	// Stderr receives the -V copies; nil means os.Stderr.
	Stderr io.Writer
	// Exit, Sleep and Abort end the process after Fatal/Panic; nil means
	// os.Exit, time.Sleep and death by SIGABRT.
	Exit  func(status int)
	Sleep func(time.Duration)
	Abort func()
	// JournalSend sends to journald; nil means journal.Send.
	JournalSend func(message string, pri journal.Priority, vars map[string]string) error
}

// Logger writes Postfix-format records. It is safe for concurrent use.
type Logger struct {
	opts     Options
	procname string
	pid      int
	// journalInjected: Options.JournalSend was given, so skip the
	// availability probe of the real journald socket.
	journalInjected bool

	mu         sync.Mutex // guards the fields below and serialises output
	ident      string
	tag        string
	configured bool
	postlog    bool   // postlog mode, else syslog/journald
	host       string // myhostname for postlog records and POSTLOG_HOSTNAME
	facility   int
	utf8       bool
	journald   bool
	stderr     bool
	syslogSock *logSocket
	postSock   *logSocket
	errorCount int
	cleanups   []func()

	verbose atomic.Int32
	exiting atomic.Bool // set by the first Fatal/Panic; stops recursion
}

// New starts logging from the environment alone, as a daemon does before it
// has read main.cf, and connects the log socket right away so that it
// survives a later chroot.
func New(opts Options) *Logger {
	if opts.Pid == 0 {
		opts.Pid = os.Getpid()
	}
	if opts.LookupEnv == nil {
		opts.LookupEnv = os.LookupEnv
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.SyslogPath == "" {
		opts.SyslogPath = "/dev/log"
	}
	if opts.Stderr == nil {
		opts.Stderr = os.Stderr
	}
	if opts.Exit == nil {
		opts.Exit = os.Exit
	}
	if opts.Sleep == nil {
		opts.Sleep = time.Sleep
	}
	if opts.Abort == nil {
		opts.Abort = abortProcess
	}
	journalInjected := opts.JournalSend != nil
	if !journalInjected {
		opts.JournalSend = journal.Send
	}
	// Load the local zone now: after chroot /etc/localtime is unreachable.
	_, _ = time.Now().Zone()

	l := &Logger{opts: opts, procname: processName(opts.ProcessName), pid: opts.Pid, journalInjected: journalInjected}
	tag, ok := opts.LookupEnv(EnvLogTag)
	if !ok {
		tag = defaultTag
	}
	l.setIdent(tag)
	l.facility = facilityMail
	if path := l.env(EnvPostlogService); path != "" {
		l.postlog = true
		l.host = l.env(EnvPostlogHostname)
		if l.host == "" {
			l.host = "amnesiac"
		}
		l.postSock = newPostlogSocket(path)
		l.postSock.connect()
	} else {
		l.syslogSock = newSyslogSocket(opts.SyslogPath)
		l.syslogSock.connect()
	}
	return l
}

// processName is mail_task()'s rule: the part after the last slash unless
// that is empty.
func processName(argv0 string) string {
	if argv0 == "" {
		return "unknown"
	}
	if i := strings.LastIndexByte(argv0, '/'); i >= 0 && i+1 < len(argv0) {
		return argv0[i+1:]
	}
	return argv0
}

// env returns a variable's value, empty when unset.
func (l *Logger) env(key string) string {
	v, _ := l.opts.LookupEnv(key)
	return v
}

func (l *Logger) setIdent(tag string) {
	l.tag = tag
	l.ident = tag + "/" + l.procname
}

// Ident returns the current "<tag>/<process name>", e.g. for messages a
// daemon prints to stderr itself.
func (l *Logger) Ident() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.ident
}

// AddCleanup registers a hook that Fatal runs after logging and before
// exiting (msg_cleanup); hooks run last-added first.
func (l *Logger) AddCleanup(fn func()) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.cleanups = append(l.cleanups, fn)
}

// Close releases the log sockets; later records reconnect if they can.
// The error is always nil; it exists so Logger is an io.Closer.
func (l *Logger) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, s := range []*logSocket{l.syslogSock, l.postSock} {
		if s != nil {
			s.close()
		}
	}
	return nil
}

// emit formats one record for every active channel.
func (l *Logger) emit(sev severity, text string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	text = sanitize(text, l.utf8)
	switch {
	case l.postlog:
		l.postSock.send(postlogRecord(l.opts.Now(), l.host, l.ident, l.pid, sev, text))
	case l.journald && l.sendJournal(sev, text) == nil:
		// Delivered; a failed journald send falls through to syslog.
	default:
		l.syslogSock.send(syslogRecord(l.opts.Now(), l.facility, l.ident, l.pid, sev, text))
	}
	if l.stderr {
		_, _ = l.opts.Stderr.Write(stderrRecord(l.ident, sev, text))
	}
}
