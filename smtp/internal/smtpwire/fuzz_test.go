package smtpwire

import (
	"bufio"
	"bytes"
	"errors"
	"math/rand"
	"strings"
	"testing"
)

// refReplies is a second, slice-based statement of smtp_get() +
// smtp_chat_resp() without the package's hard caps: it returns the
// replies before the input runs out.
func refReplies(data []byte, limit int, utf8 bool) []Reply {
	pos := 0
	getLine := func() (line []byte, long, eof bool) {
		end := min(pos+limit, len(data))
		if i := bytes.IndexByte(data[pos:end], '\n'); i >= 0 {
			line, pos = data[pos:pos+i], pos+i+1
			return bytes.TrimRight(line, "\r"), false, false
		}
		if end-pos < limit {
			return nil, false, true // EOF before the bound
		}
		line, pos = data[pos:end], end
		if line[len(line)-1] == '\r' {
			if pos == len(data) {
				return nil, false, true
			}
			if data[pos] == '\n' {
				pos++
				return bytes.TrimRight(line, "\r"), false, false
			}
		}
		j := bytes.IndexByte(data[pos:], '\n')
		if j < 0 {
			return nil, false, true
		}
		pos += j + 1
		return line, true, false
	}
	var out []Reply
	for {
		var r Reply
		var text []byte
		var last string
		for done := false; !done; {
			raw, long, eof := getLine()
			if eof {
				return out
			}
			if i := bytes.IndexByte(raw, 0); i >= 0 {
				raw = raw[:i]
			}
			line := printable(raw, utf8)
			r.Truncated = r.Truncated || long
			if len(text) < limit {
				if len(text) > 0 {
					text = append(text, '\n')
				}
				text = append(text, line...)
				r.Lines = append(r.Lines, line)
			} else {
				r.Dropped++
			}
			d := 0
			for d < len(line) && line[d] >= '0' && line[d] <= '9' {
				d++
			}
			switch {
			case d == 3 && (len(line) == 3 || line[3] == ' '):
				done = true
			case d == 3 && line[3] == '-':
			default:
				r.ProtocolError = true
			}
			last = line
		}
		r.Text = string(text)
		r.Code = int(last[0]-'0')*100 + int(last[1]-'0')*10 + int(last[2]-'0')
		r.Status = parseStatus(last)
		out = append(out, r)
	}
}

func replySeeds(f *testing.F) {
	f.Add(readFile(f, "smtp-wire-ok-2rcpt.server.bin"), uint8(255), false)
	for _, tc := range []struct{ file, peer string }{
		{"smtp-lmtp-per-rcpt.txt", "99256->94990"},
		{"smtp-mixed-rcpt.txt", "127.0.3.2:13026"},
		{"smtp-greeting-5xx.txt", "127.0.3.2:13026"},
		{"smtp-helo-fallback.txt", "127.0.3.2:13026"},
	} {
		reads, _ := sessionIO(loadTranscript(f, tc.file), tc.peer)
		f.Add(concat(reads), uint8(40), false)
	}
	for _, s := range []string{
		"2500 x\r\n25\r\nabc\r\n250-\x00x\r\n250 ok\r\n",
		"250 \xc3\xa9\xe2\x80\x80\x80 \xc0\x80\xff\r\n",
		"550 " + strings.Repeat("a", 100) + "\r\n\r\n\r\r\n550-5.1.1\r\n550\r\n",
		"250 123456789012345\r\n250 12345678901234\r\r\n",
	} {
		f.Add([]byte(s), uint8(15), true)
	}
}

// FuzzReadReply checks ReadReply against refReplies and its invariants:
// bounded text, a well-formed status, and sanitised lines.
func FuzzReadReply(f *testing.F) {
	replySeeds(f)
	f.Fuzz(func(t *testing.T, data []byte, lim uint8, ascii bool) {
		limit := int(lim)%70 + 1
		if lim == 255 {
			limit = DefaultLineLimit
		}
		want := refReplies(data, limit, !ascii)
		br := bufio.NewReader(bytes.NewReader(data))
		opt := &ReadOptions{LineLimit: limit, DisableUTF8: ascii, MaxBytes: int64(len(data)) + 1, MaxLines: len(data) + 2}
		for i := 0; ; i++ {
			r, err := ReadReply(br, opt)
			if err != nil {
				var ie *IOError
				if !errors.As(err, &ie) || ie.Timeout || errors.Is(err, ErrReplyTooLong) {
					t.Fatalf("reply %d: %v", i, err)
				}
				if i != len(want) {
					t.Fatalf("%d replies, reference %d", i, len(want))
				}
				return
			}
			if i >= len(want) {
				t.Fatalf("more replies than the reference")
			}
			w := want[i]
			if r.Code != w.Code || r.Status != w.Status || r.Text != w.Text || r.ProtocolError != w.ProtocolError ||
				r.Truncated != w.Truncated || r.Dropped != w.Dropped || len(r.Lines) != len(w.Lines) {
				t.Fatalf("reply %d:\n got %+v\nwant %+v", i, r, w)
			}
			checkReplyInvariants(t, r, limit, !ascii)
		}
	})
}

