package config

import (
	"bufio"
	"errors"
	"fmt"
	"io"
)

// LogicalLine is one logical line of main.cf or master.cf.
type LogicalLine struct {
	// Text is the logical line: its physical lines joined without their
	// newlines. Continuation lines keep their leading whitespace, and
	// comment lines inside the logical line are left out.
	Text string
	// Line is the number (from 1) of the physical line it starts on.
	Line int
}

// LineReader reads logical lines with the rules of Postfix's readllines(),
// which both main.cf and master.cf use:
//
//   - a physical line starting with whitespace continues the previous
//     logical line;
//   - lines that are empty, all whitespace, or whose first non-space byte
//     is '#' are skipped, also in the middle of a logical line (they do not
//     end it);
//   - text that continues nothing is dropped with a warning.
type LineReader struct {
	r      *bufio.Reader
	path   string
	lineno int
	warn   func(string)
}

// NewLineReader returns a reader of logical lines from r. path is used
// only in warnings; warn (may be nil) receives Postfix's warning texts.
func NewLineReader(r io.Reader, path string, warn func(string)) *LineReader {
	if warn == nil {
		warn = func(string) {}
	}
	return &LineReader{r: bufio.NewReader(r), path: path, warn: warn}
}

// physical reads one physical line without its newline. eof is true when
// the input ended before a newline was seen.
func (lr *LineReader) physical() (line []byte, eof bool, err error) {
	for {
		frag, err := lr.r.ReadSlice('\n')
		line = append(line, frag...)
		switch {
		case err == nil:
			return line[:len(line)-1], false, nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case errors.Is(err, io.EOF):
			return line, true, nil
		default:
			return nil, false, err
		}
	}
}

// isCommentOrBlank reports whether a physical line is skipped: all
// whitespace, or '#' as its first non-whitespace byte.
func isCommentOrBlank(line []byte) bool {
	for _, c := range line {
		if !isSpace(c) {
			return c == '#'
		}
	}
	return true
}

// Next returns the next logical line, or io.EOF when there is none.
func (lr *LineReader) Next() (LogicalLine, error) {
	for {
		var buf []byte
		first := 0
		for {
			line, eof, err := lr.physical()
			if err != nil {
				return LogicalLine{}, fmt.Errorf("read %s: %w", lr.path, err)
			}
			if !eof || len(line) > 0 {
				lr.lineno++
			}
			if !isCommentOrBlank(line) {
				if len(buf) == 0 {
					first = lr.lineno
				}
				buf = append(buf, line...)
			}
			if eof {
				break
			}
			if len(buf) > 0 && !lr.continues() {
				break
			}
		}
		if len(buf) == 0 {
			return LogicalLine{}, io.EOF
		}
		if isSpace(buf[0]) {
			// Postfix only warns, so that tools like postmap do not
			// leave a truncated table behind; the text is dropped.
			shown, more := cutAtNUL(string(buf)), ""
			if len(shown) > 30 {
				shown = shown[:30]
			}
			if len(buf) > 30 {
				more = "..."
			}
			lr.warn(fmt.Sprintf("%s: logical line must not start with whitespace: \"%s%s\"", lr.path, shown, more))
			continue
		}
		return LogicalLine{Text: string(buf), Line: first}, nil
	}
}

// continues peeks at the next byte: the logical line goes on when the
// next physical line starts with whitespace or '#' (a comment line).
func (lr *LineReader) continues() bool {
	b, err := lr.r.Peek(1)
	if err != nil {
		return false
	}
	return b[0] == '#' || isSpace(b[0])
}

// SplitNameValue splits "name = value" like Postfix's split_nameval():
// the name ends at whitespace or '='; whitespace around '=' and at both
// ends of the value is removed. The error texts are Postfix's.
func SplitNameValue(s string) (name, value string, err error) {
	i := 0
	for i < len(s) && isSpace(s[i]) {
		i++
	}
	if i == len(s) || s[i] == '=' {
		return "", "", errors.New("missing attribute name")
	}
	j := i
	for j < len(s) && !isSpace(s[j]) && s[j] != '=' {
		j++
	}
	k := j
	for k < len(s) && isSpace(s[k]) {
		k++
	}
	if k == len(s) || s[k] != '=' {
		return "", "", errors.New("missing '=' after attribute name")
	}
	return s[i:j], trimCSpace(s[k+1:]), nil
}

// Entry is one "name = value" definition from main.cf.
type Entry struct {
	Name  string
	Value string
	Line  int // physical line where the definition starts
}

// ParseMainCF reads main.cf text and returns its definitions in file
// order (later duplicates are kept; the dictionary makes the last one
// win). path is used in messages. The error for a malformed line has
// Postfix's text: `PATH, line N: missing '=' after attribute name: "TEXT"`.
func ParseMainCF(r io.Reader, path string, warn func(string)) ([]Entry, error) {
	lr := NewLineReader(r, path, warn)
	var entries []Entry
	for {
		ll, err := lr.Next()
		if errors.Is(err, io.EOF) {
			return entries, nil
		}
		if err != nil {
			return entries, err
		}
		// Postfix handles the line as a C string: a NUL ends it.
		text := cutAtNUL(ll.Text)
		name, value, err := SplitNameValue(text)
		if err != nil {
			return entries, fmt.Errorf("%s, line %d: %s: \"%s\"", path, ll.Line, err, text)
		}
		entries = append(entries, Entry{Name: name, Value: value, Line: ll.Line})
	}
}
