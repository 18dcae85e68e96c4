package downgrade

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/postfix-go/postfix-go/smtp/internal/queuefile"
	"github.com/postfix-go/postfix-go/tests/harness"
)

// captureEnv enables TestCaptureStock, which rewrites testdata/stock.
const captureEnv = "DOWNGRADE_CAPTURE"

// TestCaptureStock regenerates the golden files in testdata/stock from
// the real Postfix 3.7.11: every message of stockFixtures is submitted
// with sendmail into a private instance whose relay transport is
// deferred, its queue file content (data offset through X) is saved as
// NAME.qf, then the transport is released and what stock smtp(8) sends
// to rawServer (no 8BITMIME) is saved as NAME.wire; NAME.err holds
// "dsn text" when stock bounced the message instead.
//
//	sudo DOWNGRADE_CAPTURE=1 go test -run TestCaptureStock ./smtp/internal/downgrade
func TestCaptureStock(t *testing.T) {
	if os.Getenv(captureEnv) == "" {
		t.Skipf("set %s=1 (as root) to recapture testdata/stock from stock Postfix", captureEnv)
	}
	in := harness.New(t, harness.Options{MainCF: map[string]string{
		"defer_transports":    "relay smtp",
		"disable_dns_lookups": "yes",
		// Otherwise sendmail mail with 8-bit headers requests SMTPUTF8
		// and stock bounces it (5.6.7) before any downgrade.
		"smtputf8_autodetect_classes": "verify",
	}})
	srv := startRawServer(t, in.SinkPort)
	fixtures := stockFixtures()
	names := make([]string, 0, len(fixtures))
	for name := range fixtures {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		sendmail(t, in, name, fixtures[name])
	}
	err := harness.WaitFor(time.Minute, func() (bool, error) {
		c, err := in.QueueCounts()
		return c["deferred"] == len(names), err
	}, func() string { return "messages not all deferred" })
	if err != nil {
		t.Fatal(err)
	}
	qfs := readDeferred(t, in.Spool)
	if _, err := in.Postconf("-e", "defer_transports="); err != nil {
		t.Fatal(err)
	}
	if err := in.Reload(); err != nil {
		t.Fatal(err)
	}
	flush := exec.Command("postqueue", "-c", in.ConfigDir, "-f")
	if out, err := flush.CombinedOutput(); err != nil {
		t.Fatalf("postqueue -f: %v: %s", err, out)
	}
	dir := filepath.Join("testdata", "stock")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, name := range names {
		rcpt := name + "@fixture.test"
		var data []byte
		err := harness.WaitFor(time.Minute, func() (bool, error) {
			var done bool
			data, done = srv.result(rcpt)
			return done, nil
		}, func() string { return "no session for " + rcpt + "; have " + srv.keys() })
		if err != nil {
			t.Fatal(err)
		}
		base := filepath.Join(dir, name)
		write(t, base+".eml", []byte(fixtures[name]))
		write(t, base+".qf", qfs[rcpt])
		write(t, base+".wire", data)
		os.Remove(base + ".err")
		if e := bounceReason(t, in, rcpt); e != "" {
			write(t, base+".err", []byte(e+"\n"))
		}
	}
}

func write(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// sendmail submits msg for name@fixture.test as 8BITMIME.
func sendmail(t *testing.T, in *harness.Instance, name, msg string) {
	t.Helper()
	cmd := exec.Command("sendmail", "-B", "8BITMIME", "-i", "-f", "sender@source.test", name+"@fixture.test")
	cmd.Env = append(os.Environ(), "MAIL_CONFIG="+in.ConfigDir)
	cmd.Stdin = strings.NewReader(msg)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("sendmail %s: %v: %s", name, err, out)
	}
}

// readDeferred maps each deferred message's recipient to its content
// records: the bytes from the data offset up to the X record, plus an X
// record.
func readDeferred(t *testing.T, spool string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	err := filepath.WalkDir(filepath.Join(spool, "deferred"), func(path string, d os.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		r := queuefile.NewReader(bytes.NewReader(b), path, 0)
		var size queuefile.Size
		rcpt := ""
		for {
			rec, err := r.NextRaw()
			if errors.Is(err, io.EOF) || (err == nil && rec.Type == queuefile.RecTypeMesg) {
				break
			}
			if err != nil {
				return err
			}
			switch rec.Type {
			case queuefile.RecTypeSize:
				if size, err = queuefile.ParseSize(rec.Data); err != nil {
					return err
				}
			case queuefile.RecTypeRcpt:
				rcpt = strings.ToLower(string(rec.Data))
			}
		}
		if rcpt == "" || size.DataOffset == 0 {
			return fmt.Errorf("%s: no recipient or size record", path)
		}
		content := append([]byte(nil), b[size.DataOffset:size.XtraOffset()]...)
		out[rcpt] = queuefile.AppendRecord(content, queuefile.RecTypeXtra, nil)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

var bouncedRE = regexp.MustCompile(`dsn=(\S+), status=bounced \((.*)\)$`)

// bounceReason returns "dsn text" of the bounce of rcpt, or "".
func bounceReason(t *testing.T, in *harness.Instance, rcpt string) string {
	t.Helper()
	var reason string
	_ = harness.WaitFor(10*time.Second, func() (bool, error) {
		ls, err := in.LogLines()
		if err != nil {
			return false, err
		}
		for _, l := range ls.Program("smtp").Match("to=<" + regexp.QuoteMeta(rcpt) + ">") {
			if m := bouncedRE.FindStringSubmatch(l.Text); m != nil {
				reason = m[1] + " " + m[2]
			}
			return true, nil
		}
		return false, nil
	}, func() string { return "no delivery log for " + rcpt })
	return reason
}
