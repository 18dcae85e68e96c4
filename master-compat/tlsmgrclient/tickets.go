package tlsmgrclient

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"errors"
	"sync"
	"time"

	"github.com/postfix-go/postfix-go/internal/tlsmgrproto"
)

// Why tlsmgr's keys are not handed to crypto/tls as they are: stock's
// TLS_TICKET_KEY is name[16], AES-256-CBC key[32], HMAC-SHA256 key[32],
// tout, used by OpenSSL for RFC 5077 tickets (name ‖ IV ‖ AES-256-CBC ‖
// HMAC). crypto/tls has no such format: SetSessionTicketKeys takes 32-byte
// seeds, hashes each with SHA-512 into an AES-128-CTR and an HMAC-SHA256
// key, and writes IV ‖ ciphertext ‖ MAC without a key name. No byte
// layout maps one onto the other, so OpenSSL and Go tickets can never be
// exchanged: each side fails to decrypt the other's and does a full
// handshake (OpenSSL asks tlsmgr for a key named after the Go ticket's
// random first 16 bytes, gets ERR, and declares the ticket stale).
//
// What does map safely is the key schedule. GoTicketKey derives a Go
// seed from the whole tlsmgr key with a domain-separated SHA-256, so the
// Go servers of an instance share tickets with each other (and across
// restarts) exactly as the stock smtpd processes do, the seed reveals
// nothing about the OpenSSL keys, and the same secret is never fed to
// two cipher constructions directly.

// ticketLabel separates the derivation from any other use of the key.
const ticketLabel = "postfix-go tlsmgr ticket key v1\x00"

// ErrNoTicketKey: tickets are off (no smtpd cache timeout) or tlsmgr
// handed out no current key; the server must issue no tickets.
var ErrNoTicketKey = errors.New("no TLS session ticket key")

// GoTicketKey derives the crypto/tls ticket key seed from a tlsmgr key.
func GoTicketKey(k *tlsmgrproto.TicketKey) [32]byte {
	h := sha256.New()
	h.Write([]byte(ticketLabel))
	h.Write(k.Name[:])
	h.Write(k.Bits[:])
	h.Write(k.HMAC[:])
	var out [32]byte
	h.Sum(out[:0])
	return out
}

// Tickets keeps a server's ring of two tlsmgr keys, current and previous,
// as tls_scache_key does in each stock server process, and asks tlsmgr
// only when the current key has expired.
type Tickets struct {
	c *Client

	once    sync.Once
	timeout time.Duration // smtpd cache timeout: 0 disables tickets

	mu   sync.Mutex
	ring [2]*tlsmgrproto.TicketKey // sorted by tout, current first
}

// NewTickets returns a key source on c.
func NewTickets(c *Client) *Tickets { return &Tickets{c: c} }

// Keys returns the Go ticket key seeds, current key first, for
// tls.Config.SetSessionTicketKeys. Like tls_server_init it takes the
// smtpd cache timeout from tlsmgr's policy once; a failed policy request
// or a zero timeout disables tickets for good. A previous key stays for
// decryption while tout + timeout is ahead (tls_mgr_key's check, with
// the timeout ticket_cb passes: half of the SSL_CTX timeout, which is
// twice the cache timeout).
func (t *Tickets) Keys(ctx context.Context) ([][32]byte, error) {
	t.once.Do(func() {
		if _, timeout, err := t.c.Policy(ctx, CacheSMTPD); err == nil && timeout > 0 {
			t.timeout = timeout
		}
	})
	if t.timeout <= 0 {
		return nil, ErrNoTicketKey
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.c.cfg.Now().Unix()
	if t.ring[0] == nil || t.ring[0].Timeout <= now {
		k, err := t.c.TicketKey(ctx, nil)
		if err != nil || k.Timeout <= now {
			return nil, errors.Join(ErrNoTicketKey, err)
		}
		t.rotate(&k)
	}
	keys := [][32]byte{GoTicketKey(t.ring[0])}
	if p := t.ring[1]; p != nil && p.Timeout+int64(t.timeout/time.Second) > now {
		keys = append(keys, GoTicketKey(p))
	}
	return keys, nil
}

// rotate is tls_scache_key_rotate: the new key replaces the older slot,
// and the ring stays sorted with the latest tout first. The same key
// fetched again just refreshes its slot.
func (t *Tickets) rotate(k *tlsmgrproto.TicketKey) {
	if t.ring[0] != nil && t.ring[0].Name == k.Name {
		t.ring[0] = k
		return
	}
	t.ring[1] = k
	if t.ring[0] == nil || t.ring[0].Timeout < k.Timeout {
		t.ring[0], t.ring[1] = k, t.ring[0]
	}
}

// Configure prepares cfg, a per-handshake clone (from GetConfigForClient),
// for the handshake: it sets the shared keys, or disables tickets when
// there is no current key, as a stock server issues none then. Presented
// tickets are then not decrypted either, which costs a full handshake.
func (t *Tickets) Configure(ctx context.Context, cfg *tls.Config) {
	keys, err := t.Keys(ctx)
	if err != nil {
		cfg.SessionTicketsDisabled = true
		return
	}
	cfg.SetSessionTicketKeys(keys)
}
