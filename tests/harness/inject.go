package harness

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"testing"
	"time"
)

// InjectOptions describe an smtp-source(1) run against the instance.
type InjectOptions struct {
	Messages   int           // total messages (-m), spread over the sessions; default 1
	Sessions   int           // SMTP sessions in parallel (-s); default 1
	Recipients int           // recipients per message (-r); smtp-source prepends a number to To; default 1
	From       string        // envelope sender (-f); default "sender@source.test"
	To         string        // recipient (-t); default "rcpt@example.com"
	Size       int           // payload bytes (-l); 0 keeps smtp-source's small default
	Reuse      bool          // send a session's messages over one connection (-d)
	Unique     bool          // prepend a sequence number to recipients (-N)
	Args       []string      // more smtp-source options
	Addr       string        // server; default the instance's smtpd
	Timeout    time.Duration // bound for the whole run; default 5m
}

// Injection is a running smtp-source.
type Injection struct {
	c       *child
	timeout time.Duration
}

var injectSeq atomic.Int64

// InjectAsync starts smtp-source and returns at once; call Wait.
func (in *Instance) InjectAsync(t testing.TB, o InjectOptions) *Injection {
	t.Helper()
	if o.Messages == 0 {
		o.Messages = 1
	}
	if o.Sessions == 0 {
		o.Sessions = 1
	}
	if o.Recipients == 0 {
		o.Recipients = 1
	}
	if o.From == "" {
		o.From = "sender@source.test"
	}
	if o.To == "" {
		o.To = "rcpt@example.com"
	}
	if o.Addr == "" {
		o.Addr = in.SMTPDAddr
	}
	if o.Timeout == 0 {
		o.Timeout = 5 * time.Minute
	}
	args := []string{
		"-m", strconv.Itoa(o.Messages), "-s", strconv.Itoa(o.Sessions),
		"-r", strconv.Itoa(o.Recipients), "-f", o.From, "-t", o.To,
	}
	if o.Size > 0 {
		args = append(args, "-l", strconv.Itoa(o.Size))
	}
	if o.Reuse {
		args = append(args, "-d")
	}
	if o.Unique {
		args = append(args, "-N")
	}
	args = append(append(args, o.Args...), o.Addr)
	out := filepath.Join(in.Dir, fmt.Sprintf("inject-%d.out", injectSeq.Add(1)))
	c, err := in.startChild("smtp-source", exec.Command("smtp-source", args...), out)
	if err != nil {
		t.Fatal(err)
	}
	return &Injection{c: c, timeout: o.Timeout}
}

// Wait waits for smtp-source to finish within InjectOptions.Timeout and
// reports a non-zero exit (smtp-source aborts on any unexpected server
// reply).
func (j *Injection) Wait() error { return j.c.wait(j.timeout) }

// Inject sends mail with smtp-source and fails t unless every message was
// accepted. When it returns, all messages are in the queue.
func (in *Instance) Inject(t testing.TB, o InjectOptions) {
	t.Helper()
	if err := in.InjectAsync(t, o).Wait(); err != nil {
		t.Fatalf("inject into %s: %v", in.SMTPDAddr, err)
	}
}
