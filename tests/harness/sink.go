package harness

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// SinkOptions describe an smtp-sink(1) server.
type SinkOptions struct {
	Port    int      // 0: Instance.SinkPort, where relayhost points
	Save    bool     // dump every transaction to its own file (-d) for Messages
	LMTP    bool     // speak LMTP (-L)
	Args    []string // more smtp-sink options, e.g. "-r", "rcpt" (soft-reject RCPT)
	Backlog int      // listen(2) backlog; default 1000
}

// Sink is a running smtp-sink. It always runs with -c, so Counters works
// with or without Save.
type Sink struct {
	Port    int
	Addr    string // "127.0.0.1:Port"
	DumpDir string // where Save puts one file per transaction; "" without Save
	c       *child
}

// StartSink starts smtp-sink on 127.0.0.1 and waits until it listens.
// It runs as user postfix (smtp-sink refuses to run as root) and is
// stopped when the test ends.
func (in *Instance) StartSink(t testing.TB, o SinkOptions) *Sink {
	t.Helper()
	s, err := in.startSink(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Stop() })
	return s
}

func (in *Instance) startSink(o SinkOptions) (*Sink, error) {
	if o.Port == 0 {
		o.Port = in.SinkPort
	}
	if o.Backlog == 0 {
		o.Backlog = 1000
	}
	s := &Sink{Port: o.Port, Addr: fmt.Sprintf("127.0.0.1:%d", o.Port)}
	args := []string{"-u", "postfix", "-c"}
	if o.Save {
		s.DumpDir = filepath.Join(in.Dir, fmt.Sprintf("sink-%d", o.Port))
		if err := mkdirPostfix(s.DumpDir); err != nil {
			return nil, err
		}
		// smtp-sink appends a random hex id and opens with O_EXCL,
		// retrying on collision, so names never clash.
		args = append(args, "-d", s.DumpDir+"/%Y%m%d%H%M%S.")
	}
	if o.LMTP {
		args = append(args, "-L")
	}
	args = append(append(args, o.Args...), s.Addr, strconv.Itoa(o.Backlog))
	out := filepath.Join(in.Dir, fmt.Sprintf("sink-%d.out", o.Port))
	c, err := in.startChild("smtp-sink", exec.Command("smtp-sink", args...), out)
	if err != nil {
		return nil, err
	}
	s.c = c
	// Probe via /proc/net/tcp, not by connecting: a probe connection
	// would show up in the session counter.
	err = poll(10*time.Second, func() (bool, error) {
		if c.exited() {
			return false, fmt.Errorf("smtp-sink on %s exited: %v: %s", s.Addr, c.err, c.output())
		}
		return tcpListening(o.Port)
	}, func() string { return "smtp-sink not listening on " + s.Addr })
	if err != nil {
		c.stop()
		return nil, err
	}
	return s, nil
}

// mkdirPostfix creates a directory that user postfix can write.
func mkdirPostfix(dir string) error {
	ids, err := PostfixUser()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("mkdir %s: %w", dir, err)
	}
	if err := os.Chown(dir, ids.UID, ids.GID); err != nil {
		return fmt.Errorf("chown %s: %w", dir, err)
	}
	return nil
}

// Stop stops the sink; cached connections to it break.
func (s *Sink) Stop() { s.c.stop() }

// SinkCounters are smtp-sink's -c counters.
type SinkCounters struct {
	Sessions int // connections that ended
	Quits    int // QUIT commands
	Messages int // completed DATA transactions
}

var sinkCounterRE = regexp.MustCompile(`sess=(\d+) quit=(\d+) mesg=(\d+)`)

// Counters returns the latest counters; smtp-sink prints them with a
// carriage return after every session end, QUIT and ".".
func (s *Sink) Counters() (SinkCounters, error) {
	b, err := os.ReadFile(s.c.out)
	if err != nil {
		return SinkCounters{}, fmt.Errorf("read sink counters: %w", err)
	}
	m := sinkCounterRE.FindAllStringSubmatch(string(b), -1)
	if len(m) == 0 {
		return SinkCounters{}, nil
	}
	last := m[len(m)-1]
	var c SinkCounters
	c.Sessions, _ = strconv.Atoi(last[1])
	c.Quits, _ = strconv.Atoi(last[2])
	c.Messages, _ = strconv.Atoi(last[3])
	return c, nil
}

