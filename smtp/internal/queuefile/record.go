package queuefile

import (
	"bufio"
	"fmt"
	"io"
	"slices"
)

// DefaultMaxRecordLength caps a record's payload when the caller gives
// no limit. Stock smtp(8) reads content with no limit at all (maxsize
// 0); cleanup(8) never writes a text record longer than
// line_length_limit (default 2048), so this cap only stops a corrupt
// length from making us buffer a huge bogus record. A longer record is
// rejected with stock's "illegal length" wording.
const DefaultMaxRecordLength = 64 << 20

// reverseJumpLimit is REVERSE_JUMP_LIMIT in rec_goto(): pointer loops
// are detected by counting jumps that do not move forward. "No-one is
// likely to insert 10000 message headers".
const reverseJumpLimit = 10000

// readChunk bounds each allocation while a payload is read, so that a
// corrupt length costs memory only for bytes that really exist.
const readChunk = 64 << 10

// Record is one queue file record.
type Record struct {
	Type   byte   // record type byte, see the RecType constants
	Data   []byte // payload; no terminator; owned by the caller
	Offset int64  // file offset of the type byte
}

// jumpGuard is rec_goto()'s loop detector. Stock keeps it in static
// variables keyed by the stream's path; we keep it per File (shared by
// every content pass of one request, as stock's counter is).
type jumpGuard struct {
	savedOffset  int64
	reverseCount int
}

// Reader reads records the way rec_get_raw() does. It is not safe for
// concurrent use.
type Reader struct {
	src    io.ReadSeeker
	br     *bufio.Reader
	pos    int64 // file offset of the next unread byte
	path   string
	maxLen int64
	guard  *jumpGuard
	err    error // sticky: stock callers stop at the first bad record
}

// NewReader reads records from src, starting at its current offset.
// path names the file in error texts, the way stock prints
// VSTREAM_PATH (e.g. "active/D38D99840D3"). maxLen caps the payload
// length; 0 or less means DefaultMaxRecordLength (stock has no limit;
// pass math.MaxInt64 to get that: memory still grows only with the bytes
// actually read).
func NewReader(src io.ReadSeeker, path string, maxLen int64) *Reader {
	return newReader(src, path, maxLen, &jumpGuard{})
}

func newReader(src io.ReadSeeker, path string, maxLen int64, guard *jumpGuard) *Reader {
	if maxLen <= 0 {
		maxLen = DefaultMaxRecordLength
	}
	r := &Reader{src: src, br: bufio.NewReaderSize(src, 4096), path: path, maxLen: maxLen, guard: guard}
	pos, err := src.Seek(0, io.SeekCurrent)
	if err != nil {
		r.err = readError(err)
	}
	r.pos = pos
	return r
}

// Offset returns the file offset of the next record to be read.
func (r *Reader) Offset() int64 { return r.pos }

// SeekTo moves to offset. A sticky error stays: after a bad record the
// reader is done.
func (r *Reader) SeekTo(offset int64) error {
	if r.err != nil {
		return r.err
	}
	if err := r.seek(offset, io.SeekStart); err != nil {
		return &Error{Severity: Fatal, Text: "seek queue file: " + errnoText(err), Err: err}
	}
	return nil
}

func (r *Reader) seek(offset int64, whence int) error {
	pos, err := r.src.Seek(offset, whence)
	if err != nil {
		return err
	}
	r.br.Reset(r.src)
	r.pos = pos
	return nil
}

// NextRaw returns the next record exactly as stored, like
// rec_get_raw(..., REC_FLAG_NONE): p and w records are returned, not
// interpreted. At the end of the file it returns io.EOF
// (REC_TYPE_EOF); a malformed record gives a Warning *Error wrapping
// ErrCorrupt with stock's text; a read error gives a Fatal *Error.
func (r *Reader) NextRaw() (Record, error) {
	if r.err != nil {
		return Record{}, r.err
	}
	rec, err := r.readRecord(keepAll)
	if err != nil {
		r.err = err
	}
	return rec, err
}

// Next returns the next record the way rec_get() does
// (REC_FLAG_DEFAULT): p records are followed (a zero pointer is a dummy
// and ignored), w records are skipped, and after an E record the reader
// is positioned at the end of the file, so pointed-to records in the
// heap after E are never read as if they followed it.
func (r *Reader) Next() (Record, error) {
	if r.err != nil {
		return Record{}, r.err
	}
	for {
		rec, err := r.readRecord(func(t byte) bool { return t != RecTypeDtxt })
		if err != nil {
			r.err = err
			return Record{}, err
		}
		switch rec.Type {
		case RecTypePtr:
			if err := r.follow(rec.Data); err != nil {
				r.err = err
				return Record{}, err
			}
			continue
		case RecTypeDtxt:
			continue
		case RecTypeEnd:
			if err := r.seek(0, io.SeekEnd); err != nil {
				r.err = r.corrupt("%s: seek error after reading END record: %s", r.path, errnoText(err))
				return Record{}, r.err
			}
		}
		return rec, nil
	}
}

func keepAll(byte) bool { return true }

