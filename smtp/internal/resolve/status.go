package resolve

import "strconv"

// Status is a dns_lookup() result. The numeric values follow Postfix's
// DNS_* constants because combining A and AAAA results picks the
// numerically highest status ("best" result wins, dns_lookup_rv).
type Status int

const (
	StatusNotFound Status = -6 // query ok, data not found (NXDOMAIN / NODATA / invalid name)
	StatusNullMX   Status = -5 // "MX 0 ." – domain accepts no mail
	StatusFail     Status = -4 // unrecoverable error (FORMERR etc.)
	StatusInval    Status = -3 // malformed reply / invalid name in reply
	StatusRetry    Status = -2 // SERVFAIL, timeout, no server
	StatusPolicy   Status = -1 // smtp_dns_reply_filter dropped everything
	StatusOK       Status = 0
)

func (s Status) String() string {
	switch s {
	case StatusNotFound:
		return "NOTFOUND"
	case StatusNullMX:
		return "NULLMX"
	case StatusFail:
		return "FAIL"
	case StatusInval:
		return "INVAL"
	case StatusRetry:
		return "RETRY"
	case StatusPolicy:
		return "POLICY"
	case StatusOK:
		return "OK"
	}
	return "Status(" + strconv.Itoa(int(s)) + ")"
}

// h_errno texts from dns_strerror.c; they end up in the bounce/defer text.
const (
	textHostNotFound = "Host not found"
	textTryAgain     = "Host not found, try again"
	textNoRecovery   = "Non-recoverable error"
	textNoData       = "Host found but no data record of requested type"
)

// Error is a resolution failure in Postfix's DSN terms: an enhanced status
// code (4.x.x soft, 5.x.x hard) and the reason text that smtp(8) logs and
// reports to qmgr/bounce.
type Error struct {
	DSN  string
	Text string
}

func (e *Error) Error() string { return e.DSN + " " + e.Text }

// Soft reports whether the failure is temporary (defer rather than bounce).
func (e *Error) Soft() bool { return e != nil && len(e.DSN) > 0 && e.DSN[0] == '4' }

// dsb accumulates lookup problems like Postfix's DSN_BUF: dsb_status()
// changes only the code, dsb_simple() code and text.
type dsb struct {
	dsn  string
	text string
}

func (d *dsb) soft() bool { return len(d.dsn) > 0 && d.dsn[0] == '4' }
func (d *dsb) hard() bool { return len(d.dsn) > 0 && d.dsn[0] == '5' }

// pick returns soft when a soft error is already recorded ("a soft error
// dominates past and future hard errors"), hard otherwise.
func (d *dsb) pick(soft, hard string) string {
	if d.soft() {
		return soft
	}
	return hard
}

func (d *dsb) err() *Error {
	if d.dsn == "" {
		return nil
	}
	return &Error{DSN: d.dsn, Text: d.text}
}
