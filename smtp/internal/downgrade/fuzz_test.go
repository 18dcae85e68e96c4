package downgrade

import (
	"bytes"
	"os"
	"testing"
)

// fuzzInput turns fuzz data into a configuration and records: the first
// byte picks small limits (high bit set) or the defaults, and the
// record length at which lines are split into L records, as cleanup
// splits lines longer than line_length_limit. A last line without "\n"
// becomes an L record.
func fuzzInput(data []byte) (Config, []rec) {
	if len(data) == 0 {
		return Config{}, nil
	}
	b := data[0]
	data = data[1:]
	cfg := Config{}
	if b&0x80 != 0 {
		cfg = Config{NestingLimit: 1 + int(b&3), BoundaryLimit: 1 + int(b>>2&7), HeaderSizeLimit: 1 + int(b>>5&3)*20}
	}
	return cfg, splitRecords(data, 8+int(b&0x0f)*16)
}

func splitRecords(data []byte, max int) []rec {
	var out []rec
	for len(data) > 0 {
		line, rest, found := bytes.Cut(data, []byte{'\n'})
		for len(line) > max {
			out = append(out, rec{string(line[:max]), true})
			line = line[max:]
		}
		if found || len(line) > 0 {
			out = append(out, rec{string(line), !found})
		}
		data = rest
	}
	return out
}

// checkingWriter checks every record the Downgrader writes while it is
// converting (body of an 8bit/binary entity): 7-bit clean, no bare
// controls but TAB, at most 76 bytes, no blank before a hard line end.
type checkingWriter struct {
	t     *testing.T
	d     *Downgrader
	n     int // output bytes
	recs  []rec
	check bool
}

func (w *checkingWriter) WriteRecord(text []byte, cont bool) error {
	w.n += len(text) + 1
	w.recs = append(w.recs, rec{string(text), cont})
	if w.d.state != stateBody || w.d.domain == enc7bit {
		return nil
	}
	if cont {
		w.t.Fatalf("converted output as L record: %q", text)
	}
	if len(text) > 76 {
		w.t.Fatalf("QP line longer than 76: %q", text)
	}
	for _, c := range text {
		if c > 126 || (c < 32 && c != '\t') {
			w.t.Fatalf("QP line not 7-bit clean: %q", text)
		}
	}
	if n := len(text); n > 0 && (text[n-1] == ' ' || text[n-1] == '\t') {
		w.t.Fatalf("QP line ends in a blank: %q", text)
	}
	return nil
}

// decodeQP reverses the conversion of a body: soft breaks join lines,
// =XX is a byte.
func decodeQP(t *testing.T, recs []rec) []byte {
	var out []byte
	for _, r := range recs {
		s := []byte(r.text)
		soft := len(s) > 0 && s[len(s)-1] == '='
		if soft {
			s = s[:len(s)-1]
		}
		for i := 0; i < len(s); i++ {
			if s[i] != '=' {
				out = append(out, s[i])
				continue
			}
			if i+2 >= len(s) {
				t.Fatalf("truncated escape in %q", r.text)
			}
			out = append(out, unhex(s[i+1])<<4|unhex(s[i+2]))
			i += 2
		}
		if !soft {
			out = append(out, '\n')
		}
	}
	return out
}

func unhex(c byte) byte {
	if c >= 'A' {
		return c - 'A' + 10
	}
	return c - '0'
}

func FuzzDowngrade(f *testing.F) {
	for _, s := range []string{
		"\x00" + hdr8 + "Gr\xc3\xbc\xc3\x9fe = \n",
		"\x83Content-Type: multipart/mixed; boundary=a\n\n--a\nContent-Type: multipart/mixed; boundary=b\n\n--b\n",
		"\x01Content-Type: message/rfc822\nContent-Transfer-Encoding: 8bit\n\nSubject: x\n\n\xe9",
	} {
		f.Add([]byte(s))
	}
	var o *oracle
	if os.Getenv(oracleEnv) != "" {
		o = buildOracle(f)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, in := fuzzInput(data)
		w := &checkingWriter{t: t}
		d := New(w, cfg)
		w.d = d
		inBytes := 0
		for _, r := range in {
			inBytes += len(r.text) + 1
			if d.WriteRecord([]byte(r.text), r.cont) != nil {
				break
			}
		}
		_ = d.Close()
		// Growth: 3 bytes per input byte, soft breaks, and per record at
		// most one added CTE header and one added blank line.
		if limit := 4*inBytes + 80*(len(in)+1); w.n > limit {
			t.Fatalf("output %d bytes for %d input bytes in %d records", w.n, inBytes, len(in))
		}
		if o != nil {
			compareWithOracle(t, o, cfg, in)
		}
		// Round trip: the data as the body of an 8bit part.
		body := splitRecords(data, 50)
		w2 := &checkingWriter{t: t}
		d2 := New(w2, Config{})
		w2.d = d2
		for _, r := range append([]rec{{"Content-Transfer-Encoding: 8bit", false}, {"", false}}, body...) {
			if err := d2.WriteRecord([]byte(r.text), r.cont); err != nil {
				t.Fatal(err)
			}
		}
		if err := d2.Close(); err != nil {
			t.Fatal(err)
		}
		want := append([]byte(nil), data...)
		if len(want) > 0 && want[len(want)-1] != '\n' {
			want = append(want, '\n') // Close ends the last line
		}
		if got := decodeQP(t, w2.recs[2:]); !bytes.Equal(got, want) {
			t.Fatalf("QP round trip\n got: %q\nwant: %q", got, want)
		}
	})
}
