package deliver

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// FuzzRead throws arbitrary bytes at Read. It must never panic or hang;
// it either fails with one of its two errors or returns a request within
// the limits, and a returned request survives encode and decode unchanged.
// The seeds (the captured requests and some broken ones) run as ordinary
// tests under "go test".
func FuzzRead(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "smtp-deliver-request*.bin"))
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
		f.Add(bytes.Replace(b, []byte("\x00smtputf8\x00"), []byte("\x00sendopts\x00"), 1))
		f.Add(b[:len(b)/2])
	}
	f.Add([]byte{})
	f.Add([]byte("\x00"))
	f.Add([]byte("flags\x003\x00\x00"))
	f.Add([]byte("flags\x004294967295\x00queue_name\x00active\x00queue_id\x00A\x00offset\x0018446744073709551615\x00"))
	f.Fuzz(func(t *testing.T, in []byte) {
		sc, warns := scanner(in)
		sc.MaxToken = 4096
		d := testDecoder()
		d.MaxRecipients = 64
		req, err := d.Read(sc)
		switch {
		case err != nil && req != nil:
			t.Fatalf("request and error: %v", err)
		case err != nil && !errors.Is(err, ErrBadRequest) && !errors.Is(err, ErrNoRequest):
			t.Fatalf("unexpected error kind: %v", err)
		case errors.Is(err, ErrNoRequest) && (len(in) != 0 || len(*warns) != 0):
			t.Fatalf("ErrNoRequest for %d bytes of input", len(in))
		case err != nil:
			return
		}
		if n := len(req.Recipients); n < 1 || n > 64 {
			t.Fatalf("%d recipients", n)
		}
		if !queueNameOK(req.QueueName) || !queueIDOK(req.QueueID) {
			t.Fatalf("bad queue file name accepted: %q %q", req.QueueName, req.QueueID)
		}
		if req.Stats.AgentHandoff.IsZero() {
			t.Fatal("hand-off time not stamped")
		}
		enc := req.Encode()
		sc2, _ := scanner(enc)
		again, err := testDecoder().Read(sc2)
		if err != nil {
			t.Fatalf("re-read of the re-encoded request: %v\n%q", err, enc)
		}
		if enc2 := again.Encode(); !bytes.Equal(enc, enc2) {
			t.Fatalf("encode/decode not stable:\n%q\n%q", enc, enc2)
		}
	})
}
