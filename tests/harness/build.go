package harness

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
)

// daemonPackages maps a master.cf command name to the package that
// implements it; lmtp is the smtp binary, exactly like in Postfix.
var daemonPackages = map[string]string{
	"scache":   "./scache",
	"smtp":     "./smtp",
	"lmtp":     "./smtp",
	"tlsproxy": "./tlsproxy",
}

// errNotWritten marks a daemon whose package has no Go code yet; tests
// for it skip instead of failing.
var errNotWritten = errors.New("package has no Go files yet")

type buildResult struct {
	path string
	err  error
}

var (
	buildMu    sync.Mutex
	buildDir   string
	buildCache = map[string]buildResult{} // keyed by package path
)

// Daemon returns the path of our build of the named daemon ("scache",
// "smtp", "lmtp" or "tlsproxy"), building its package with CGO_ENABLED=0
// at most once per test binary. It skips t while the package has no Go
// files and fails t when the build fails. Pass the result in
// Options.Replace.
func Daemon(t testing.TB, name string) string {
	t.Helper()
	pkg, ok := daemonPackages[name]
	if !ok {
		t.Fatalf("harness.Daemon: unknown daemon %q", name)
	}
	buildMu.Lock()
	defer buildMu.Unlock()
	r, done := buildCache[pkg]
	if !done {
		r.path, r.err = build(pkg)
		buildCache[pkg] = r
	}
	switch {
	case errors.Is(r.err, errNotWritten):
		t.Skipf("our %s is not written yet: %v", name, r.err)
	case r.err != nil:
		t.Fatalf("build our %s: %v", name, r.err)
	}
	return r.path
}

// build compiles pkg (relative to the repository root) into the shared
// build directory; called with buildMu held.
func build(pkg string) (string, error) {
	root, err := RepoRoot()
	if err != nil {
		return "", err
	}
	src := filepath.Join(root, pkg)
	if ok, err := hasGoFiles(src); err != nil || !ok {
		if err == nil || errors.Is(err, os.ErrNotExist) {
			return "", fmt.Errorf("%s: %w", src, errNotWritten)
		}
		return "", err
	}
	if buildDir == "" {
		// Private (0700) is fine: New copies the binaries into each
		// instance's daemon_directory, and those copies are what runs.
		d, err := os.MkdirTemp("", "postfix-go-bin-")
		if err != nil {
			return "", fmt.Errorf("create build dir: %w", err)
		}
		buildDir = d
	}
	out := filepath.Join(buildDir, filepath.Base(pkg))
	cmd := exec.Command(goTool(), "build", "-o", out, pkg)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	var buf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &buf, &buf
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("go build %s: %v\n%s", pkg, err, buf.String())
	}
	return out, nil
}

// hasGoFiles reports whether dir holds non-test Go source, i.e. whether
// "go build" has anything to build.
func hasGoFiles(dir string) (bool, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return false, err
	}
	for _, e := range ents {
		n := e.Name()
		if strings.HasSuffix(n, ".go") && !strings.HasSuffix(n, "_test.go") {
			return true, nil
		}
	}
	return false, nil
}

// goTool finds the go command; "go test" puts $GOROOT/bin first in
// PATH, the GOROOT fallback covers a test binary run by hand.
func goTool() string {
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	return filepath.Join(runtime.GOROOT(), "bin", "go")
}

// RepoRoot returns the directory holding the module's go.mod, found by
// walking up from the working directory (the test's package directory).
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("find repository root: %w", err)
	}
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d, nil
		}
		if d == filepath.Dir(d) {
			return "", fmt.Errorf("find repository root: no go.mod above %s", dir)
		}
	}
}

// Main runs the tests and then removes the binaries Daemon built. Use it
// as the body of TestMain: func TestMain(m *testing.M) { harness.Main(m) }.
func Main(m *testing.M) {
	code := m.Run()
	buildMu.Lock()
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	buildMu.Unlock()
	os.Exit(code)
}
