package deliver

import (
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/postfix-go/postfix-go/master-compat/attr"
)

// sentinel is an error constant: the package keeps no mutable state, not
// even error variables.
type sentinel string

func (e sentinel) Error() string { return string(e) }

const (
	// ErrNoRequest: qmgr went away before sending anything. This happens
	// when it changes its mind after connecting (the destination went
	// bad); stock returns quietly without a reply, and so should callers.
	// A read error before the first byte counts the same, as in stock.
	ErrNoRequest = sentinel("qmgr closed the connection without a delivery request")
	// ErrBadRequest: the request was malformed or failed a check. Read
	// has already logged what stock logs; the caller answers with
	// StatDefer and an empty hop status, and does not deliver.
	ErrBadRequest = sentinel("bad delivery request")

	// errShort: a list ended early or had an unexpected attribute.
	errShort = sentinel("attribute list ended early or out of order")
)

// DefaultMaxRecipients caps recipient_count when Decoder.MaxRecipients is
// zero. Stock has no cap; qmgr puts at most the recipients it holds in
// memory for one message into a request, which qmgr_recipient_limit
// (default 20000) bounds, so five times that leaves room for tuned
// installations while keeping a corrupt count from driving the loop.
const DefaultMaxRecipients = 100000

// Decoder holds the settings of Read. The zero value behaves like stock
// except for the recipient cap.
type Decoder struct {
	// MaxRecipients caps recipient_count; zero means DefaultMaxRecipients.
	MaxRecipients int
	// QueueFileOK, if set, is called where stock finishes
	// mail_open_ok(): after the message attributes and the queue name and
	// ID checks, before any recipient is read. It stats the queue file
	// (regular file, owner bits exactly rwx) and logs what stock logs; a
	// non-nil error rejects the request.
	QueueFileOK func(queueName, queueID string) error
	// Now stamps Stats.AgentHandoff; nil means time.Now.
	Now func() time.Time
}

// Read reads one delivery request with a zero Decoder.
func Read(sc *attr.Scanner) (*Request, error) {
	var d Decoder
	return d.Read(sc)
}

// Read waits for qmgr's request and decodes it.
//
// Stock waits for the first byte without a time limit and reads the rest
// with ipc_timeout per read. Callers get the same by waiting for the first
// byte themselves (sc.Reader().Peek(1)), then setting a read deadline,
// then calling Read.
//
// Errors: ErrNoRequest when the connection ended or failed before the
// first byte (no reply is due); ErrBadRequest, wrapping the detail, for
// everything else (reply StatDefer). Every warning stock logs on the way has been
// passed to sc.Warn, in stock's order, so callers should not log the error
// again.
func (d *Decoder) Read(sc *attr.Scanner) (*Request, error) {
	if _, err := sc.Reader().Peek(1); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrNoRequest, err)
	}
	r := new(Request)
	count, err := readMessage(sc, r)
	if err != nil {
		return nil, reject(sc, "deliver_request_get: error receiving common attributes", err)
	}
	if err := d.checkQueueFile(sc, r); err != nil {
		return nil, err
	}
	if !stamped(r.Stats.AgentHandoff) {
		// A request passed on by another agent keeps its hand-off time.
		r.Stats.AgentHandoff = d.now()
	}
	limit := d.MaxRecipients
	if limit <= 0 {
		limit = DefaultMaxRecipients
	}
	switch {
	case count <= 0:
		return nil, reject(sc, fmt.Sprintf("%s: no recipients in delivery request for destination %s", r.QueueID, r.Nexthop), nil)
	case count > limit:
		// No stock counterpart: stock would go on reading.
		return nil, reject(sc, fmt.Sprintf("deliver_request_get: recipient count %d exceeds limit %d", count, limit), nil)
	}
	if r.Recipients, err = readRecipients(sc, count); err != nil {
		return nil, reject(sc, "deliver_request_get: error receiving recipient attributes", err)
	}
	return r, nil
}

func (d *Decoder) now() time.Time {
	if d.Now != nil {
		return d.Now()
	}
	return time.Now()
}

// checkQueueFile applies mail_open_ok(): a bad queue name is logged, a bad
// queue ID is not (stock is silent about it, as about a missing file).
func (d *Decoder) checkQueueFile(sc *attr.Scanner, r *Request) error {
	if !queueNameOK(r.QueueName) {
		return reject(sc, "bad mail queue name: "+r.QueueName, nil)
	}
	if !queueIDOK(r.QueueID) {
		return fmt.Errorf("%w: bad queue ID %q", ErrBadRequest, r.QueueID)
	}
	if d.QueueFileOK != nil {
		if err := d.QueueFileOK(r.QueueName, r.QueueID); err != nil {
			return fmt.Errorf("%w: %w", ErrBadRequest, err)
		}
	}
	return nil
}

