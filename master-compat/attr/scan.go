package attr

import (
	"bufio"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
)

// DefaultMaxToken caps one name or value. Postfix itself has no cap; the
// largest value stock daemons send (a base64 TLS session) is a few KiB.
const DefaultMaxToken = 1 << 20

// ErrMalformed marks errors caused by the peer's bytes (as opposed to I/O).
var ErrMalformed = errors.New("malformed attribute input")

// Scanner reads attr0 lists from a stream one token at a time.
type Scanner struct {
	r *bufio.Reader
	// Path names the peer in messages, as Postfix's VSTREAM_PATH does
	// ("private/scache", "scache socket").
	Path string
	// MaxToken caps a single name or value; zero means DefaultMaxToken.
	MaxToken int
	// Warn receives the same warnings the stock scanner logs; may be nil.
	Warn func(text string)

	// midList is true when the last Scan stopped before the end of its
	// list (More, an unexpected attribute, or malformed input).
	midList bool
	// scratch holds a token longer than the reader's buffer.
	scratch []byte
	// intern maps short values seen before to their string, so that the
	// labels and request names a client repeats cost no allocation.
	intern map[string]string
}

// Interning bounds: short values only, and a small table per connection
// that is simply cleared when full.
const (
	internMaxLen  = 128
	internEntries = 64
)

// MidList reports whether the last Scan left part of its list unread.
// Stock servers drop such leftovers when they write their reply (their
// stream buffer discards unread input); servers that want the same
// outcome check this after replying.
func (s *Scanner) MidList() bool { return s.midList }

// ErrTooLong marks a name or value over MaxToken: the stream cannot be
// resynchronised cheaply, so callers should drop the connection.
var ErrTooLong = errors.New("attribute too long")

// NewScanner returns a scanner over r. If r is already a *bufio.Reader it
// is used as is, so callers that also pass descriptors can check Buffered.
func NewScanner(r io.Reader, path string, warn func(string)) *Scanner {
	br, ok := r.(*bufio.Reader)
	if !ok {
		br = bufio.NewReader(r)
	}
	return &Scanner{r: br, Path: path, Warn: warn}
}

// Buffered reports how many input bytes are already read from the stream
// but not yet scanned: the stock servers keep serving while this is > 0.
func (s *Scanner) Buffered() int { return s.r.Buffered() }

// Reader exposes the buffered reader (for Peek by server loops).
func (s *Scanner) Reader() *bufio.Reader { return s.r }

func (s *Scanner) warnf(format string, args ...any) error {
	text := fmt.Sprintf(format, args...)
	if s.Warn != nil {
		s.Warn(text)
	}
	return fmt.Errorf("%w: %s", ErrMalformed, text)
}

// Scan reads attributes in the order given by wants and returns how many
// were converted. At a clean end of input before the first byte it returns
// (0, io.EOF). A non-nil error other than io.EOF means the list was
// malformed or the stream failed mid-list (Postfix's -1); the stream is then
// out of step and should be closed. A short count with a nil error means the
// list ended early or carried an unexpected attribute (warned about under
// Missing/Extra), exactly the cases where Postfix returns a short count.
func (s *Scanner) Scan(flags Flags, wants ...Want) (int, error) {
	n, err := s.scan(flags, wants)
	if errors.Is(err, io.EOF) && n == 0 {
		s.midList = false
	}
	return n, err
}

func (s *Scanner) scan(flags Flags, wants []Want) (int, error) {
	s.midList = true
	if _, err := s.r.Peek(1); err != nil {
		if errors.Is(err, io.EOF) {
			return 0, io.EOF
		}
		return 0, s.ioError(err, "input attribute name", false)
	}
	n := 0
	for i := 0; ; i++ {
		var w *Want
		if i < len(wants) {
			w = &wants[i]
		} else if flags&More != 0 {
			return n, nil
		}
		if w != nil && w.kind == kindHash {
			got, err := s.scanHash(flags, w.hash)
			return n + got, err
		}
		wantedName := "(list terminator)"
		if w != nil {
			wantedName = w.name
		}
		// Find the wanted name, skipping (or objecting to) others.
		for {
			name, err := s.tokenBytes("input attribute name")
			if err != nil {
				return -1, err
			}
			if len(name) == 0 {
				s.midList = false
				if w != nil && flags&Missing != 0 {
					s.warnf("missing attribute %s in input from %s", strings.Clone(wantedName), s.Path)
				}
				return n, nil
			}
			if w != nil && string(name) == w.name {
				break
			}
			if flags&Extra != 0 {
				s.warnf("unexpected attribute %s from %s (expecting: %s)", name, s.Path, strings.Clone(wantedName))
				return n, nil
			}
			if _, err := s.tokenBytes("input attribute value"); err != nil {
				return -1, err
			}
		}
		ok, err := s.convert(w)
		if err != nil {
			return -1, err
		}
		if ok {
			n++
		}
	}
}

// convert reads the value of w and stores it; ok is false for Expect,
// which Postfix does not count as a conversion.
func (s *Scanner) convert(w *Want) (ok bool, err error) {
	const what = "input attribute value"
	value, err := s.tokenBytes(what)
	if err != nil {
		return false, err
	}
	switch w.kind {
	case kindStr:
		*w.str = s.str(value)
	case kindInt:
		u, err := parseUnsigned(value, 32)
		if err != nil {
			return false, s.warnf("malformed numerical data from %s while reading %s: %.100s", s.Path, what, value)
		}
		*w.num = int(int32(uint32(u)))
	case kindLong:
		u, err := parseUnsigned(value, 64)
		if err != nil {
			return false, s.warnf("malformed numerical data from %s while reading %s: %.100s", s.Path, what, value)
		}
		*w.long = int64(u)
	case kindData:
		b, err := decodeBase64(string(value))
		if err != nil {
			return false, s.warnf("malformed base64 data from %s while reading %s: %.100s", s.Path, what, value)
		}
		*w.data = b
	case kindExpect:
		if string(value) != w.expect {
			return false, s.warnf("unexpected %s %s from %s (expected: %s)", strings.Clone(w.name), value, s.Path, strings.Clone(w.expect))
		}
		return false, nil
	}
	return true, nil
}