// WaitMessages waits until the sink has received at least n messages.
func (s *Sink) WaitMessages(n int, timeout time.Duration) error {
	var c SinkCounters
	return poll(timeout, func() (bool, error) {
		var err error
		c, err = s.Counters()
		return c.Messages >= n, err
	}, func() string { return fmt.Sprintf("sink %s got %d of %d messages", s.Addr, c.Messages, n) })
}

// SinkMessage is one transaction dumped by a sink started with Save.
type SinkMessage struct {
	File       string
	ClientAddr string   // X-Client-Addr
	Proto      string   // X-Client-Proto: SMTP, ESMTP or LMTP
	Helo       string   // X-Helo-Args
	MailArgs   string   // X-Mail-Args: "<from> SIZE=..."
	RcptArgs   []string // X-Rcpt-Args, one per RCPT: "<to> ORCPT=..."
	QueueID    string   // from the "(Postfix) with ... id" Received header our instance added
	MessageID  string   // Message-Id header, without angle brackets
	Content    string   // header and body as received
}

// Rcpts returns the recipient addresses without brackets and parameters.
func (m SinkMessage) Rcpts() []string {
	out := make([]string, len(m.RcptArgs))
	for i, a := range m.RcptArgs {
		addr, _, _ := strings.Cut(a, " ")
		out[i] = strings.Trim(addr, "<>")
	}
	return out
}

var (
	postfixIDRE = regexp.MustCompile(`(?m)^\s+by \S+ \(Postfix\) with \S+ id ([0-9A-Za-z]+)`)
	msgIDRE     = regexp.MustCompile(`(?mi)^Message-Id:\s*<?([^>\s]+)>?`)
)

// Messages parses every dumped transaction (Save only). Call it after
// the deliveries are done: a transaction in progress has a partial file.
func (s *Sink) Messages() ([]SinkMessage, error) {
	if s.DumpDir == "" {
		return nil, fmt.Errorf("sink %s was started without Save", s.Addr)
	}
	ents, err := os.ReadDir(s.DumpDir)
	if err != nil {
		return nil, fmt.Errorf("list sink dumps: %w", err)
	}
	var out []SinkMessage
	for _, e := range ents {
		if !e.Type().IsRegular() {
			continue
		}
		path := filepath.Join(s.DumpDir, e.Name())
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("read sink dump: %w", err)
		}
		out = append(out, parseSinkDump(path, string(b)))
	}
	return out, nil
}

// parseSinkDump splits smtp-sink's own X- headers and three-line
// Received header from the message as received.
func parseSinkDump(path, text string) SinkMessage {
	m := SinkMessage{File: path}
	rest := text
	for rest != "" {
		line, next, _ := strings.Cut(rest, "\n")
		k, v, _ := strings.Cut(line, ": ")
		switch k {
		case "X-Client-Addr":
			m.ClientAddr = v
		case "X-Client-Proto":
			m.Proto = v
		case "X-Helo-Args":
			m.Helo = v
		case "X-Mail-Args":
			m.MailArgs = v
		case "X-Rcpt-Args":
			m.RcptArgs = append(m.RcptArgs, v)
		case "Received":
			// Its two continuation lines end smtp-sink's part.
			for range 2 {
				_, next, _ = strings.Cut(next, "\n")
			}
			m.Content = next
			next = ""
		}
		rest = next
	}
	if sm := postfixIDRE.FindStringSubmatch(m.Content); sm != nil {
		m.QueueID = sm[1]
	}
	if sm := msgIDRE.FindStringSubmatch(m.Content); sm != nil {
		m.MessageID = sm[1]
	}
	return m
}
