package queuefile

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"testing"
)

// Every record of every fixture matches the transcript's independent
// decode: offset, type, length, the length bytes and the payload; the
// type summary and count match INDEX.md; re-encoding the records gives
// the file back byte for byte.
func TestFixtureRecords(t *testing.T) {
	for _, fx := range fixtures {
		t.Run(fx.name, func(t *testing.T) {
			data := readFixture(t, fx.name)
			if len(data) != fx.size {
				t.Fatalf("size %d, INDEX.md says %d", len(data), fx.size)
			}
			recs := rawRecords(t, data)
			if got := summarize(recs); got != fx.summary {
				t.Errorf("summary\n got %s\nwant %s", got, fx.summary)
			}
			want := readTranscript(t, fx.name)
			if len(recs) != len(want) {
				t.Fatalf("%d records, transcript has %d", len(recs), len(want))
			}
			var again []byte
			for i, rec := range recs {
				w := want[i]
				if rec.Offset != w.offset || rec.Type != w.typ || len(rec.Data) != w.length || !bytes.Equal(rec.Data, w.data) {
					t.Errorf("record %d: got %d %c len %d %q, want %d %c len %d %q",
						i, rec.Offset, rec.Type, len(rec.Data), rec.Data, w.offset, w.typ, w.length, w.data)
				}
				enc := AppendRecord(nil, rec.Type, rec.Data)
				if lb := enc[1 : len(enc)-len(rec.Data)]; !bytes.Equal(lb, w.lenBytes) {
					t.Errorf("record %d: length bytes % x, transcript % x", i, lb, w.lenBytes)
				}
				again = append(again, enc...)
			}
			if !bytes.Equal(again, data) {
				t.Error("re-encoded records differ from the file")
			}
		})
	}
}

// expectedText builds the content from the transcript: the N and L
// records between M and X, N ending a line.
func expectedText(t *testing.T, name string) (dataOffset int64, text string) {
	t.Helper()
	var b strings.Builder
	in := false
	for _, r := range readTranscript(t, name) {
		switch {
		case r.typ == RecTypeMesg:
			in, dataOffset = true, r.offset+2
		case r.typ == RecTypeXtra:
			return dataOffset, b.String()
		case in && r.typ == RecTypeNorm:
			b.Write(r.data)
			b.WriteByte('\n')
		case in && r.typ == RecTypeCont:
			b.Write(r.data)
		case in:
			t.Fatalf("%s: record %c inside the content", name, r.typ)
		}
	}
	t.Fatalf("%s: no X record", name)
	return 0, ""
}

const mixedText = "Received: from client.test (unknown [127.0.0.1])\n" +
	"\tby s3.test (Postfix) with ESMTP id 10901984142;\n" +
	"\tSun, 29 Nov 2026 05:35:07 +0000 (UTC)\n" +
	"From: Alice <alice@s3.test>\n" +
	"To: ok@example.com, r4user@example.com, r5user@example.com\n" +
	"Subject: HOLDME mixed results\n" +
	"Message-ID: <t2@s3.test>\n" +
	"MIME-Version: 1.0\n" +
	"Content-Type: text/plain; charset=utf-8\n" +
	"Content-Transfer-Encoding: 8bit\n" +
	"Date: Sun, 29 Nov 2026 05:35:07 +0000 (UTC)\n" +
	"\n" +
	"Gr\xc3\xbc\xc3\x9fe aus K\xc3\xb6ln.\n"

