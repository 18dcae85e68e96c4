package harness

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

// KeepEnv names an environment variable; when it is non-empty, instance
// directories are kept even after a passing test, for inspection.
const KeepEnv = "POSTFIX_GO_KEEP"

// Options configure a private instance.
type Options struct {
	// MainCF holds extra main.cf settings, applied after the harness
	// defaults so they can override them (postconf -e name=value).
	MainCF map[string]string
	// MasterParams adds -o overrides to master.cf services, each as
	// "service/type/name=value", e.g.
	// "scache/unix/connection_cache_status_update_time=2s" (postconf -P).
	MasterParams []string
	// MasterFields sets master.cf fields, each as
	// "service/type/field=value", e.g. "scache/unix/command=scache -v"
	// or "scache/unix/process_limit=1" (postconf -F).
	MasterFields []string
	// MasterEntries adds or replaces whole master.cf entries, each as
	// "service/type=complete line", e.g.
	// "scache/unix=scache unix - - y - 1 scache -o max_idle=12s" (postconf -M).
	MasterEntries []string
	// Replace swaps daemons: master.cf command name ("scache", "smtp",
	// "lmtp", "tlsproxy", ...) to the binary to run instead of the stock
	// one. The binary is copied into the instance, so later rebuilds do
	// not affect a running test.
	Replace map[string]string
	// NoStart leaves the instance configured but stopped; call Start.
	NoStart bool
}

// Instance is one private Postfix instance.
type Instance struct {
	Dir        string // instance root, 0755, under os.TempDir()
	ConfigDir  string // main.cf and master.cf; pass as "-c" to Postfix commands
	Spool      string // queue_directory, also the chroot directory
	Libexec    string // daemon_directory
	Maillog    string // maillog_file
	SyslogName string // syslog_name: the tag prefix of every maillog line
	SMTPDPort  int    // smtpd(8) listens on 127.0.0.1:SMTPDPort
	SMTPDAddr  string // "127.0.0.1:SMTPDPort"
	SinkPort   int    // relayhost is [127.0.0.1]:SinkPort; StartSink listens there by default

	t          testing.TB
	mu         sync.Mutex
	masterPID  int // of the running master, 0 when stopped
	lastMaster int // most recent master pid: its process group outlives it
	children   []*child
}

// New creates, configures and (unless opts.NoStart) starts a private
// instance, and registers a cleanup that stops it, kills whatever it
// left behind and removes its directory unless the test failed.
func New(t testing.TB, opts Options) *Instance {
	t.Helper()
	Require(t)
	in, err := create(t)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(in.cleanup)
	if err := in.configure(opts); err != nil {
		t.Fatalf("configure instance %s: %v", in.Dir, err)
	}
	if opts.NoStart {
		return in
	}
	if err := in.Start(); err != nil {
		t.Fatal(err)
	}
	return in
}

func create(t testing.TB) (in *Instance, err error) {
	tmp := os.TempDir()
	if err := checkTraversable(tmp); err != nil {
		return nil, fmt.Errorf("instance parent: %w", err)
	}
	dir, err := os.MkdirTemp(tmp, "postfix-go-"+sanitize(t.Name())+"-")
	if err != nil {
		return nil, fmt.Errorf("create instance dir: %w", err)
	}
	defer func() {
		if err != nil {
			os.RemoveAll(dir)
		}
	}()
	// MkdirTemp makes 0700; postfix daemons must traverse it.
	if err := os.Chmod(dir, 0o755); err != nil {
		return nil, fmt.Errorf("chmod instance dir: %w", err)
	}
	ports, err := freePorts(2)
	if err != nil {
		return nil, err
	}
	var tag [3]byte
	if _, err := rand.Read(tag[:]); err != nil {
		return nil, fmt.Errorf("syslog tag: %w", err)
	}
	return &Instance{
		Dir:        dir,
		ConfigDir:  filepath.Join(dir, "etc"),
		Spool:      filepath.Join(dir, "spool"),
		Libexec:    filepath.Join(dir, "libexec"),
		Maillog:    filepath.Join(dir, "maillog"),
		SyslogName: "pft" + hex.EncodeToString(tag[:]),
		SMTPDPort:  ports[0],
		SMTPDAddr:  fmt.Sprintf("127.0.0.1:%d", ports[0]),
		SinkPort:   ports[1],
		t:          t,
	}, nil
}

// cleanup runs at the end of the test that called New.
func (in *Instance) cleanup() {
	t := in.t
	in.killChildren()
	if err := in.Stop(); err != nil {
		t.Errorf("stop instance: %v", err)
	}
	// Stop already killed leftovers it could attribute to the master;
	// sweep once more for anything else running from the directory.
	if left := in.killLeftovers(); len(left) > 0 {
		t.Errorf("instance %s: killed leftover processes:\n%s", in.Dir, procList(left))
	}
	if t.Failed() {
		in.logFailureContext()
		return
	}
	if os.Getenv(KeepEnv) != "" {
		t.Logf("%s set: keeping Postfix instance %s", KeepEnv, in.Dir)
		return
	}
	if err := os.RemoveAll(in.Dir); err != nil {
		t.Errorf("remove instance dir: %v", err)
	}
}

// logFailureContext keeps the directory and points at what is useful.
func (in *Instance) logFailureContext() {
	t := in.t
	t.Logf("test failed: keeping Postfix instance %s (maillog %s)", in.Dir, in.Maillog)
	ls, err := in.LogLines()
	if err != nil {
		t.Logf("read maillog: %v", err)
		return
	}
	p := ls.Problems()
	if len(p) > 40 {
		p = p[len(p)-40:]
	}
	if len(p) > 0 {
		t.Logf("last warning/error/fatal/panic maillog lines:\n%s", p)
	}
}

// DaemonPath is where master(8) finds the named daemon in this
// instance; /proc/PID/exe of a daemon we swapped in points here.
func (in *Instance) DaemonPath(name string) string { return filepath.Join(in.Libexec, name) }

// TLSProxyEntry is the master.cf entry Debian ships commented out; add
// it with Options.MasterEntries when a test needs tlsproxy(8) (e.g. for
// smtp_tls_connection_reuse=yes).
const TLSProxyEntry = "tlsproxy/unix=tlsproxy unix - - y - 0 tlsproxy"
