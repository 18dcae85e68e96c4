package downgrade

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// oracleEnv names the Postfix source directory (…/postfix/src) whose
// headers build testdata/oracle/oracle.c against the installed stock
// libraries. The oracle runs the real mime_state_update() of Postfix
// 3.7.11 with smtp(8)'s options, so the tests below compare our engine
// with stock on inputs cleanup(8) would never produce (NUL bytes, odd
// L record splits, tiny limits).
const oracleEnv = "DOWNGRADE_ORACLE_SRC"

// oracle is a running testdata/oracle program; cases go through one
// process because starting it (it loads all of Postfix's libraries)
// is slow.
type oracle struct {
	stdin  io.WriteCloser
	stdout *bufio.Reader
}

// buildOracle compiles and starts the oracle, or skips tb when that is
// impossible.
func buildOracle(tb testing.TB) *oracle {
	tb.Helper()
	src := os.Getenv(oracleEnv)
	if src == "" {
		tb.Skipf("set %s to the Postfix src directory to compare with stock's MIME engine", oracleEnv)
	}
	if _, err := os.Stat("/usr/lib/postfix/libpostfix-global.so"); err != nil {
		tb.Skipf("stock Postfix libraries missing: %v", err)
	}
	bin := filepath.Join(tb.TempDir(), "oracle")
	build := exec.Command("cc", "-DLINUX6", "-O", "-o", bin, "-I"+filepath.Join(src, "util"), "-I"+filepath.Join(src, "global"),
		"testdata/oracle/oracle.c", "-L/usr/lib/postfix", "-lpostfix-global", "-lpostfix-util", "-Wl,-rpath,/usr/lib/postfix")
	if out, err := build.CombinedOutput(); err != nil {
		tb.Fatalf("build oracle: %v\n%s", err, out)
	}
	cmd := exec.Command(bin)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		tb.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		tb.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		tb.Fatalf("start oracle: %v", err)
	}
	tb.Cleanup(func() {
		stdin.Close()
		_ = cmd.Wait()
	})
	return &oracle{stdin: stdin, stdout: bufio.NewReader(stdout)}
}

func putRec(w *bytes.Buffer, typ byte, text string) {
	w.WriteByte(typ)
	_ = binary.Write(w, binary.BigEndian, uint32(len(text)))
	w.WriteString(text)
}

// run feeds one case to stock's engine and returns its output records
// and error ("" or "dsn text").
func (o *oracle) run(cfg Config, in []rec) ([]rec, string, error) {
	cfg = New(nil, cfg).cfg // the defaults New applies
	var req bytes.Buffer
	putRec(&req, 'C', fmt.Sprintf("%d %d %d", cfg.NestingLimit, cfg.BoundaryLimit, cfg.HeaderSizeLimit))
	for _, r := range in {
		putRec(&req, typeByte(r.cont), r.text)
	}
	putRec(&req, 'Z', "")
	// Write concurrently: the output may outgrow the pipe buffer.
	werr := make(chan error, 1)
	go func() {
		_, err := o.stdin.Write(req.Bytes())
		werr <- err
	}()
	var recs []rec
	errText := ""
	for {
		var hdr [5]byte
		if _, err := io.ReadFull(o.stdout, hdr[:]); err != nil {
			return nil, "", fmt.Errorf("oracle output: %w", err)
		}
		text := make([]byte, binary.BigEndian.Uint32(hdr[1:]))
		if _, err := io.ReadFull(o.stdout, text); err != nil {
			return nil, "", fmt.Errorf("oracle output: %w", err)
		}
		switch hdr[0] {
		case 'Z':
			if err := <-werr; err != nil {
				return nil, "", fmt.Errorf("oracle input: %w", err)
			}
			return recs, errText, nil
		case 'E':
			errText = string(text)
		default:
			recs = append(recs, rec{string(text), hdr[0] == 'L'})
		}
	}
}

func typeByte(cont bool) byte {
	if cont {
		return 'L'
	}
	return 'N'
}

// ours returns our output records and error text.
func ours(cfg Config, in []rec) ([]rec, string) {
	var c collector
	d := New(&c, cfg)
	var err error
	for _, r := range in {
		if err = d.WriteRecord([]byte(r.text), r.cont); err != nil {
			break
		}
	}
	if err == nil {
		err = d.Close()
	}
	if err != nil {
		return c.recs, err.Error()
	}
	return c.recs, ""
}

// compareWithOracle fails tb when our engine and stock's differ.
func compareWithOracle(tb testing.TB, o *oracle, cfg Config, in []rec) {
	tb.Helper()
	want, wantErr, err := o.run(cfg, in)
	if err != nil {
		tb.Fatal(err)
	}
	got, gotErr := ours(cfg, in)
	if gotErr != wantErr {
		tb.Errorf("error %q, stock %q (input %v)", gotErr, wantErr, in)
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		tb.Errorf("output differs from stock\ninput: %v\n  got: %v\nstock: %v", in, got, want)
	}
}

func TestOracleCases(t *testing.T) {
	o := buildOracle(t)
	for _, tc := range convertCases() {
		t.Run(tc.name, func(t *testing.T) { compareWithOracle(t, o, tc.cfg, tc.in) })
	}
	qfs, _ := filepath.Glob("testdata/*/*.qf")
	for _, qf := range qfs {
		t.Run(qf, func(t *testing.T) { compareWithOracle(t, o, Config{}, readQF(t, qf)) })
	}
}

// TestOracleRandom compares random MIME-ish record streams.
func TestOracleRandom(t *testing.T) {
	o := buildOracle(t)
	n := 20000
	if testing.Short() {
		n = 300
	}
	for seed := range uint64(n) {
		rng := rand.New(rand.NewPCG(seed, 7))
		cfg, in := randomInput(rng)
		compareWithOracle(t, o, cfg, in)
		if t.Failed() {
			t.Fatalf("seed %d", seed)
		}
	}
}