// scanHash collects a "{ … }" group, or every remaining attribute.
func (s *Scanner) scanHash(flags Flags, dst *[]Attr) (int, error) {
	grouped := false
	n := 0
	seen := map[string]bool{}
	for first := true; ; first = false {
		name, err := s.token("input attribute name")
		if err != nil {
			return -1, err
		}
		switch {
		case name == "" && !grouped:
			s.midList = false
			return n, nil
		case name == "":
			s.midList = false
			if flags&Missing != 0 {
				s.warnf("missing attribute (any attribute name or '}') in input from %s", s.Path)
			}
			return n, nil
		case first && name == "{":
			grouped = true
			continue
		case grouped && name == "}":
			if flags&More != 0 {
				return n, nil
			}
			got, err := s.scan(flags, nil)
			if err != nil && !errors.Is(err, io.EOF) {
				return -1, err
			}
			return n + got, nil
		}
		value, err := s.token("input attribute value")
		if err != nil {
			return -1, err
		}
		switch {
		case seen[name] && flags&Extra != 0:
			s.warnf("duplicate attribute %s in input from %s", name, s.Path)
			return n, nil
		case seen[name]:
			continue
		case len(seen) >= hashLimit:
			s.warnf("attribute count exceeds limit %d in input from %s", hashLimit, s.Path)
			return n, nil
		}
		seen[name] = true
		*dst = append(*dst, Attr{Name: name, Value: value})
		n++
	}
}

// token reads one NUL-terminated token as a string.
func (s *Scanner) token(what string) (string, error) {
	b, err := s.tokenBytes(what)
	if err != nil {
		return "", err
	}
	return string(b), nil
}

// tokenBytes reads one NUL-terminated token, capped at MaxToken bytes.
// The result is a view that stays valid only until the next read.
func (s *Scanner) tokenBytes(what string) ([]byte, error) {
	limit := s.MaxToken
	if limit <= 0 {
		limit = DefaultMaxToken
	}
	acc := s.scratch[:0]
	for first := true; ; first = false {
		chunk, err := s.r.ReadSlice(0)
		if len(acc)+len(chunk) > limit+1 {
			s.warnf("string length > %d characters from %s while reading %s", limit, s.Path, what)
			return nil, fmt.Errorf("%w: %w", ErrMalformed, ErrTooLong)
		}
		switch {
		case err == nil && first:
			return chunk[:len(chunk)-1], nil
		case err == nil:
			acc = append(acc, chunk[:len(chunk)-1]...)
			s.scratch = acc
			return acc, nil
		case errors.Is(err, bufio.ErrBufferFull):
			acc = append(acc, chunk...)
		default:
			return nil, s.ioError(err, what, len(acc)+len(chunk) > 0)
		}
	}
}

// str turns a value into a string, reusing the string of an identical
// short value seen recently on this stream.
func (s *Scanner) str(b []byte) string {
	if len(b) == 0 || len(b) > internMaxLen {
		return string(b)
	}
	if v, ok := s.intern[string(b)]; ok {
		return v
	}
	if s.intern == nil || len(s.intern) >= internEntries {
		s.intern = make(map[string]string, internEntries)
	}
	v := string(b)
	s.intern[v] = v
	return v
}

// ioError words a read failure the way Postfix does.
func (s *Scanner) ioError(err error, what string, partial bool) error {
	var ne net.Error
	switch {
	case errors.As(err, &ne) && ne.Timeout():
		s.warnf("timeout on %s while reading %s", s.Path, what)
	case partial:
		s.warnf("unexpected end-of-input from %s while reading %s", s.Path, what)
	default:
		s.warnf("premature end-of-input on %s while reading %s", s.Path, what)
	}
	return fmt.Errorf("%s: reading %s: %w", s.Path, what, err)
}

// parseUnsigned accepts what sscanf("%u") accepts followed by nothing:
// leading white space, an optional sign (a minus wraps around, as in C),
// then digits.
func parseUnsigned(b []byte, bits int) (uint64, error) {
	for len(b) > 0 && strings.IndexByte(" \t\n\v\f\r", b[0]) >= 0 {
		b = b[1:]
	}
	neg := false
	if len(b) > 0 && (b[0] == '-' || b[0] == '+') {
		neg = b[0] == '-'
		b = b[1:]
	}
	if len(b) == 0 {
		return 0, strconv.ErrSyntax
	}
	var u uint64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, strconv.ErrSyntax
		}
		d := uint64(c - '0')
		if u > (1<<bits-1-d)/10 {
			return 0, strconv.ErrRange
		}
		u = u*10 + d
	}
	if neg {
		u = -u
		if bits == 32 {
			u &= 0xffffffff
		}
	}
	return u, nil
}

// decodeBase64 follows Postfix: the length must be a multiple of four and
// decoding stops at the first '='.
func decodeBase64(s string) ([]byte, error) {
	if len(s)%4 != 0 {
		return nil, base64.CorruptInputError(len(s))
	}
	if i := strings.IndexByte(s, '='); i >= 0 {
		s = s[:i]
	}
	return base64.RawStdEncoding.DecodeString(s)
}
