package config

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
)

// Fixed facts of the Postfix build this package emulates.
const (
	// DefaultConfigDir is the compiled-in configuration directory.
	DefaultConfigDir = "/etc/postfix"
	// ConfigDirEnv names the environment variable that master(8) uses to
	// pass a non-default configuration directory to its children.
	ConfigDirEnv = "MAIL_CONFIG"
	// MailVersion is the value of $mail_version.
	MailVersion = "3.7.11"
	// DictName is the name Postfix gives the configuration dictionary;
	// it appears in the fatal expansion error.
	DictName = "mail_dict"
)

// Parameters that the daemon skeleton itself stores (spec §3.9).
const (
	ParamConfigDirectory = "config_directory"
	ParamProcessName     = "process_name"
	ParamServiceName     = "service_name"
	ParamProcessID       = "process_id"
	ParamMailVersion     = "mail_version"
)

// Dict is the configuration dictionary of one daemon process: main.cf
// entries, then -o overrides, then whatever the daemon stores while it
// loads parameters. Values are kept unexpanded and expanded on use, so
// the order in which a daemon loads parameters decides what $name
// references see (spec §3.4). A Dict is safe for concurrent use, but the
// C order-dependence still applies.
type Dict struct {
	mu        sync.Mutex
	entries   map[string]string
	configDir string // directory main.cf was read from (var_config_dir)
	sys       System
	warn      func(string)
	onUpdate  func(name, value string)
	relops    map[string]relopFunc

	read map[string]bool // names loaded by a typed getter (WasRead)

	hostname   string // cached run-time myhostname default
	mynetworks *string
}

// Option configures a Dict.
type Option func(*Dict)

// WithSystem replaces the machine facts that run-time defaults read
// (hostname, pid, interfaces, accounts). Nil fields use the real machine.
func WithSystem(s System) Option { return func(d *Dict) { d.sys = s } }

// WithWarn receives warnings with Postfix's texts (e.g. "overriding
// earlier entry"), for the daemon to log. By default they are dropped.
func WithWarn(f func(msg string)) Option { return func(d *Dict) { d.warn = f } }

// WithUpdateHook is called for every value stored in the dictionary, in
// order, like the "dict_update: NAME = VALUE" lines of a verbose Postfix
// daemon. Tests use it to compare load order with the C daemons.
func WithUpdateHook(f func(name, value string)) Option {
	return func(d *Dict) { d.onUpdate = f }
}

// New returns an empty dictionary.
func New(opts ...Option) *Dict {
	d := &Dict{entries: map[string]string{}, warn: func(string) {}, relops: defaultRelops()}
	for _, o := range opts {
		o(d)
	}
	return d
}

// ConfigDirFromEnv returns $MAIL_CONFIG, or DefaultConfigDir when unset.
func ConfigDirFromEnv() string {
	if dir, ok := os.LookupEnv(ConfigDirEnv); ok {
		return dir
	}
	return DefaultConfigDir
}

// Load creates a Dict and reads configDir/main.cf into it (configDir ""
// means ConfigDirFromEnv()). Like mail_conf_suck(), it first stores
// config_directory, so main.cf may still override that entry.
func Load(configDir string, opts ...Option) (*Dict, error) {
	d := New(opts...)
	if configDir == "" {
		configDir = ConfigDirFromEnv()
	}
	if err := d.ReadMainCF(configDir); err != nil {
		return nil, err
	}
	return d, nil
}

// ReadMainCF stores config_directory = configDir and then reads
// configDir/main.cf. A missing file is an error "open DIR/main.cf: ...".
func (d *Dict) ReadMainCF(configDir string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.configDir = configDir
	d.set(ParamConfigDirectory, configDir)
	path := configDir + "/main.cf"
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("open %s: %w", path, errnoOf(err))
	}
	defer f.Close()
	return d.loadMainCF(f, path)
}

