package smtpwire

// CheckCode is smtp_check_code(): it reports whether a server reply code
// that caused a failure flags an SMTP protocol error. Stock smtp then sets
// MAIL_ERROR_PROTOCOL on the session (a postmaster notice of class
// "protocol") and does not cache the connection, so that QUIT is sent.
// That is every code outside 400-599, 555 (RFC 1869 section 6.1: MAIL/RCPT
// parameters not recognised), and the x0z syntax-error codes 500-509.
// Stock calls it only for failures that carry a server reply.
func CheckCode(code int) bool {
	return code < 400 || code > 599 || code == 555 || (code >= 500 && code < 510)
}

// Failure is how stock smtp treats a server reply that made a command
// fail: the part of vsmtp_fill_dsn(), smtp_check_code(), smtp_rcpt_fail()
// and smtp_bulk_fail() that depends on the reply alone.
type Failure struct {
	// Status is the DSN status to report: the reply's, or "5.5.0" when
	// the reply's status class is neither 4 nor 5 (e.g. a 2xx reply to
	// DATA, or a 3xx reply to RCPT).
	Status string
	// ReasonPrefix is "Protocol error: " in that case, prepended to the
	// reason text ("host %s said: ..."); otherwise empty.
	ReasonPrefix string
	// ProtocolError: set MAIL_ERROR_PROTOCOL and do not cache the
	// session (CheckCode, or the status class problem above).
	ProtocolError bool
	// Soft: a 4.x.x status. At the final server the recipient is
	// deferred (defer_append), otherwise kept for the next server.
	Soft bool
	// Retry: keep the recipient for the next server when this one is
	// not the final one: Soft, or a 5.x.x status with soft_bounce=yes
	// (which bounce_append later turns into a deferral).
	Retry bool
}

// ClassifyFailure classifies a failing server reply. softBounce is the
// soft_bounce parameter. For a 5xx greeting with smtp_skip_5xx_greeting,
// pass r.WithStatusClass('4'), as smtp_helo() rewrites the status before
// reporting.
func ClassifyFailure(r Reply, softBounce bool) Failure {
	f := Failure{Status: r.Status, ProtocolError: CheckCode(r.Code)}
	if f.Status == "" || (f.Status[0] != '4' && f.Status[0] != '5') {
		f.Status = "5.5.0"
		f.ReasonPrefix = "Protocol error: "
		f.ProtocolError = true
	}
	f.Soft = f.Status[0] == '4'
	f.Retry = f.Soft || softBounce
	return f
}
