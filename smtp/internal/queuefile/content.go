package queuefile

import (
	"errors"
	"fmt"
	"io"
)

// ContentReader reads the message content the way smtp(8)'s DATA loop
// does: seek to the data offset qmgr sent (the record after M), then
// rec_get() records, following p and skipping w, as long as they are N
// or L. The content must end with an X record.
//
// The data size qmgr sends is not a read limit: stock never uses it to
// stop reading (content edited by a milter may continue elsewhere in
// the file through p records); it only feeds SIZE= and the server size
// check.
//
// The MIME header/body boundary is not recorded in the queue file:
// stock's mime_state finds it in this record stream (the first empty N
// record, or the first line that is not a header, ends the primary
// header). The record types are kept for that reason: an L record is a
// fragment of a longer line and must not be taken as a line of its own.
type ContentReader struct {
	r       *Reader
	queueID string
	last    byte // type of the last content record returned; 0 before the first
	err     error
}

// Content starts a content pass at dataOffset (the request's "offset").
// Each SMTP session of a request reads the content again with a new
// pass, as stock does.
func (f *File) Content(dataOffset int64) (*ContentReader, error) {
	return newContentReader(newReader(f.section(), f.path, 0, &f.guard), f.queueID, dataOffset)
}

// NewContentReader is Content for any seekable source (tests, tools);
// path and queueID appear in error texts.
func NewContentReader(src io.ReadSeeker, path, queueID string, dataOffset int64) (*ContentReader, error) {
	return newContentReader(NewReader(src, path, 0), queueID, dataOffset)
}

func newContentReader(r *Reader, queueID string, dataOffset int64) (*ContentReader, error) {
	if r.err != nil {
		return nil, r.err
	}
	if err := r.seek(dataOffset, io.SeekStart); err != nil {
		return nil, &Error{Severity: Fatal, Text: "seek queue file: " + errnoText(err), Err: err}
	}
	return &ContentReader{r: r, queueID: queueID}, nil
}

// Next returns the next content record, always of type N (a complete
// line, to be followed by a line end) or L (a fragment: the line goes
// on in the next record). At the X record it returns io.EOF.
//
// Any other outcome is an *Error with stock's text:
//   - a record that is neither N, L nor X, or the end of the file:
//     Warning "<id>: bad record type: <n> in message content", n being
//     the type byte in decimal, -1 at end of file, -2 when the record
//     was malformed; in that last case the record-level warning that
//     stock logs first is wrapped (see Chain). Stock then bounces every
//     recipient with 5.3.0 "unreadable mail queue entry" and, when that
//     worked, marks the file corrupt.
//   - a read error: Fatal "queue file read error".
func (c *ContentReader) Next() (Record, error) {
	if c.err != nil {
		return Record{}, c.err
	}
	rec, err := c.r.Next()
	switch {
	case err == nil && (rec.Type == RecTypeNorm || rec.Type == RecTypeCont):
		c.last = rec.Type
		return rec, nil
	case err == nil && rec.Type == RecTypeXtra:
		c.err = io.EOF
	case err == nil:
		c.err = c.badType(int(rec.Type), nil)
	case err == io.EOF:
		c.err = c.badType(RecTypeEOF, nil)
	case errors.Is(err, ErrCorrupt):
		c.err = c.badType(RecTypeError, err)
	default:
		c.err = err
	}
	return Record{}, c.err
}

func (c *ContentReader) badType(t int, cause error) error {
	if cause == nil {
		cause = ErrCorrupt
	}
	return &Error{Severity: Warning, Text: fmt.Sprintf("%s: bad record type: %d in message content", c.queueID, t), Err: cause}
}

// LastType returns the type of the last content record returned (N or
// L), or 0 before the first. After io.EOF, L means the message does not
// end with a line end; stock smtp(8) then sends one anyway before the
// final dot.
func (c *ContentReader) LastType() byte { return c.last }

// Text returns the content as plain text: each N record followed by
// "\n", L records joined with what follows them, so lines that cleanup
// split at line_length_limit come out whole. If the content ends with an
// L record a final "\n" is added, as smtp(8) does on the wire. Errors
// are those of Next; the end of content is io.EOF.
//
// Text consumes the ContentReader; do not mix it with Next. A payload
// that itself contains "\n" is passed on as is, so Text is for
// consumers that do not need record boundaries; the SMTP output path
// uses Next.
func (c *ContentReader) Text() io.Reader { return &textReader{c: c} }

type textReader struct {
	c       *ContentReader
	pending []byte
	eol     bool // a "\n" is owed after pending
	done    bool
}

func (t *textReader) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		if len(t.pending) == 0 && !t.eol {
			if t.done {
				break
			}
			rec, err := t.c.Next()
			if err == io.EOF {
				t.done = true
				t.eol = t.c.last == RecTypeCont // the missing final line end
				continue
			}
			if err != nil {
				if n > 0 {
					return n, nil // deliver what we have; Next repeats err
				}
				return 0, err
			}
			t.pending, t.eol = rec.Data, rec.Type == RecTypeNorm
			continue
		}
		if len(t.pending) > 0 {
			m := copy(p[n:], t.pending)
			t.pending = t.pending[m:]
			n += m
			continue
		}
		p[n] = '\n'
		n++
		t.eol = false
	}
	if n == 0 && t.done {
		return 0, io.EOF
	}
	return n, nil
}
