package tlsmgrclient

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"strings"
	"sync"
)

// IDTag starts the last "&"-separated field of every cache id this
// package builds. Stock ids never have it there (see the package doc):
// client ids end in uppercase hex, server ids in "l=<digits>".
const IDTag = "go1:"

// BlobTag starts every stored session. Its first byte, 'g' (0x67), is not
// the DER SEQUENCE tag (0x30) that an OpenSSL SSL_SESSION starts with, so
// d2i_SSL_SESSION in a stock process refuses it at once. The "1" is the
// format version; a later format must use a new tag.
const BlobTag = "go1:tls\x00"

// SessionCache connects crypto/tls client session resumption to one
// tlsmgr cache ("smtp" or "lmtp"). Like tls_client_init it asks for the
// cache policy once, on first use: if the policy request fails, or the
// cache has no database or a zero timeout, the cache stays off for the
// life of the SessionCache and every Get misses without I/O.
type SessionCache struct {
	c         *Client
	cacheType string

	once    sync.Once
	enabled bool
}

// NewSessionCache returns a cache on cacheType that uses c.
func NewSessionCache(c *Client, cacheType string) *SessionCache {
	return &SessionCache{c: c, cacheType: cacheType}
}

// Enabled asks tlsmgr for the policy if not done yet and reports whether
// caching is on.
func (s *SessionCache) Enabled() bool {
	s.once.Do(func() {
		cachable, timeout, err := s.c.Policy(context.Background(), s.cacheType)
		s.enabled = err == nil && cachable && timeout > 0
	})
	return s.enabled
}

// For returns the tls.ClientSessionCache to put in a tls.Config for
// connections whose sessions are interchangeable. scope must say
// everything that makes a session unfit for another connection, as the
// stock cache id does: smtp's key prefix (service, next-hop, host,
// address, each followed by "&") plus a digest of the TLS policy
// (protocols, ciphers, verification, SNI). crypto/tls adds its own
// session key (the ServerName, or the peer address without one).
func (s *SessionCache) For(scope string) tls.ClientSessionCache {
	return &scoped{s: s, scope: scope}
}

// CacheID is the tlsmgr cache id of crypto/tls's sessionKey under scope.
// A key containing "&" or control characters is base64-encoded so that
// the tagged field stays the last one.
func CacheID(scope, sessionKey string) string {
	if strings.ContainsFunc(sessionKey, func(r rune) bool { return r == '&' || r < 0x20 || r == 0x7f }) {
		sessionKey = "b64:" + base64.RawURLEncoding.EncodeToString([]byte(sessionKey))
	}
	if scope != "" && !strings.HasSuffix(scope, "&") {
		scope += "&"
	}
	return scope + IDTag + sessionKey
}

type scoped struct {
	s     *SessionCache
	scope string
}

// Get looks the session up in tlsmgr. Failures of any kind are a miss:
// caching is an optimisation.
func (v *scoped) Get(sessionKey string) (*tls.ClientSessionState, bool) {
	if !v.s.Enabled() {
		return nil, false
	}
	blob, err := v.s.c.Lookup(context.Background(), v.s.cacheType, CacheID(v.scope, sessionKey))
	if err != nil {
		return nil, false
	}
	cs, err := decodeSession(blob)
	if err != nil {
		return nil, false
	}
	return cs, true
}

// Put stores the session, or deletes the entry for a nil one (which
// crypto/tls passes when a resumption fails, as stock deletes after a
// failed handshake).
func (v *scoped) Put(sessionKey string, cs *tls.ClientSessionState) {
	if !v.s.Enabled() {
		return
	}
	id := CacheID(v.scope, sessionKey)
	if cs == nil {
		v.s.c.Delete(context.Background(), v.s.cacheType, id)
		return
	}
	blob, err := encodeSession(cs)
	if err != nil {
		return
	}
	v.s.c.Update(context.Background(), v.s.cacheType, id, blob)
}

var errBlob = errors.New("not a postfix-go TLS session entry")

// encodeSession builds BlobTag, uvarint ticket length, ticket, uvarint
// state length, state (tls.SessionState.Bytes, which carries its own
// version and the peer certificates).
func encodeSession(cs *tls.ClientSessionState) ([]byte, error) {
	ticket, state, err := cs.ResumptionState()
	if err != nil {
		return nil, err
	}
	if state == nil {
		return nil, errBlob
	}
	sb, err := state.Bytes()
	if err != nil {
		return nil, err
	}
	b := []byte(BlobTag)
	b = binary.AppendUvarint(b, uint64(len(ticket)))
	b = append(b, ticket...)
	b = binary.AppendUvarint(b, uint64(len(sb)))
	return append(b, sb...), nil
}

// decodeSession refuses anything but an exact encodeSession output: a
// stock entry (DER) or a truncated one is a miss.
func decodeSession(b []byte) (*tls.ClientSessionState, error) {
	rest, ok := bytes.CutPrefix(b, []byte(BlobTag))
	if !ok {
		return nil, errBlob
	}
	var parts [2][]byte
	for i := range parts {
		n, w := binary.Uvarint(rest)
		if w <= 0 || n > uint64(len(rest)-w) {
			return nil, errBlob
		}
		parts[i], rest = rest[w:w+int(n)], rest[w+int(n):]
	}
	if len(rest) != 0 {
		return nil, errBlob
	}
	state, err := tls.ParseSessionState(parts[1])
	if err != nil {
		return nil, err
	}
	return tls.NewResumptionState(parts[0], state)
}
