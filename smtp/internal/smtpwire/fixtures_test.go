package smtpwire

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

func readFile(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// readAll reads replies until the input ends, which must be at a reply
// boundary and must come back as a lost connection.
func readAll(t *testing.T, in []byte) []Reply {
	t.Helper()
	br := bufio.NewReader(bytes.NewReader(in))
	var out []Reply
	for {
		r, err := ReadReply(br, nil)
		if err != nil {
			var ie *IOError
			if !errors.As(err, &ie) || ie.Timeout || !errors.Is(err, io.EOF) {
				t.Fatalf("after %d replies: %v", len(out), err)
			}
			if br.Buffered() != 0 {
				t.Fatalf("EOF with %d unread bytes", br.Buffered())
			}
			return out
		}
		out = append(out, r)
	}
}

type wantReply struct {
	code   int
	status string
	text   string
}

func checkReplies(t *testing.T, got []Reply, want []wantReply) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d replies, want %d: %+v", len(got), len(want), got)
	}
	for i, w := range want {
		g := got[i]
		if g.Code != w.code || g.Status != w.status || g.Text != w.text || g.ProtocolError || g.Truncated || g.Dropped != 0 {
			t.Errorf("reply %d = %d %q %q (perr %v trunc %v dropped %d), want %d %q %q",
				i, g.Code, g.Status, g.Text, g.ProtocolError, g.Truncated, g.Dropped, w.code, w.status, w.text)
		}
	}
}

const smtpSinkEHLO = "250-smtp-sink\n250-PIPELINING\n250-8BITMIME\n250-AUTH PLAIN LOGIN\n" +
	"250-XCLIENT NAME HELO\n250-XFORWARD NAME ADDR PROTO HELO\n250-ENHANCEDSTATUSCODES\n250-DSN\n250 "

// TestServerFixture replays the raw server stream of smtp-ok-2rcpt
// (smtp-sink) through ReadReply.
func TestServerFixture(t *testing.T) {
	server := readFile(t, "smtp-wire-ok-2rcpt.server.bin")
	got := readAll(t, server)
	checkReplies(t, got, []wantReply{
		{220, "2.0.0", "220 smtp-sink ESMTP"},
		{250, "2.0.0", smtpSinkEHLO},
		{250, "2.1.0", "250 2.1.0 Ok"},
		{250, "2.1.5", "250 2.1.5 Ok"},
		{250, "2.1.5", "250 2.1.5 Ok"},
		{354, "5.5.0", "354 End data with <CR><LF>.<CR><LF>"},
		{250, "2.0.0", "250 2.0.0 Ok"},
		{221, "2.0.0", "221 Bye"},
	})
	if l := got[1].Lines; len(l) != 9 || l[8] != "250 " {
		t.Errorf("EHLO lines %q", l)
	}

	// The same bytes appear in the transcript's session reads.
	reads, _ := sessionIO(loadTranscript(t, "smtp-ok-2rcpt.txt"), "127.0.3.2:13026")
	if !bytes.Equal(concat(reads), server) {
		t.Error("server fixture differs from the transcript's reads")
	}
}

// TestTranscriptReplies reads every session of the captured transcripts
// and checks that each delivery log line's dsn= and reason come out of
// the replies exactly as stock smtp reported them.
func TestTranscriptReplies(t *testing.T) {
	logLine := regexp.MustCompile(`^# .*dsn=([0-9.]+), status=\w+ \((.*)\)$`)
	said := regexp.MustCompile(`^host (.*) said: (.*) \(in reply to (.*)\)$`)
	refused := regexp.MustCompile(`^host (.*) refused to talk to me: (.*)$`)
	for _, tc := range []struct {
		file, peer string
		n          int // replies expected
	}{
		{"smtp-ok-2rcpt.txt", "127.0.3.2:13026", 8},
		{"smtp-helo-fallback.txt", "127.0.3.2:13026", 7},
		{"smtp-greeting-5xx.txt", "127.0.3.2:13026", 1},
		{"smtp-dot-reply-221.txt", "127.0.3.2:13026", 6},
		{"smtp-lmtp-per-rcpt.txt", "99256->94990", 12},
		{"smtp-mixed-rcpt.txt", "127.0.3.2:13026", 8},
		{"smtp-long-lines.txt", "127.0.3.2:13026", 7},
		{"smtp-conn-reuse.txt", "127.0.3.2:13026", 11},
	} {
		t.Run(tc.file, func(t *testing.T) {
			reads, _ := sessionIO(loadTranscript(t, tc.file), tc.peer)
			replies := readAll(t, concat(reads))
			if len(replies) != tc.n {
				t.Fatalf("%d replies, want %d", len(replies), tc.n)
			}
			find := func(text string) (Reply, bool) {
				for _, r := range replies {
					if r.Logged() == text {
						return r, true
					}
				}
				return Reply{}, false
			}
			checked := 0
			for _, line := range strings.Split(string(readFile(t, tc.file)), "\n") {
				m := logLine.FindStringSubmatch(line)
				if m == nil {
					continue
				}
				dsn, reason := m[1], m[2]
				var r Reply
				var ok bool
				switch {
				case said.MatchString(reason):
					s := said.FindStringSubmatch(reason)
					r, ok = find(s[2])
					if ok && r.Said(s[1], s[3]) != reason {
						t.Errorf("Said = %q, want %q", r.Said(s[1], s[3]), reason)
					}
				case refused.MatchString(reason):
					// smtp_skip_5xx_greeting=yes: 5xx becomes 4.x.x.
					r, ok = find(refused.FindStringSubmatch(reason)[2])
					if ok && r.Class() == 5 {
						r = r.WithStatusClass('4')
					}
				default:
					r, ok = find(reason)
				}
				if !ok {
					t.Errorf("no reply matches %q", reason)
					continue
				}
				if r.Status != dsn {
					t.Errorf("%q: status %s, log says dsn=%s", reason, r.Status, dsn)
				}
				checked++
			}
			if checked == 0 {
				t.Error("no delivery log line checked")
			}
		})
	}
}

