package queuefile

import (
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/postfix-go/postfix-go/tests/harness"
)

// postfixTool runs a Postfix command-line tool against the instance.
func postfixTool(t *testing.T, in *harness.Instance, name string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, append([]string{"-c", in.ConfigDir}, args...)...)
	cmd.Env = append(os.Environ(), "MAIL_CONFIG="+in.ConfigDir)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %v: %v\n%s", name, args, err, out)
	}
	return string(out)
}

// waitHeld waits for cleanup to finish a file in the hold queue (the x
// bit marks a complete file) and returns its queue ID.
func waitHeld(t *testing.T, spool string) string {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		ents, _ := os.ReadDir(filepath.Join(spool, "hold"))
		for _, e := range ents {
			if info, err := e.Info(); err == nil && info.Mode().IsRegular() && info.Mode().Perm()&0o700 == 0o700 {
				return e.Name()
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("no complete file in the hold queue")
	return ""
}

// A queue file written by a real cleanup(8) of a private Postfix
// instance (long queue IDs, held by header_checks): open and lock it,
// read its content, mark a recipient done and have postcat confirm it,
// then let postsuper move it to the hashed deferred queue and find it
// there with our path rules.
func TestRealPostfixQueueFile(t *testing.T) {
	in := harness.New(t, harness.Options{MainCF: map[string]string{
		"header_checks":         "static:HOLD",
		"enable_long_queue_ids": "yes",
		// Nothing may pick the file up from the deferred queue meanwhile.
		"queue_run_delay":      "3600s",
		"minimal_backoff_time": "3600s",
		"maximal_backoff_time": "4000s",
	}})
	in.Inject(t, harness.InjectOptions{Recipients: 2})
	id := waitHeld(t, in.Spool)
	if !strings.Contains(id, "z") {
		t.Fatalf("queue ID %s is not a long queue ID", id)
	}
	l := DefaultLayout(in.Spool)

	if w, err := l.OpenOK("hold", id); err != nil || w != "" {
		t.Fatalf("OpenOK: %q %v", w, err)
	}
	f, err := Open(l, "hold", id)
	if err != nil {
		t.Fatal(err)
	}
	sz, err := f.Size()
	if err != nil {
		t.Fatal(err)
	}
	cr, err := f.Content(sz.DataOffset)
	if err != nil {
		t.Fatal(err)
	}
	text, err := io.ReadAll(cr.Text())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(text), "Received: from ") || !strings.Contains(string(text), "\n\n") {
		t.Errorf("content:\n%s", text)
	}

	r, err := f.Records(0, 0)
	if err != nil {
		t.Fatal(err)
	}
	var rcpts []int64
	var recs []Record
	for {
		rc, err := r.NextRaw()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		recs = append(recs, rc)
		if rc.Type == RecTypeRcpt {
			rcpts = append(rcpts, rc.Offset)
		}
	}
	t.Logf("%s: %s", f.Path(), summarize(recs))
	if len(rcpts) != 2 || recs[len(recs)-1].Type != RecTypeEnd {
		t.Fatalf("recipients at %v, last record %c", rcpts, recs[len(recs)-1].Type)
	}
	if err := f.MarkDone(rcpts[0]); err != nil {
		t.Fatal(err)
	}
	f.Close()

	out := postfixTool(t, in, "postcat", "-q", id)
	var done, todo int
	for _, line := range strings.Split(out, "\n") {
		switch {
		case strings.HasPrefix(line, "done_recipient: "):
			done++
		case strings.HasPrefix(line, "recipient: "):
			todo++
		}
	}
	if done != 1 || todo != 1 {
		t.Errorf("postcat shows %d done and %d open recipients:\n%s", done, todo, out)
	}

	postfixTool(t, in, "postsuper", "-H", id)
	matches, _ := filepath.Glob(filepath.Join(in.Spool, "deferred", "*", id))
	sort.Strings(matches)
	if len(matches) != 1 {
		t.Fatalf("released file not found under deferred/: %v", matches)
	}
	want, _ := filepath.Rel(in.Spool, matches[0])
	f, err = Open(l, "deferred", id)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if f.Path() != want {
		t.Errorf("our path %s, Postfix put it at %s", f.Path(), want)
	}
}
