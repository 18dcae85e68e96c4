package tlsmgrclient

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"testing"
	"time"

	"github.com/postfix-go/postfix-go/internal/tlsmgrproto"
	"github.com/postfix-go/postfix-go/master-compat/attr"
)

func fixtureKey(t *testing.T) tlsmgrproto.TicketKey {
	sc := attr.NewScanner(bytes.NewReader(fixture(t, "tlsmgr-tktkey.reply.bin")), "fixture", nil)
	r, err := tlsmgrproto.DecodeMgrReply(sc, tlsmgrproto.MgrTktKey)
	if err != nil {
		t.Fatal(err)
	}
	k, err := tlsmgrproto.ParseTicketKey(r.Data)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// TestTicketsShared: two Go servers, each with its own tlsmgr client,
// accept each other's tickets because both derive their keys from the
// same tlsmgr key.
func TestTicketsShared(t *testing.T) {
	k := fixtureKey(t)
	k.Timeout = time.Now().Add(time.Hour).Unix()
	f := newFake(t, store(k))
	cert := testCert(t)
	server := func() *tls.Config {
		tk := NewTickets(New(Config{Dir: f.dir}))
		base := &tls.Config{Certificates: []tls.Certificate{cert}}
		base.GetConfigForClient = func(*tls.ClientHelloInfo) (*tls.Config, error) {
			cfg := base.Clone()
			cfg.GetConfigForClient = nil
			tk.Configure(context.Background(), cfg)
			return cfg, nil
		}
		return base
	}
	cli := &tls.Config{ServerName: "mx.test", InsecureSkipVerify: true,
		ClientSessionCache: tls.NewLRUClientSessionCache(4)}
	if handshake(t, server(), cli).DidResume {
		t.Fatal("first handshake resumed")
	}
	if !handshake(t, server(), cli).DidResume {
		t.Error("second server did not accept the first one's ticket")
	}
	g := GoTicketKey(&k)
	if bytes.Contains(g[:], k.Bits[:8]) || g == GoTicketKey(&tlsmgrproto.TicketKey{}) {
		t.Error("derivation leaks or ignores the key")
	}
}

// TestTicketsRing: an expired current key is replaced from tlsmgr and
// kept for decryption while tout + timeout is ahead; without tlsmgr (or
// with a zero smtpd timeout) there are no keys.
func TestTicketsRing(t *testing.T) {
	k := fixtureKey(t)
	clk := &clock{t: time.Unix(k.Timeout-100, 0)}
	cur := k
	f := newFake(t, func(req tlsmgrproto.MgrRequest) []byte {
		if req.Name == tlsmgrproto.MgrTktKey {
			r := tlsmgrproto.MgrReply{}
			r.Data, _ = cur.AppendBinary(nil)
			return r.Append(nil, req.Name)
		}
		return store(k)(req)
	})
	tk := NewTickets(New(Config{Dir: f.dir, Now: clk.now}))
	ctx := context.Background()
	if keys, err := tk.Keys(ctx); err != nil || len(keys) != 1 {
		t.Fatalf("%d keys, %v", len(keys), err)
	}
	next := k
	next.Name[0] ^= 1
	next.Timeout = k.Timeout + 7200
	cur = next
	clk.add(200 * time.Second) // the first key expired for encryption
	keys, err := tk.Keys(ctx)
	if err != nil || len(keys) != 2 || keys[0] != GoTicketKey(&next) || keys[1] != GoTicketKey(&k) {
		t.Fatalf("%d keys, %v", len(keys), err)
	}
	clk.add(time.Hour) // past tout + timeout of the old key
	if keys, _ := tk.Keys(ctx); len(keys) != 1 {
		t.Errorf("%d keys after the old key retired", len(keys))
	}
	rec := &recorder{}
	none := NewTickets(New(Config{Dir: t.TempDir(), Warn: rec.warn, Sleep: rec.sleep}))
	cfg := &tls.Config{}
	none.Configure(ctx, cfg)
	if _, err := none.Keys(ctx); !errors.Is(err, ErrNoTicketKey) || !cfg.SessionTicketsDisabled {
		t.Errorf("without tlsmgr: %v, tickets disabled %v", err, cfg.SessionTicketsDisabled)
	}
}
