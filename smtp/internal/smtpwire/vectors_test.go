package smtpwire

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"

	"github.com/postfix-go/postfix-go/internal/strace"
)

// The transcripts in testdata are strace logs of a stock Postfix 3.7.11
// smtp/lmtp process (copied from the project's spec vectors). These
// helpers pull the session's I/O and the queue-file content out of them.

// straceCall matches one read or write on a descriptor; the string may be
// truncated by strace (then followed by "...").
var straceCall = regexp.MustCompile(`^\d+ +[\d:.]+ (read|write)\((\d+)<(.*?)>, "((?:[^"\\]|\\.)*)"(\.\.\.)?, \d+\) = (\d+)`)

type ioCall struct {
	op        string // "read" or "write"
	fd        int
	desc      string // strace's <...> text
	data      []byte
	truncated bool
	n         int // return value
}

func loadTranscript(t testing.TB, name string) []ioCall {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	var calls []ioCall
	for _, line := range bytes.Split(b, []byte("\n")) {
		m := straceCall.FindSubmatch(line)
		if m == nil {
			continue
		}
		fd, _ := strconv.Atoi(string(m[2]))
		n, _ := strconv.Atoi(string(m[6]))
		calls = append(calls, ioCall{
			op: string(m[1]), fd: fd, desc: string(m[3]),
			data: unstrace(t, m[4]), truncated: len(m[5]) > 0, n: n,
		})
	}
	return calls
}

// unstrace decodes strace's string notation, failing the test on a
// malformed transcript.
func unstrace(t testing.TB, s []byte) []byte {
	t.Helper()
	b, err := strace.Unquote(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// sessionIO returns the reads and the writes on the SMTP/LMTP session:
// the descriptor whose strace description contains peer.
func sessionIO(calls []ioCall, peer string) (reads, writes []ioCall) {
	for _, c := range calls {
		if !bytes.Contains([]byte(c.desc), []byte(peer)) {
			continue
		}
		if c.op == "read" {
			reads = append(reads, c)
		} else {
			writes = append(writes, c)
		}
	}
	return
}

func concat(calls []ioCall) []byte {
	var b []byte
	for _, c := range calls {
		b = append(b, c.data...)
	}
	return b
}

type record struct {
	typ  byte
	data []byte
}

// parseRecords splits queue-file records: type byte, base-128 length with
// the least significant group first, payload (smtp.md 3.3). It stops at a
// truncated record.
func parseRecords(b []byte) []record {
	var recs []record
	for len(b) > 0 {
		typ := b[0]
		b = b[1:]
		n, shift, i := 0, 0, 0
		for ; i < len(b); i++ {
			n |= int(b[i]&0x7f) << shift
			shift += 7
			if b[i]&0x80 == 0 {
				break
			}
		}
		if i >= len(b) || i+1+n > len(b) {
			return recs
		}
		recs = append(recs, record{typ, b[i+1 : i+1+n]})
		b = b[i+1+n:]
	}
	return recs
}

// contentRecords returns the N and L records of the message content: from
// the first N/L record until the X record. In a whole queue file that is
// after the M record; in a read starting at data_offset it is the start.
func contentRecords(recs []record) []record {
	var out []record
	in := false
	for _, r := range recs {
		switch {
		case r.typ == 'M':
			in = true
		case r.typ == 'N' || r.typ == 'L':
			if in || len(out) == 0 {
				out = append(out, r)
			}
			in = true
		case r.typ == 'X':
			return out
		default:
			if len(out) > 0 {
				return out
			}
		}
	}
	return out
}

// writeContent runs records through a ContentWriter and returns the wire
// bytes including the final ".".
func writeContent(t testing.TB, recs []record, limit int) ([]byte, *ContentWriter) {
	t.Helper()
	var buf bytes.Buffer
	cw := NewContentWriter(&buf, limit)
	for _, r := range recs {
		if err := cw.WriteRecord(r.data, r.typ == 'L'); err != nil {
			t.Fatal(err)
		}
	}
	if err := cw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), cw
}
