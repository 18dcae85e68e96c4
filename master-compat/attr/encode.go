package attr

import (
	"encoding/base64"
	"strconv"
)

// List builds one attr0 attribute list. The zero value is an empty list.
// Methods append and return the list so that a request reads as one
// expression, e.g. new(List).Str("request", "find_endp").Str("label", l).
type List struct {
	buf []byte
}

// Str appends a string attribute. Postfix strings cannot contain NUL: a
// value with NUL would split the stream, so it is truncated there, as a C
// sender would.
func (l *List) Str(name, value string) *List {
	l.buf = AppendStr(l.buf, name, value)
	return l
}

// Int appends an INT attribute. Negative values travel as their unsigned
// 32-bit image (-1 is 4294967295) because that is what %u prints in C.
func (l *List) Int(name string, value int) *List {
	l.buf = AppendInt(l.buf, name, value)
	return l
}

// AppendStr appends one string attribute to an encoded list in dst. Hot
// paths (a server answering thousands of requests a second) use the
// Append functions on a reused buffer instead of building a List.
func AppendStr(dst []byte, name, value string) []byte {
	return appendToken(appendToken(dst, name), value)
}

// AppendInt appends one INT attribute to dst (see List.Int).
func AppendInt(dst []byte, name string, value int) []byte {
	dst = appendToken(dst, name)
	dst = strconv.AppendUint(dst, uint64(uint32(int32(value))), 10)
	return append(dst, 0)
}

// AppendEnd terminates the list encoded in dst.
func AppendEnd(dst []byte) []byte { return append(dst, 0) }

// Long appends a LONG attribute (unsigned 64-bit on LP64 hosts).
func (l *List) Long(name string, value int64) *List {
	return l.Str(name, strconv.FormatUint(uint64(value), 10))
}

// Data appends a DATA attribute: the bytes travel as standard base64.
func (l *List) Data(name string, value []byte) *List {
	return l.Str(name, base64.StdEncoding.EncodeToString(value))
}

// Bytes returns the encoded list including its terminating empty name.
// The List can still be appended to afterwards; Bytes does not alter it.
func (l *List) Bytes() []byte {
	out := make([]byte, len(l.buf)+1)
	copy(out, l.buf)
	return out
}

// Inline returns the encoded attributes without the list terminator, for
// callers that splice attributes into an enclosing list the way Postfix's
// FUNC printers (dsn_print and friends) do.
func (l *List) Inline() []byte {
	return append([]byte(nil), l.buf...)
}

// Raw appends already-encoded attributes produced by Inline.
func (l *List) Raw(encoded []byte) *List {
	l.buf = append(l.buf, encoded...)
	return l
}

func appendToken(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if s[i] == 0 {
			s = s[:i]
			break
		}
	}
	dst = append(dst, s...)
	return append(dst, 0)
}

// Attr is one name/value pair, used by the plain encoding and by callers
// that want a decoded list as data.
type Attr struct {
	Name  string
	Value string
}
