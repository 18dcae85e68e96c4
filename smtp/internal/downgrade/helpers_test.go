package downgrade

import (
	"bytes"
	"errors"
	"io"
	"os"
	"strconv"
	"testing"

	"github.com/postfix-go/postfix-go/smtp/internal/queuefile"
	"github.com/postfix-go/postfix-go/smtp/internal/smtpwire"
)

// rec is one content record for tests.
type rec struct {
	text string
	cont bool
}

// String shows a record as N"text" or L"text" in failure messages.
func (r rec) String() string { return string(typeByte(r.cont)) + strconv.Quote(r.text) }

// lines turns text into N records, one per "\n"-terminated line; a
// last line without "\n" becomes an L record.
func lines(text string) []rec {
	var out []rec
	for text != "" {
		i := bytes.IndexByte([]byte(text), '\n')
		if i < 0 {
			out = append(out, rec{text, true})
			break
		}
		out = append(out, rec{text[:i], false})
		text = text[i+1:]
	}
	return out
}

// collector renders output records as text: N gets "\n", L nothing.
type collector struct {
	buf  bytes.Buffer
	recs []rec
}

func (c *collector) WriteRecord(text []byte, cont bool) error {
	c.recs = append(c.recs, rec{string(text), cont})
	c.buf.Write(text)
	if !cont {
		c.buf.WriteByte('\n')
	}
	return nil
}

// convert runs records through a Downgrader and returns the rendered
// output and the final error (from the first failing call).
func convert(cfg Config, in []rec) (string, error) {
	var c collector
	d := New(&c, cfg)
	for _, r := range in {
		if err := d.WriteRecord([]byte(r.text), r.cont); err != nil {
			return c.buf.String(), err
		}
	}
	err := d.Close()
	return c.buf.String(), err
}

// wire runs records through a Downgrader into an smtpwire.ContentWriter
// with the stock line limit, as the smtp client does after DATA. The
// result ends with the "." line unless the engine reported an error,
// in which case it holds what was sent before the client gave up.
func wire(cfg Config, in []rec) ([]byte, error) {
	var out bytes.Buffer
	cw := smtpwire.NewContentWriter(&out, smtpwire.DefaultSMTPLineLimit)
	d := New(cw, cfg)
	for _, r := range in {
		if err := d.WriteRecord([]byte(r.text), r.cont); err != nil {
			return out.Bytes(), err
		}
	}
	if err := d.Close(); err != nil {
		return out.Bytes(), err
	}
	if err := cw.Close(); err != nil {
		return out.Bytes(), err
	}
	return out.Bytes(), nil
}

// readQF reads a fixture holding queue-file content records (from the
// data offset through the X record) with the repo's queue file reader.
func readQF(t testing.TB, path string) []rec {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	cr, err := queuefile.NewContentReader(bytes.NewReader(b), path, "fixture", 0)
	if err != nil {
		t.Fatal(err)
	}
	var out []rec
	for {
		r, err := cr.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		out = append(out, rec{string(r.Data), r.Type == queuefile.RecTypeCont})
	}
}
