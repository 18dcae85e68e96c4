package downgrade

// MIMEError is a MIME problem that stock smtp(8) turns into a message
// failure (smtp_mime_fail): the DSN status and the text, reported "by
// the local MTA". After it, the caller must not end the DATA phase: stock
// drops the connection, there being no other way to cancel DATA.
type MIMEError struct {
	Status string // RFC 3463 enhanced status, e.g. "5.6.0"
	Text   string // diagnostic text, e.g. "MIME nesting exceeds safety limit"
}

func (e *MIMEError) Error() string { return e.Status + " " + e.Text }

// errNesting is mime_state's MIME_ERR_NESTING detail. It is the only
// error the smtp client's option set (MIME_OPT_REPORT_NESTING) turns on.
// The other mime_state errors (header too long, 8-bit data in a header
// or in a 7bit body, bad encoding domain) are not reported by stock smtp
// and therefore have no counterpart here.
func errNesting() *MIMEError {
	return &MIMEError{Status: "5.6.0", Text: "MIME nesting exceeds safety limit"}
}

// WriteError wraps a failure of the output RecordWriter, so that callers
// can tell an I/O problem (defer, "lost connection") from a MIME problem
// (bounce).
type WriteError struct{ Err error }

func (e *WriteError) Error() string { return "downgrade: write content: " + e.Err.Error() }
func (e *WriteError) Unwrap() error { return e.Err }
