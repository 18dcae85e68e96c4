package tlspolicy

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// logMsg matches a captured syslog line and keeps the program and message.
var logMsg = regexp.MustCompile(`^\w{3} +\d+ [\d:]+ \S+ s4send/(\w+)\[\d+\]: (.*)$`)

// vectorMessages returns the messages logged by prog in a copied stock
// transcript (testdata/vectors), in order.
func vectorMessages(t *testing.T, file, prog string) []string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "vectors", file))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, line := range strings.Split(string(data), "\n") {
		if m := logMsg.FindStringSubmatch(line); m != nil && m[1] == prog {
			out = append(out, m[2])
		}
	}
	if len(out) == 0 {
		t.Fatalf("%s: no %s lines", file, prog)
	}
	return out
}

// requireVector fails unless want occurs verbatim among the messages.
func requireVector(t *testing.T, file, prog, want string) {
	t.Helper()
	for _, m := range vectorMessages(t, file, prog) {
		if m == want {
			return
		}
	}
	t.Errorf("%s: no %s message %q", file, prog, want)
}