// TestEHLOFeaturesFromCache checks ParseEHLO against the feature mask stock
// smtp stored in scache for smtp-sink (smtp-conn-reuse.txt:
// "endpoint_features=34695").
func TestEHLOFeaturesFromCache(t *testing.T) {
	file := string(readFile(t, "smtp-conn-reuse.txt"))
	if !strings.Contains(file, "endpoint_features=34695") {
		t.Fatal("transcript lacks the endpoint_features value")
	}
	reads, _ := sessionIO(loadTranscript(t, "smtp-conn-reuse.txt"), "127.0.3.2:13026")
	replies := readAll(t, concat(reads))
	if replies[1].Text != smtpSinkEHLO {
		t.Fatalf("EHLO reply %q", replies[1].Text)
	}
	res := ParseEHLO(replies[1].Text, nil)
	if got := (res.Features | FeatureESMTP) & EndpointMask; got != 34695 {
		t.Errorf("features %d (%#x), want 34695", got, uint32(got))
	}
	if res.HeloName != "smtp-sink" {
		t.Errorf("helo name %q", res.HeloName)
	}
}

// TestClientFixture rebuilds the raw client stream of smtp-ok-2rcpt: the
// commands as stock smtp formatted them and the content from the queue
// file records the agent read, through WriteCommand and ContentWriter,
// in the pipelined batches of the capture.
func TestClientFixture(t *testing.T) {
	calls := loadTranscript(t, "smtp-ok-2rcpt.txt")
	var recs []record
	for _, c := range calls {
		if c.op == "read" && c.fd == 13 && len(c.data) > 0 && c.data[0] == 'N' {
			recs = contentRecords(parseRecords(c.data))
			break
		}
	}
	if len(recs) != 12 {
		t.Fatalf("%d content records", len(recs))
	}
	var out bytes.Buffer
	bw := bufio.NewWriter(&out)
	for _, cmd := range []string{
		"EHLO s3.test",
		"MAIL FROM:<alice@s3.test> BODY=8BITMIME ENVID=env-123 RET=HDRS",
		"RCPT TO:<bob@example.com> ORCPT=rfc822;bob@example.com NOTIFY=FAILURE,DELAY",
		"RCPT TO:<carol@example.net> ORCPT=rfc822;carol@example.net",
		"DATA",
	} {
		if err := WriteCommand(bw, cmd); err != nil {
			t.Fatal(err)
		}
	}
	cw := NewContentWriter(bw, DefaultSMTPLineLimit)
	for _, r := range recs {
		if err := cw.WriteRecord(r.data, r.typ == 'L'); err != nil {
			t.Fatal(err)
		}
	}
	if err := cw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := WriteCommand(bw, "QUIT"); err != nil {
		t.Fatal(err)
	}
	if err := bw.Flush(); err != nil {
		t.Fatal(err)
	}
	want := readFile(t, "smtp-wire-ok-2rcpt.client.bin")
	if !bytes.Equal(out.Bytes(), want) {
		t.Errorf("client stream differs:\n got %q\nwant %q", out.Bytes(), want)
	}
	if cw.Folded() {
		t.Error("Folded without long lines")
	}
	_, writes := sessionIO(calls, "127.0.3.2:13026")
	if !bytes.Equal(concat(writes), want) {
		t.Error("client fixture differs from the transcript's writes")
	}
}