func checkReplyInvariants(t *testing.T, r Reply, limit int, utf8 bool) {
	t.Helper()
	if r.Code < 0 || r.Code > 999 {
		t.Fatalf("code %d", r.Code)
	}
	if n := dsnValid(r.Status); n == 0 || n != len(r.Status) {
		t.Fatalf("status %q", r.Status)
	}
	if c := r.Class(); (c == 2 || c == 4 || c == 5) && int(r.Status[0]-'0') != c || (c != 2 && c != 4 && c != 5) && r.Status != "5.5.0" {
		t.Fatalf("status %q for code %d", r.Status, r.Code)
	}
	if len(r.Text) > 2*limit {
		t.Fatalf("text of %d bytes with limit %d", len(r.Text), limit)
	}
	for i := 0; i < len(r.Text); i++ {
		c := r.Text[i]
		if c < 0x20 && c != '\n' || c == 0x7f || (!utf8 && c >= 0x80) {
			t.Fatalf("unsanitised byte %#x in %q", c, r.Text)
		}
	}
}

// FuzzContentWriter writes arbitrary text in arbitrary chunks, and as
// records, and compares both with refContent.
func FuzzContentWriter(f *testing.F) {
	client := readFile(f, "smtp-wire-ok-2rcpt.client.bin")
	start := bytes.Index(client, []byte("DATA\r\n")) + 6
	end := bytes.Index(client, []byte("\r\n.\r\n")) + 2
	f.Add(client[start:end], int8(DefaultSMTPLineLimit%128), uint64(1))
	var long []byte
	for _, r := range contentRecords(parseRecords(readFile(f, "queuefile-long-lines.bin"))) {
		long = append(long, r.data...)
		if r.typ == 'N' {
			long = append(long, '\n')
		}
	}
	f.Add(long, int8(100), uint64(2))
	f.Add([]byte(".\n..\r\n.abcdefghij\nabcdefghij"), int8(10), uint64(3))
	f.Add([]byte("x\r\r\n\r\n\n\r"), int8(2), uint64(4))
	f.Add([]byte(strings.Repeat("y", 300)), int8(0), uint64(5))
	f.Fuzz(func(t *testing.T, text []byte, lim int8, seed uint64) {
		m := int(lim)
		want := refContent(text, m)

		var buf bytes.Buffer
		cw := NewContentWriter(&buf, m)
		rng := rand.New(rand.NewSource(int64(seed)))
		for rest := text; len(rest) > 0; {
			k := min(len(rest), rng.Intn(20))
			if n, err := cw.Write(rest[:k]); err != nil || n != k {
				t.Fatal(n, err)
			}
			rest = rest[k:]
		}
		if err := cw.Close(); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(buf.Bytes(), want) {
			t.Fatalf("Write, limit %d:\n got %q\nwant %q", m, buf.Bytes(), want)
		}

		buf.Reset()
		cw = NewContentWriter(&buf, m)
		lines := bytes.Split(text, []byte("\n"))
		for _, l := range lines[:len(lines)-1] {
			_ = cw.WriteRecord(bytes.TrimSuffix(l, []byte("\r")), false)
		}
		if rest := lines[len(lines)-1]; len(rest) > 0 {
			_ = cw.WriteRecord(rest, true)
		}
		_ = cw.Close()
		if !bytes.Equal(buf.Bytes(), want) {
			t.Fatalf("WriteRecord, limit %d:\n got %q\nwant %q", m, buf.Bytes(), want)
		}

		// Every output line but the fold's spaces stays within the limit,
		// plus the stuffed dot.
		if m > 1 {
			for _, l := range bytes.Split(buf.Bytes(), []byte("\r\n")) {
				if len(l) > m+1 {
					t.Fatalf("line of %d bytes with limit %d", len(l), m)
				}
			}
		}
	})
}
