package privs

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

func TestLookupRefusesRoot(t *testing.T) {
	if _, err := Lookup("root"); err == nil || !strings.Contains(err.Error(), "privileged user ID 0") {
		t.Errorf("Lookup(root) = %v", err)
	}
	if _, err := Lookup("no-such-user-xyz"); err == nil {
		t.Error("unknown user accepted")
	}
}

// TestConfineInChild re-runs the test binary as a child that confines
// itself, then checks from inside that every thread dropped root.
func TestConfineInChild(t *testing.T) {
	if os.Getenv("PRIVS_CHILD") == "1" {
		id, err := Lookup(os.Getenv("PRIVS_USER"))
		if err != nil {
			t.Fatal(err)
		}
		if err := Confine(id, os.Getenv("PRIVS_ROOT")); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat("/marker"); err != nil {
			t.Fatalf("not inside the new root: %v", err)
		}
		return
	}
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
	account := ""
	for _, name := range []string{"postfix", "nobody", "daemon"} {
		if id, err := Lookup(name); err == nil && id.UID != 0 {
			account = name
			break
		}
	}
	if account == "" {
		t.Skip("no unprivileged account")
	}
	root := t.TempDir()
	os.Chmod(root, 0755)
	if err := os.WriteFile(root+"/marker", nil, 0644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=TestConfineInChild$", "-test.v")
	cmd.Env = append(os.Environ(), "PRIVS_CHILD=1", "PRIVS_USER="+account, "PRIVS_ROOT="+root)
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "PASS") {
		t.Fatalf("child: %v\n%s", err, out)
	}
}