// TestLongLinesFixture sends the content of the long-lines queue file and
// compares with the capture: the first 4096 bytes of the single DATA write
// (strace truncated the rest), its total length, and the line lengths the
// sink recorded.
func TestLongLinesFixture(t *testing.T) {
	recs := contentRecords(parseRecords(readFile(t, "queuefile-long-lines.bin")))
	var kinds []byte
	for _, r := range recs {
		kinds = append(kinds, r.typ)
	}
	if string(kinds) != "NNNNNNNNNNNLLNNN" {
		t.Fatalf("record types %s", kinds)
	}
	got, cw := writeContent(t, recs, DefaultSMTPLineLimit)
	got = append(got, "QUIT\r\n"...)

	var data ioCall
	for _, c := range loadTranscript(t, "smtp-long-lines.txt") {
		if c.op == "write" && bytes.HasPrefix(c.data, []byte("Received:")) {
			data = c
		}
	}
	if !data.truncated || len(data.data) != 4096 || data.n != 6585 {
		t.Fatalf("unexpected capture: truncated %v, %d bytes shown, %d written", data.truncated, len(data.data), data.n)
	}
	if len(got) != data.n {
		t.Errorf("wrote %d bytes, stock wrote %d", len(got), data.n)
	}
	if !bytes.HasPrefix(got, data.data) {
		t.Errorf("first 4096 bytes differ")
	}
	if !cw.Folded() || cw.FoldNotice("99B01984019") != "99B01984019: breaking line > 998 bytes with <CR><LF>SPACE" {
		t.Errorf("fold notice %v %q", cw.Folded(), cw.FoldNotice("99B01984019"))
	}
	if !strings.Contains(string(readFile(t, "smtp-long-lines.txt")), "99B01984019: breaking line > 998 bytes with <CR><LF>SPACE") {
		t.Error("transcript lacks the fold notice")
	}

	// "# 999 b'..aaaaaaaaaaaa' ... b'aaaa'": length, first and last bytes
	// of each line the sink received, after the 8 header lines. The sink
	// shows "." as "..": it did not undo the stuffing.
	sink := regexp.MustCompile(`^# (\d+) b'(.*)' \.\.\. b'(.*)'$`)
	var want []string
	for _, line := range strings.Split(string(readFile(t, "smtp-long-lines.txt")), "\n") {
		if m := sink.FindStringSubmatch(line); m != nil {
			want = append(want, m[1]+" "+m[2]+" "+m[3])
		}
	}
	lines := strings.Split(string(got), "\r\n")
	lines = lines[:len(lines)-2] // "QUIT" and the empty rest
	var have []string
	for _, l := range lines {
		first, last := l, l
		if len(first) > 14 {
			first = first[:14]
		}
		if len(last) > 4 {
			last = last[len(last)-4:]
		}
		have = append(have, strconv.Itoa(len(l))+" "+strings.ReplaceAll(first, "\t", `\t`)+" "+last)
	}
	// The sink's list ends with an extra empty entry after the "."; it
	// records the final CRLF as a line of its own.
	if len(want) != len(have)+1 || want[len(want)-1] != "0  " {
		t.Fatalf("sink saw %d lines, we sent %d:\n%q\n%q", len(want), len(have), want, have)
	}
	for i := range have {
		if have[i] != want[i] {
			t.Errorf("line %d: sent %q, sink saw %q", i, have[i], want[i])
		}
	}
}

// TestTranscriptContent sends the content records each agent read from
// its queue file and finds the result, "." line included, in what it
// wrote to the server.
func TestTranscriptContent(t *testing.T) {
	for _, tc := range []struct{ file, peer string }{
		{"smtp-ok-2rcpt.txt", "127.0.3.2:13026"},
		{"smtp-helo-fallback.txt", "127.0.3.2:13026"},
		{"smtp-dot-reply-221.txt", "127.0.3.2:13026"},
		{"smtp-lmtp-per-rcpt.txt", "99256->94990"},
		{"smtp-mixed-rcpt.txt", "127.0.3.2:13026"},
	} {
		t.Run(tc.file, func(t *testing.T) {
			calls := loadTranscript(t, tc.file)
			var recs []record
			for _, c := range calls {
				if c.op == "read" && c.fd == 13 && !c.truncated && len(c.data) > 0 && c.data[0] == 'N' {
					recs = contentRecords(parseRecords(c.data))
					break
				}
			}
			if len(recs) == 0 {
				t.Fatal("no content read from the queue file")
			}
			got, _ := writeContent(t, recs, DefaultSMTPLineLimit)
			_, writes := sessionIO(calls, tc.peer)
			for _, w := range writes {
				if bytes.HasPrefix(w.data, got) {
					return
				}
			}
			t.Errorf("no session write starts with %q", got)
		})
	}
}
