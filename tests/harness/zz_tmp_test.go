package harness

import (
	"os/exec"
	"testing"
)

func TestTmpFailurePath(t *testing.T) {
	in := New(t, Options{MasterParams: []string{"scache/unix/max_idle=12s"}})
	in.StartSink(t, SinkOptions{Save: true})
	cmd := exec.Command("sleep", "1000")
	cmd.Dir = in.Spool
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go cmd.Wait()
	in.InjectAsync(t, InjectOptions{Messages: 100000, Sessions: 2})
	out, _ := in.Postconf("-M", "scache/unix")
	t.Logf("master.cf: %s", out)
	pids, err := in.PIDs("qmgr")
	t.Logf("qmgr %v %v master %d", pids, err, in.MasterPID())
	t.Fatal("deliberate failure")
}