// The content read from the data offset (the C record's field 2, what
// qmgr sends) equals the message text of the transcript; the C record
// locates the X record; the long-lines file joins L/N records into the
// original 5000-byte line.
func TestFixtureContent(t *testing.T) {
	for _, fx := range fixtures {
		t.Run(fx.name, func(t *testing.T) {
			data := readFixture(t, fx.name)
			recs := rawRecords(t, data)
			size, err := ParseSize(recs[0].Data)
			if err != nil {
				t.Fatal(err)
			}
			wantOffset, wantText := expectedText(t, fx.name)
			if size.DataOffset != wantOffset {
				t.Fatalf("C record data offset %d, M record ends at %d", size.DataOffset, wantOffset)
			}
			var xtra int64 = -1
			for _, r := range recs {
				if r.Type == RecTypeXtra {
					xtra = r.Offset
				}
			}
			if size.XtraOffset() != xtra {
				t.Errorf("XtraOffset %d, X record at %d", size.XtraOffset(), xtra)
			}

			cr, err := NewContentReader(bytes.NewReader(data), "hold/"+fx.queueID, fx.queueID, size.DataOffset)
			if err != nil {
				t.Fatal(err)
			}
			got, err := io.ReadAll(cr.Text())
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != wantText {
				t.Errorf("content\n got %q\nwant %q", got, wantText)
			}
			if cr.LastType() != RecTypeNorm {
				t.Errorf("last content record %c, want N", cr.LastType())
			}
			// A second pass (the next SMTP session) reads the same.
			cr2, _ := NewContentReader(bytes.NewReader(data), "x", fx.queueID, size.DataOffset)
			n := 0
			for {
				rec, err := cr2.Next()
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				if rec.Type != RecTypeNorm && rec.Type != RecTypeCont {
					t.Fatalf("content record %c", rec.Type)
				}
				n++
			}
			if want := strings.Count(wantText, "\n"); n < want || n == 0 {
				t.Errorf("%d content records for %d lines", n, want)
			}

			switch fx.name {
			case "queuefile-mixed-before", "queuefile-mixed-after":
				if string(got) != mixedText {
					t.Errorf("content differs from the submitted message:\n%q", got)
				}
			case "queuefile-long-lines":
				lines := strings.Split(strings.TrimSuffix(string(got), "\n"), "\n")
				tail := lines[len(lines)-5:]
				want := []string{"short", "." + strings.Repeat("a", 1199), strings.Repeat("b", 5000), ".", "end"}
				for i := range want {
					if tail[i] != want[i] {
						t.Errorf("body line %d: %d bytes %.20q..., want %d bytes %.20q...", i, len(tail[i]), tail[i], len(want[i]), want[i])
					}
				}
			case "queuefile-dsn-utf8":
				if !strings.Contains(string(got), "\nTo: =?utf-8?q?J=C3=B6rg?= <j\xc3\xb6rg@example.com>\n") {
					t.Error("UTF-8 To: header not found")
				}
			}
		})
	}
}

// The 5000-byte line arrives as L(2048) L(2048) N(904): Next keeps the
// record boundaries the SMTP output path needs (line length counting
// across records, no line end after L).
func TestLongLineRecords(t *testing.T) {
	data := readFixture(t, "queuefile-long-lines")
	cr, err := NewContentReader(bytes.NewReader(data), "hold/99B01984019", "99B01984019", 651)
	if err != nil {
		t.Fatal(err)
	}
	var shape []string
	for {
		rec, err := cr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if len(rec.Data) > 100 {
			shape = append(shape, fmt.Sprintf("%c@%d:%d", rec.Type, rec.Offset, len(rec.Data)))
		}
	}
	want := "N@995:1200 L@2198:2048 L@4249:2048 N@6300:904"
	if got := strings.Join(shape, " "); got != want {
		t.Errorf("long records %s, want %s", got, want)
	}
}

// The before/after pair differs in exactly the two recipient type
// bytes smtp(8) marked done.
func TestFixtureBeforeAfterDiff(t *testing.T) {
	before := readFixture(t, "queuefile-mixed-before")
	after := readFixture(t, "queuefile-mixed-after")
	var diff []int
	for i := range before {
		if before[i] != after[i] {
			diff = append(diff, i)
		}
	}
	if len(diff) != 2 || diff[0] != 660 || diff[1] != 818 || after[660] != 'D' || after[818] != 'D' {
		t.Fatalf("differences at %v", diff)
	}
}
