package tests

import (
	"path/filepath"
	"testing"

	"github.com/postfix-go/postfix-go/tests/harness"
)

// scacheBinary is one scache implementation. Every scache scenario runs
// once per binary so that a difference between ours and the stock one
// shows up side by side in the same test run.
type scacheBinary struct {
	name string
	path func(t *testing.T) string // may skip t (ours not written yet)
}

var (
	stockScache = scacheBinary{"stock", func(*testing.T) string {
		return filepath.Join(harness.StockDaemonDir, "scache")
	}}
	ourScache = scacheBinary{"ours", func(t *testing.T) string {
		return harness.Daemon(t, "scache")
	}}
)

// forEachScache runs body as subtests "stock" and "ours".
func forEachScache(t *testing.T, body func(t *testing.T, bin string)) {
	for _, b := range []scacheBinary{stockScache, ourScache} {
		t.Run(b.name, func(t *testing.T) {
			harness.Require(t) // before building: no point without root
			body(t, b.path(t))
		})
	}
}

// scacheOptions swaps bin in as the instance's scache and adds opts.
func scacheOptions(bin string, opts harness.Options) harness.Options {
	opts.Replace = map[string]string{"scache": bin}
	return opts
}