// LoadMainCF reads main.cf text from r; path is used in messages. Later
// definitions replace earlier ones (and earlier stored values), with
// Postfix's "overriding earlier entry" warning when the value differs.
func (d *Dict) LoadMainCF(r io.Reader, path string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.configDir == "" {
		// Name the directory in "file DIR/main.cf: ..." errors.
		d.configDir = filepath.Dir(path)
	}
	return d.loadMainCF(r, path)
}

func (d *Dict) loadMainCF(r io.Reader, path string) error {
	entries, err := ParseMainCF(r, path, d.warn)
	for _, e := range entries {
		if old, ok := d.entries[e.Name]; ok && old != e.Value {
			d.warn(fmt.Sprintf("%s, line %d: overriding earlier entry: %s=%s", path, e.Line, e.Name, old))
		}
		d.set(e.Name, e.Value)
	}
	return err
}

// Override applies one master.cf "-o name=value" option (whitespace
// around '=' is allowed). It replaces the raw entry, so the value is
// expanded lazily like a main.cf value.
func (d *Dict) Override(nameValue string) error {
	name, value, err := SplitNameValue(cutAtNUL(nameValue))
	if err != nil {
		return fmt.Errorf("invalid \"-o %s\" option value: %s", nameValue, err)
	}
	d.Set(name, value)
	return nil
}

// Set stores a raw (unexpanded) value, like mail_conf_update().
func (d *Dict) Set(name, value string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.set(name, value)
}

func (d *Dict) set(name, value string) {
	name, value = cutAtNUL(name), cutAtNUL(value)
	d.entries[name] = value
	if d.onUpdate != nil {
		d.onUpdate(name, value)
	}
}

// Lookup returns the raw, unexpanded value of name and whether it is
// defined in the dictionary (main.cf, -o, or stored by a getter).
func (d *Dict) Lookup(name string) (string, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	v, ok := d.entries[name]
	return v, ok
}

// Names returns the names defined in the dictionary, sorted.
func (d *Dict) Names() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	names := make([]string, 0, len(d.entries))
	for n := range d.entries {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// LookupEval returns the recursively expanded value of name, like
// mail_conf_lookup_eval(). It does not store defaults.
func (d *Dict) LookupEval(name string) (string, bool, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.lookupEval(name)
}

func (d *Dict) lookupEval(name string) (string, bool, error) {
	v, ok := d.entries[name]
	if !ok {
		return "", false, nil
	}
	v, err := d.eval(v, true)
	return v, true, err
}

// Expand expands $name references in s recursively against the current
// dictionary (mail_conf_eval()). Undefined names expand to nothing.
func (d *Dict) Expand(s string) (string, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.eval(s, true)
}

// ExpandOnce expands one level: values of $name are inserted without
// expanding the references they contain (mail_conf_eval_once()).
func (d *Dict) ExpandOnce(s string) (string, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.eval(s, false)
}

func (d *Dict) eval(s string, recursive bool) (string, error) {
	lookup := func(name string) (string, bool) {
		v, ok := d.entries[name]
		return v, ok
	}
	res := expandString(cutAtNUL(s), lookup, recursive, d.relops)
	if res.failed {
		return "", &ExpandError{Input: s, Warnings: res.warnings}
	}
	return res.text, nil
}

// ExpandError is a syntax error or runaway recursion found while
// expanding. Postfix logs each warning and then exits with the fatal
// message that Error returns.
type ExpandError struct {
	Input    string   // the text being expanded
	Warnings []string // Postfix's warning texts, first problem first
}

// Error returns Postfix's fatal message. Log Warnings first for the cause.
func (e *ExpandError) Error() string {
	return "dictionary " + DictName + ": macro processing error"
}

// errnoOf reduces a *os.PathError to its errno and renders it the way
// strerror() does, so messages read like Postfix's "%m".
func errnoOf(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	var errno syscall.Errno
	if errors.As(err, &errno) {
		return cError{errno}
	}
	return err
}

// cError capitalises the Go errno text to match glibc's strerror()
// ("No such file or directory") while keeping errors.Is working.
type cError struct{ errno syscall.Errno }

func (e cError) Error() string {
	s := e.errno.Error()
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func (e cError) Unwrap() error { return e.errno }
