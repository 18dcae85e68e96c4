package conformance

import (
	"os"
	"regexp"
	"strconv"
	"testing"
)

// captureFile is the stock probe capture (a copy of the spec vector
// scache-probe-edgecases.txt): probe output, the server's warnings and an
// strace of the stock 3.7.11 scache serving it.
const captureFile = "testdata/scache-probe-edgecases.txt"

// TestRepliesMatchStockCapture ties the reply literals the scenarios
// expect to bytes the stock server really wrote (no instance needed): a
// typo in a literal would otherwise fail both servers alike and look
// like a harness problem.
func TestRepliesMatchStockCapture(t *testing.T) {
	b, err := os.ReadFile(captureFile)
	if err != nil {
		t.Fatal(err)
	}
	written := map[string]bool{}
	// Client sockets are fds 128 and up in stock (multi_server moves them).
	for _, m := range regexp.MustCompile(`write\(1\d\d, "((?:[^"\\]|\\.)*)", \d+\)`).FindAllSubmatch(b, -1) {
		s, err := unescapeStrace(string(m[1]))
		if err != nil {
			t.Fatalf("decode %q: %v", m[1], err)
		}
		written[s] = true
	}
	for name, want := range map[string]string{
		"announcement": announcement, "dummy": dummy,
		"statusOK": statusOK, "statusBad": statusBad, "statusFail": statusFail,
		"endpMiss": endpMiss, "endpBad": endpBad, "destMiss": destMiss, "destBad": destBad,
		"endpHit": endpHit("prop0"), "destHit": destHit("dp1", "ep1"),
	} {
		if !written[want] {
			t.Errorf("%s %q was never written by stock scache in %s", name, want, captureFile)
		}
	}
}

// unescapeStrace decodes strace's C-style string: \ooo octal (strace
// writes NUL as \0, or \000 before a digit), and the usual letters.
func unescapeStrace(s string) (string, error) {
	var out []byte
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' || i+1 == len(s) {
			out = append(out, s[i])
			continue
		}
		i++
		switch c := s[i]; {
		case c >= '0' && c <= '7':
			j := i
			for j < len(s) && j < i+3 && s[j] >= '0' && s[j] <= '7' {
				j++
			}
			v, err := strconv.ParseUint(s[i:j], 8, 8)
			if err != nil {
				return "", err
			}
			out = append(out, byte(v))
			i = j - 1
		case c == 'n':
			out = append(out, '\n')
		case c == 't':
			out = append(out, '\t')
		case c == 'r':
			out = append(out, '\r')
		default: // \\ and \"
			out = append(out, c)
		}
	}
	return string(out), nil
}
