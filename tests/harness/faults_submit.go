package harness

import (
	"fmt"
	"net/smtp"
	"regexp"
	"strings"
	"time"
)

// Submission is one message for Submit. Unlike smtp-source, every
// message gets its own recipients and a Message-Id the test chose, so
// that deliveries can be counted per message at a fake server.
type Submission struct {
	From      string   // envelope sender; default "sender@source.test"
	To        []string // envelope recipients, also listed in the To header
	MessageID string   // without angle brackets
	BodyBytes int      // approximate body size; 0 gives one short line
}

// Submit sends msgs to the instance's smtpd over one plain SMTP session
// (no STARTTLS: the stock config offers it with a snake-oil certificate).
// When it returns, every message is in the queue.
func (in *Instance) Submit(msgs []Submission) error {
	c, err := smtp.Dial(in.SMTPDAddr)
	if err != nil {
		return fmt.Errorf("submit: %w", err)
	}
	defer c.Close()
	if err := c.Hello("client.test"); err != nil {
		return fmt.Errorf("submit: EHLO: %w", err)
	}
	for _, m := range msgs {
		if err := submitOne(c, m); err != nil {
			return fmt.Errorf("submit %s: %w", m.MessageID, err)
		}
	}
	return c.Quit()
}

func submitOne(c *smtp.Client, m Submission) error {
	from := m.From
	if from == "" {
		from = "sender@source.test"
	}
	if err := c.Mail(from); err != nil {
		return err
	}
	for _, to := range m.To {
		if err := c.Rcpt(to); err != nil {
			return err
		}
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "From: <%s>\r\nTo: %s\r\nSubject: fault test %s\r\nMessage-Id: <%s>\r\nDate: %s\r\n\r\n",
		from, strings.Join(m.To, ", "), m.MessageID, m.MessageID, time.Now().Format(time.RFC1123Z))
	b.WriteString("first line of " + m.MessageID + "\r\n")
	line := strings.Repeat("x", 76) + "\r\n"
	for n := 0; n < m.BodyBytes; n += len(line) {
		b.WriteString(line)
	}
	if _, err := w.Write([]byte(b.String())); err != nil {
		return err
	}
	return w.Close()
}

// Flush asks the queue manager to retry all deferred mail now
// ("postqueue -f"), ignoring the retry times and dead destinations.
func (in *Instance) Flush() error {
	_, err := in.run("postqueue", "-c", in.ConfigDir, "-f")
	return err
}

// Postcat returns the envelope records of a queued message ("postcat -e
// -q"); recipients already marked done show as "done_recipient:".
func (in *Instance) Postcat(queueID string) (string, error) {
	return in.run("postcat", "-c", in.ConfigDir, "-e", "-q", queueID)
}

var cleanupMsgIDRE = regexp.MustCompile(`^([0-9A-Za-z]+): message-id=<([^>]*)>`)

// QueueIDsByMessageID maps Message-Id (without brackets) to the queue id
// that cleanup(8) logged for it; a Message-Id seen twice keeps the first.
func (in *Instance) QueueIDsByMessageID() (map[string]string, error) {
	ls, err := in.LogLines()
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, l := range ls.Program("cleanup") {
		if m := cleanupMsgIDRE.FindStringSubmatch(l.Text); m != nil {
			if _, seen := out[m[2]]; !seen {
				out[m[2]] = m[1]
			}
		}
	}
	return out, nil
}

// FlushUntilEmpty flushes the queue every interval until no message is
// left in any queue directory or timeout passes. Repeating the flush
// gets past the throttling that follows a crash (the transport or the
// master service may still be suspended at the first flush).
func (in *Instance) FlushUntilEmpty(interval, timeout time.Duration) error {
	var last map[string]int
	var flushed time.Time
	return poll(timeout, func() (bool, error) {
		c, err := in.QueueCounts()
		if err != nil {
			return false, err
		}
		last = c
		if c["maildrop"]+c["incoming"]+c["active"]+c["deferred"]+c["hold"] == 0 {
			return true, nil
		}
		if time.Since(flushed) >= interval {
			flushed = time.Now()
			if err := in.Flush(); err != nil {
				return false, err
			}
		}
		return false, nil
	}, func() string {
		return "queue not empty after repeated flushes: " + formatCounts(last) + "; reasons: " + in.deferReasons()
	})
}
