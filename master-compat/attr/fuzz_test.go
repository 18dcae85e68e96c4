package attr

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// FuzzScan feeds arbitrary bytes to the scanner the way a server loop
// would: scan requests until the input is exhausted or malformed. It must
// never panic, loop forever or return a count outside [-1, wanted].
func FuzzScan(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.bin"))
	for _, name := range files {
		if b, err := os.ReadFile(name); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte("{\x00a\x00b\x00}\x00\x00"))
	f.Add([]byte("request\x00find_endp\x00label\x00x\x00extra\x001\x00\x00"))
	f.Fuzz(func(t *testing.T, in []byte) {
		s := NewScanner(bytes.NewReader(in), "fuzz", nil)
		s.MaxToken = 4096
		var (
			str  string
			num  int
			long int64
			data []byte
			hash []Attr
		)
		for i := 0; i < len(in)+2; i++ {
			n, err := s.Scan(Strict|More, Str("request", &str))
			if err != nil {
				return
			}
			if n < 0 || n > 1 {
				t.Fatalf("count %d", n)
			}
			n, err = s.Scan(Strict, Int("ttl", &num), Long("size", &long), Data("d", &data), Hash(&hash))
			if err != nil {
				return
			}
			if n < 0 || n > 4+len(hash) {
				t.Fatalf("count %d", n)
			}
		}
	})
}

// FuzzParsePlain checks that property strings from a hostile peer never
// crash the parser and that whatever parses re-encodes stably.
func FuzzParsePlain(f *testing.F) {
	f.Add("tls_level=1\nreuse_count=0\nendpoint_features=34695\nexpire_time=1795930729\n\n")
	f.Add("destination=[127.0.2.2]:12026\nhost_name=h\nhost_addr=127.0.2.2\ndestination_features=4096\n\n")
	f.Fuzz(func(t *testing.T, in string) {
		attrs, _, err := ParsePlain(in)
		if err != nil {
			return
		}
		again, rest, err := ParsePlain(EncodePlain(attrs))
		if err != nil || rest != "" || len(again) != len(attrs) {
			t.Fatalf("re-encode: %v %q %v", again, rest, err)
		}
	})
}
