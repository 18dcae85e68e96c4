package ipcconn

import (
	"context"
	"errors"
	"net"
	"path/filepath"
	"testing"
	"time"

	"github.com/postfix-go/postfix-go/master-compat/attr"
)

// The server announces itself, answers one request, then hangs up: the
// connection works, then counts as expired; idle and TTL limits apply.
func TestConnLifecycle(t *testing.T) {
	path := filepath.Join(t.TempDir(), "svc")
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	hangUp := make(chan struct{})
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		c.Write(attr.AppendEnd(attr.AppendStr(nil, "protocol", "test_protocol")))
		buf := make([]byte, 64)
		c.Read(buf)
		c.Write(attr.AppendEnd(attr.AppendInt(nil, "status", 0)))
		<-hangUp
		c.Close()
	}()
	ctx := context.Background()
	t0 := time.Unix(1000, 0)
	announce := func(sc *attr.Scanner) error {
		var p string
		_, err := sc.Scan(0, attr.Str("protocol", &p))
		return err
	}
	c, err := Dial(ctx, path, "private/svc", time.Second, func(string) {}, t0, announce)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var status int
	if err := c.Exchange(ctx, t0, attr.AppendEnd(nil), func(sc *attr.Scanner) error {
		_, err := sc.Scan(0, attr.Int("status", &status))
		return err
	}); err != nil {
		t.Fatal(err)
	}
	switch {
	case c.Expired(t0.Add(time.Second), 5*time.Second, 10*time.Second):
		t.Error("fresh connection expired")
	case !c.Expired(t0.Add(5*time.Second), 5*time.Second, 0):
		t.Error("idle limit not applied")
	case !c.Expired(t0.Add(time.Second), 0, time.Second):
		t.Error("TTL not applied")
	}
	close(hangUp)
	deadline := time.Now().Add(2 * time.Second)
	for !c.Expired(t0, 0, 0) {
		if time.Now().After(deadline) {
			t.Fatal("hang-up not noticed")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if _, err := Dial(ctx, path+".missing", "x", time.Second, nil, t0, announce); !errors.As(err, new(*DialError)) {
		t.Errorf("missing socket: %v, want a DialError", err)
	}
}
