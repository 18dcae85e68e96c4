package queuefile

import (
	"bytes"
	"fmt"
	"strconv"
)

// Size is the C record at the start of the file (REC_TYPE_SIZE_FORMAT,
// six "%15ld" fields). cleanup(8) writes it with fixed-width fields so
// that it can update them in place. The agent needs none of it for
// delivery (qmgr sends the data offset and size), but it tells where the
// content and the extracted segment are.
type Size struct {
	DataSize      int64 // XTRA offset - data offset: the content's bytes in the file
	DataOffset    int64 // offset of the first content record, right after M
	RcptCount     int64 // recipients not yet delivered, as of cleanup
	QmgrFlags     int64 // QMGR_READ_FLAG_* hints (4: some recipient has NOTIFY=SUCCESS)
	ContentLength int64 // message length as qmgr reports it (size=); 0 before Postfix 2.4
	SMTPUTF8      int64 // SMTPUTF8 flags (Postfix >= 3.0)
}

// XtraOffset is the offset of the X record that ends the content.
func (s Size) XtraOffset() int64 { return s.DataOffset + s.DataSize }

// ParseSize parses a C record payload the way qmgr does (sscanf of up
// to six numbers; at least three are required, the last three are
// absent in files from older Postfix versions and then read as 0).
// Offsets that cannot be right are rejected, as qmgr's "invalid size
// record" check does.
func ParseSize(payload []byte) (Size, error) {
	var v [6]int64
	n := 0
	for _, f := range bytes.Fields(payload) {
		if n == len(v) {
			break
		}
		x, err := strconv.ParseInt(string(f), 10, 64)
		if err != nil {
			break
		}
		v[n] = x
		n++
	}
	s := Size{v[0], v[1], v[2], v[3], v[4], v[5]}
	if n < 3 {
		return s, &Error{Severity: Warning, Text: "message rejected: weird size record", Err: ErrCorrupt}
	}
	if s.DataOffset <= 0 || s.DataSize <= 0 || s.ContentLength < 0 {
		return s, &Error{Severity: Warning, Text: fmt.Sprintf("invalid size record: %.100s", payload), Err: ErrCorrupt}
	}
	return s, nil
}

// Size reads and parses the C record at offset 0.
func (f *File) Size() (Size, error) {
	r, err := f.Records(0, 0)
	if err != nil {
		return Size{}, err
	}
	rec, err := r.NextRaw()
	if err == nil && rec.Type != RecTypeSize {
		err = &Error{Severity: Warning, Text: fmt.Sprintf("%s: first record is type %d, not a size record", f.path, rec.Type), Err: ErrCorrupt}
	}
	if err != nil {
		return Size{}, err
	}
	sz, err := ParseSize(rec.Data)
	if e, ok := err.(*Error); ok {
		e.Text = f.queueID + ": " + e.Text // qmgr's wording has the ID first
	}
	return sz, err
}
