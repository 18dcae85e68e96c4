package faultsink

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"strings"
)

// session is one SMTP connection.
type session struct {
	s  *Server
	c  net.Conn
	r  *bufio.Reader
	tx *Message
}

func (s *Server) serve(c net.Conn) {
	defer s.wg.Done()
	defer func() {
		c.Close()
		s.mu.Lock()
		delete(s.conns, c)
		s.mu.Unlock()
	}()
	ss := &session{s: s, c: c, r: bufio.NewReaderSize(c, 64<<10)}
	if s.pause(StepConnect, nil) || ss.reply("220 faultsink ESMTP") != nil || s.pause(StepGreeting, nil) {
		return
	}
	for {
		line, err := ss.r.ReadString('\n')
		if err != nil {
			return
		}
		if ss.command(strings.TrimRight(line, "\r\n")) != nil {
			return
		}
	}
}

func (ss *session) reply(text string) error {
	_, err := io.WriteString(ss.c, text+"\r\n")
	return err
}

// silent stops answering and discards input until the client leaves, as
// a server that hangs would.
func (ss *session) silent() error {
	_, _ = io.Copy(io.Discard, ss.c)
	return errEnd
}

// command handles one command line; an error ends the session.
func (ss *session) command(line string) error {
	verb, arg, _ := strings.Cut(line, " ")
	s := ss.s
	switch strings.ToUpper(verb) {
	case "EHLO":
		if err := ss.reply("250-faultsink\r\n250-PIPELINING\r\n250-8BITMIME\r\n250 ENHANCEDSTATUSCODES"); err != nil {
			return err
		}
		return endIf(s.pause(StepEHLO, nil))
	case "HELO":
		if err := ss.reply("250 faultsink"); err != nil {
			return err
		}
		return endIf(s.pause(StepEHLO, nil))
	case "MAIL":
		ss.tx = &Message{From: address(arg, "FROM:")}
		if err := ss.reply("250 2.1.0 Ok"); err != nil {
			return err
		}
		return endIf(s.pause(StepMail, ss.tx))
	case "RCPT":
		return ss.rcpt(address(arg, "TO:"))
	case "DATA":
		return ss.data()
	case "RSET":
		ss.tx = nil
		return ss.reply("250 2.0.0 Ok")
	case "NOOP":
		return ss.reply("250 2.0.0 Ok")
	case "QUIT":
		_ = ss.reply("221 2.0.0 Bye")
		return errEnd
	}
	return ss.reply("502 5.5.2 Error: command not recognized")
}

func (ss *session) rcpt(addr string) error {
	if ss.tx == nil {
		return ss.reply("503 5.5.1 Error: need MAIL command")
	}
	f := Accept
	if fn := ss.s.config().Faults; fn != nil {
		f = fn(addr)
	}
	switch f {
	case SoftReject:
		return ss.reply(fmt.Sprintf("450 4.2.0 <%s>: Recipient address rejected: try again later", addr))
	case HardReject:
		return ss.reply(fmt.Sprintf("550 5.1.1 <%s>: Recipient address rejected: no such user", addr))
	case SilentRcpt:
		return ss.silent()
	case DropContent, SilentDot:
		ss.tx.fault = f
	}
	ss.tx.Rcpts = append(ss.tx.Rcpts, addr)
	return ss.reply("250 2.1.5 Ok")
}

func (ss *session) data() error {
	s, tx := ss.s, ss.tx
	if tx == nil || len(tx.Rcpts) == 0 {
		return ss.reply("554 5.5.1 Error: no valid recipients")
	}
	if s.pause(StepRcpt, tx) {
		return errEnd
	}
	if err := ss.reply("354 End data with <CR><LF>.<CR><LF>"); err != nil {
		return err
	}
	if s.pause(StepData, tx) {
		return errEnd
	}
	if err := ss.content(tx); err != nil {
		return err
	}
	if tx.fault == SilentDot {
		return ss.silent()
	}
	s.commit(tx)
	if s.pause(StepDot, tx) {
		return errEnd
	}
	ss.tx = nil
	if err := ss.reply("250 2.0.0 Ok: queued"); err != nil {
		return err
	}
	return endIf(s.pause(StepDotReplied, tx))
}

// content reads the message up to the final ".", dropping the connection
// or pausing once ContentBytes have arrived when the configuration says
// so.
func (ss *session) content(tx *Message) error {
	n, midway := 0, false
	var long []byte // a line longer than the read buffer, so far
	for {
		// ReadSlice avoids an allocation per line: megabytes of
		// content must not make a healthy reply to "." late.
		b, err := ss.r.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			long = append(long, b...)
			continue
		}
		if err != nil {
			return err
		}
		line := b
		if long != nil {
			line, long = append(long, b...), nil
		}
		if string(line) == ".\r\n" || string(line) == ".\n" {
			if !midway && ss.s.pause(StepContent, tx) {
				return errEnd
			}
			return nil
		}
		n += len(line)
		tx.Data = append(tx.Data, bytes.TrimPrefix(line, []byte("."))...)
		if n < ss.s.ContentBytes || midway {
			continue
		}
		midway = true
		if tx.fault == DropContent {
			return errEnd // the deferred Close drops the connection
		}
		if ss.s.pause(StepContent, tx) {
			return errEnd
		}
	}
}

// address extracts the mailbox from "FROM:<a@b> SIZE=1" or "TO:<a@b>".
func address(arg, prefix string) string {
	if len(arg) >= len(prefix) && strings.EqualFold(arg[:len(prefix)], prefix) {
		arg = arg[len(prefix):]
	}
	arg = strings.TrimSpace(arg)
	if i := strings.IndexByte(arg, '>'); strings.HasPrefix(arg, "<") && i > 0 {
		return arg[1:i]
	}
	a, _, _ := strings.Cut(arg, " ")
	return a
}

func endIf(end bool) error {
	if end {
		return errEnd
	}
	return nil
}