// readMessage reads the message list, which stock reads as one strict
// list. It is scanned in parts here so that the eighth attribute may carry
// either of its names and so that the "time" attribute gets stock's
// treatment; the parts join without a terminator, so the stream reads
// exactly as one list.
func readMessage(sc *attr.Scanner, r *Request) (count int, err error) {
	var flags, opts, ret int
	var stats []byte
	err = scanPart(sc, false, attr.Strict|attr.More,
		attr.Int("flags", &flags),
		attr.Str("queue_name", &r.QueueName),
		attr.Str("queue_id", &r.QueueID),
		attr.Long("offset", &r.DataOffset),
		attr.Long("size", &r.DataSize),
		attr.Str("nexthop", &r.Nexthop),
		attr.Str("encoding", &r.Encoding))
	if err != nil {
		return 0, err
	}
	r.SendOptsAttr = sendOptsName(sc)
	err = scanPart(sc, true, attr.Strict|attr.More,
		attr.Int(r.SendOptsAttr, &opts),
		attr.Str("sender", &r.Sender),
		attr.Str("envelope_id", &r.EnvID),
		attr.Int("ret_flags", &ret))
	if err != nil {
		return 0, err
	}
	// Stock reads "time" through a nested scan whose short count (a
	// missing or unexpected name) the outer scan does not notice: it goes
	// on with the next attribute and fails there, logging once more. Do
	// the same so the log reads the same, but never go on to use
	// statistics that did not arrive.
	timeErr := scanPart(sc, true, attr.Strict|attr.More, attr.Data("time", &stats))
	switch {
	case timeErr != nil && !errors.Is(timeErr, errShort):
		return 0, timeErr
	case timeErr == nil:
		if r.Stats, err = DecodeMsgStats(stats); err != nil {
			warn(sc, "%s", err)
			return 0, err
		}
	}
	c := &r.Client
	err = scanPart(sc, true, attr.Strict,
		attr.Str("log_client_name", &c.Name),
		attr.Str("log_client_address", &c.Addr),
		attr.Str("log_client_port", &c.Port),
		attr.Str("log_protocol_name", &c.Proto),
		attr.Str("log_helo_name", &c.Helo),
		attr.Str("sasl_method", &c.SASLMethod),
		attr.Str("sasl_username", &c.SASLUsername),
		attr.Str("sasl_sender", &c.SASLSender),
		attr.Str("log_ident", &c.LogIdent),
		attr.Str("rewrite_context", &c.RewriteContext),
		attr.Int("recipient_count", &count))
	switch {
	case timeErr != nil:
		return 0, timeErr
	case err != nil:
		return 0, err
	}
	// INT attributes travel as unsigned 32-bit numbers; the scanner gives
	// them back as C's signed int, so reinterpret the bit masks.
	r.Flags, r.SendOpts, r.Ret = Flags(uint32(flags)), SendOpts(uint32(opts)), Ret(ret)
	return count, nil
}

// sendOptsName picks the name the eighth attribute is expected under by
// looking at the next name on the stream without consuming it. Anything
// but "sendopts" (including a short read) leaves Postfix 3.7's name, so
// the scan that follows fails with 3.7's warning.
func sendOptsName(sc *attr.Scanner) string {
	want := AttrSendOpts + "\x00"
	if b, err := sc.Reader().Peek(len(want)); err == nil && string(b) == want {
		return AttrSendOpts
	}
	return AttrSMTPUTF8
}

// readRecipients reads count recipient lists, each a strict list of its
// own as in stock (an unexpected attribute where the terminator belongs is
// warned about but, as in stock, does not fail that recipient).
func readRecipients(sc *attr.Scanner, count int) ([]Recipient, error) {
	rcpts := make([]Recipient, 0, min(count, 1024))
	var rc Recipient
	var notify int
	wants := []attr.Want{
		attr.Str("original_recipient", &rc.OrigAddr),
		attr.Str("recipient", &rc.Address),
		attr.Long("offset", &rc.Offset),
		attr.Str("dsn_orig_rcpt", &rc.DSNOrcpt),
		attr.Int("notify_flags", &notify),
	}
	for range count {
		// A list that does not even start is quietly short in stock (its
		// scanner checks for EOF before it begins a list).
		if err := scanPart(sc, false, attr.Strict, wants...); err != nil {
			return nil, err
		}
		rc.Notify = Notify(uint32(notify))
		rcpts = append(rcpts, rc)
	}
	return rcpts, nil
}

// scanPart runs one scan and demands every wanted attribute. mid says the
// scan continues a list that is already under way: there, end of input
// before the first name is "premature", and stock says so.
func scanPart(sc *attr.Scanner, mid bool, flags attr.Flags, wants ...attr.Want) error {
	n, err := sc.Scan(flags, wants...)
	switch {
	case err != nil && mid && n == 0 && errors.Is(err, io.EOF):
		text := warn(sc, "premature end-of-input on %s while reading input attribute name", sc.Path)
		return fmt.Errorf("%s: %w", text, err)
	case err != nil:
		return err
	case n != len(wants):
		// The scanner has logged the missing or unexpected attribute.
		return fmt.Errorf("%w: received %d of %d", errShort, n, len(wants))
	}
	return nil
}

// reject logs text as stock does and returns it as an ErrBadRequest.
func reject(sc *attr.Scanner, text string, cause error) error {
	warn(sc, "%s", text)
	if cause != nil {
		return fmt.Errorf("%w: %s: %w", ErrBadRequest, text, cause)
	}
	return fmt.Errorf("%w: %s", ErrBadRequest, text)
}

// warn passes a warning to the scanner's hook (the same place the
// scanner's own warnings go) and returns its text.
func warn(sc *attr.Scanner, format string, args ...any) string {
	text := fmt.Sprintf(format, args...)
	if sc.Warn != nil {
		sc.Warn(text)
	}
	return text
}