// readRecord reads one record. Payloads of types for which keep says
// false are skipped without being buffered.
func (r *Reader) readRecord(keep func(byte) bool) (Record, error) {
	start := r.pos
	typ, err := r.br.ReadByte()
	if err == io.EOF {
		return Record{}, io.EOF
	} else if err != nil {
		return Record{}, readError(err)
	}
	r.pos++

	// The length is 7 bits per byte, least significant group first,
	// 0x80 meaning "more". Stock accumulates into a C int, so the fifth
	// byte's bits land in bits 28..31 and whatever is shifted beyond bit
	// 31 is lost; bit 31 makes the length negative. We reproduce that
	// arithmetic so that corrupt lengths get the same verdict and text.
	var n int64
	for shift := uint(0); ; shift += 7 {
		if shift >= 32 {
			return Record{}, r.corrupt("%s: too many length bits, record type %d", r.path, typ)
		}
		b, err := r.br.ReadByte()
		if err == io.EOF {
			return Record{}, r.corrupt("%s: unexpected EOF reading length, record type %d", r.path, typ)
		} else if err != nil {
			return Record{}, readError(err)
		}
		r.pos++
		n |= int64(int32(uint32(b&0x7f) << shift))
		if b&0x80 == 0 {
			break
		}
	}
	if n < 0 || n > r.maxLen {
		return Record{}, r.corrupt("%s: illegal length %d, record type %d", r.path, n, typ)
	}

	rec := Record{Type: typ, Offset: start}
	var got int64
	if keep(typ) {
		rec.Data, err = r.readData(n)
		got = int64(len(rec.Data))
	} else {
		var m int
		m, err = r.br.Discard(int(n))
		got = int64(m)
	}
	r.pos += got
	if err != nil && err != io.EOF && err != io.ErrUnexpectedEOF {
		return Record{}, readError(err)
	}
	if got != n {
		return Record{}, r.corrupt("%s: unexpected EOF in data, record type %d length %d", r.path, typ, n)
	}
	return rec, nil
}

// readData reads n payload bytes, growing the buffer only as data
// actually arrives.
func (r *Reader) readData(n int64) ([]byte, error) {
	data := make([]byte, 0, min(n, readChunk))
	for int64(len(data)) < n {
		want := int(min(n-int64(len(data)), readChunk))
		data = slices.Grow(data, want)
		m, err := io.ReadFull(r.br, data[len(data):len(data)+want])
		data = data[:len(data)+m]
		if err != nil {
			return data, err
		}
	}
	return data, nil
}

// follow is rec_goto(): jump to the offset in a p record's payload.
func (r *Reader) follow(payload []byte) error {
	// The C code sees a NUL-terminated string: an embedded NUL ends it.
	if i := slices.Index(payload, 0); i >= 0 {
		payload = payload[:i]
	}
	for len(payload) > 0 && isSpace(payload[0]) {
		payload = payload[1:]
	}
	offset, ok := parseOffset(payload)
	if !ok {
		return r.corrupt("%s: malformed pointer record value: %s", r.path, payload)
	}
	if offset == 0 { // dummy record, a placeholder for later edits
		return nil
	}
	if offset <= r.guard.savedOffset {
		r.guard.reverseCount++
		if r.guard.reverseCount > reverseJumpLimit {
			return r.corrupt("%s: too many reverse jump records", r.path)
		}
	}
	if err := r.seek(offset, io.SeekStart); err != nil {
		return r.corrupt("%s: seek error after pointer record: %s", r.path, errnoText(err))
	}
	r.guard.savedOffset = offset
	return nil
}

// parseOffset is off_cvt_string(): decimal digits only, no sign, no
// overflow; the empty string is 0.
func parseOffset(s []byte) (int64, bool) {
	const maxOff = 1<<63 - 1
	var v int64
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0, false
		}
		d := int64(c - '0')
		if v > maxOff/10 || v*10 > maxOff-d {
			return 0, false
		}
		v = v*10 + d
	}
	return v, true
}

// isSpace is ISSPACE() in the C locale.
func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'
}

func (r *Reader) corrupt(format string, args ...any) error {
	return &Error{Severity: Warning, Text: fmt.Sprintf(format, args...), Err: ErrCorrupt}
}

// readError is an I/O error while reading. Stock's record layer sees it
// as end of input, and smtp(8) then checks the stream error flag and
// exits with "queue file read error".
func readError(err error) error {
	return &Error{Severity: Fatal, Text: "queue file read error", Err: err}
}

// AppendRecord appends one record in rec_put()'s encoding: the type
// byte, the payload length in 7-bit groups (least significant first,
// 0x80 on all but the last), then the payload. Tests and tools use it
// to build queue files.
func AppendRecord(dst []byte, typ byte, data []byte) []byte {
	dst = append(dst, typ)
	n := uint64(len(data))
	for {
		b := byte(n & 0x7f)
		n >>= 7
		if n != 0 {
			dst = append(dst, b|0x80)
			continue
		}
		dst = append(dst, b)
		break
	}
	return append(dst, data...)
}
