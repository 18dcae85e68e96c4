package downgrade

const hexDigits = "0123456789ABCDEF"

// qpSoftLimit: before a byte is added to an output line that already
// holds more than this many characters, the line is ended with a soft
// line break ("="). Lines thus stay within 76 characters, even when the
// last byte was encoded as =XX and a trailing blank is encoded later.
const qpSoftLimit = 72

// quotedPrintable encodes one record of a converted entity. Control
// characters except TAB, "=", DEL and 8-bit bytes become =XX. The line
// is built in d.buf across L records and written when an N record ends
// it; a blank right before that hard line end is encoded so that it
// survives transport.
func (d *Downgrader) quotedPrintable(typ int, text []byte) {
	for _, c := range text {
		if len(d.buf) > qpSoftLimit {
			d.buf = append(d.buf, '=')
			d.emit(d.buf, false)
			d.buf = d.buf[:0]
		}
		if (c < 32 && c != '\t') || c == '=' || c > 126 {
			d.buf = append(d.buf, '=', hexDigits[c>>4], hexDigits[c&15])
		} else {
			d.buf = append(d.buf, c)
		}
	}
	if typ != recNorm {
		return
	}
	if n := len(d.buf); n > 0 && (d.buf[n-1] == ' ' || d.buf[n-1] == '\t') {
		c := d.buf[n-1]
		d.buf = append(d.buf[:n-1], '=', hexDigits[c>>4], hexDigits[c&15])
	}
	d.emit(d.buf, false)
	d.buf = d.buf[:0]
}
