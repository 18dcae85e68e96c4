package harness

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// child is a helper program we started (smtp-sink, smtp-source). The
// instance tracks them so its cleanup can kill whatever a failed test
// left running.
type child struct {
	name string
	cmd  *exec.Cmd
	out  string // file holding stdout+stderr
	done chan struct{}
	err  error // exit status; valid once done is closed
}

// startChild starts cmd with stdout/stderr going to outFile.
func (in *Instance) startChild(name string, cmd *exec.Cmd, outFile string) (*child, error) {
	f, err := os.OpenFile(outFile, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	defer f.Close() // the child has its own copy
	cmd.Stdout, cmd.Stderr = f, f
	cmd.Env = append(os.Environ(), "MAIL_CONFIG="+in.ConfigDir)
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	c := &child{name: name, cmd: cmd, out: outFile, done: make(chan struct{})}
	go func() {
		c.err = cmd.Wait()
		close(c.done)
	}()
	in.mu.Lock()
	in.children = append(in.children, c)
	in.mu.Unlock()
	return c, nil
}

func (c *child) exited() bool {
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}

// wait waits for the child to exit by itself.
func (c *child) wait(timeout time.Duration) error {
	select {
	case <-c.done:
	case <-time.After(timeout):
		c.stop()
		return fmt.Errorf("%s did not finish within %v (killed); output:\n%s", c.name, timeout, c.output())
	}
	if c.err != nil {
		return fmt.Errorf("%s: %v; output:\n%s", c.name, c.err, c.output())
	}
	return nil
}

// stop ends the child: SIGTERM first so it can flush, then SIGKILL.
func (c *child) stop() {
	if c.exited() {
		return
	}
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-c.done:
	case <-time.After(killTimeout):
		_ = c.cmd.Process.Kill()
		<-c.done
	}
}

func (c *child) output() string {
	b, err := os.ReadFile(c.out)
	if err != nil {
		return err.Error()
	}
	return strings.TrimSpace(string(b))
}

// killChildren stops every helper program still running.
func (in *Instance) killChildren() {
	in.mu.Lock()
	cs := in.children
	in.children = nil
	in.mu.Unlock()
	for _, c := range cs {
		c.stop()
	}
}
