package tlsmgrproto

import (
	"encoding/binary"
	"fmt"
)

// Sizes of TLS_TICKET_KEY (src/tls/tls_scache.h) on 64-bit Linux.
const (
	TicketNameLen = 16 // TLS_TICKET_NAMELEN: key name, sent in each ticket
	TicketKeyLen  = 32 // TLS_TICKET_KEYLEN: AES-256-CBC key
	TicketMACLen  = 32 // TLS_TICKET_MACLEN: HMAC-SHA256 key
	// TicketKeySize is sizeof(TLS_TICKET_KEY) with a 64-bit time_t: the
	// exact keybuf length a stock client accepts.
	TicketKeySize = TicketNameLen + TicketKeyLen + TicketMACLen + 8
)

// TicketKey is a session ticket key as tlsmgr hands it out in keybuf.
// tlsmgr sends the raw memory of its C structure, so the layout is the
// host's: the fields back to back (no padding: 80 is a multiple of 8) and
// tout as a native-endian 64-bit time_t. Both ends run on the same host.
type TicketKey struct {
	Name    [TicketNameLen]byte // name
	Bits    [TicketKeyLen]byte  // bits: cipher key
	HMAC    [TicketMACLen]byte  // hmac: MAC key
	Timeout int64               // tout: Unix time after which no new tickets use this key
}

// ParseTicketKey decodes a keybuf. Like the stock client it refuses any
// other length than TicketKeySize.
func ParseTicketKey(b []byte) (TicketKey, error) {
	var k TicketKey
	if len(b) != TicketKeySize {
		return k, fmt.Errorf("%w: ticket key length %d, want %d", ErrRange, len(b), TicketKeySize)
	}
	n := copy(k.Name[:], b)
	n += copy(k.Bits[:], b[n:])
	n += copy(k.HMAC[:], b[n:])
	k.Timeout = int64(binary.NativeEndian.Uint64(b[n:]))
	return k, nil
}

// AppendBinary appends the keybuf form of k.
func (k *TicketKey) AppendBinary(dst []byte) ([]byte, error) {
	dst = append(dst, k.Name[:]...)
	dst = append(dst, k.Bits[:]...)
	dst = append(dst, k.HMAC[:]...)
	return binary.NativeEndian.AppendUint64(dst, uint64(k.Timeout)), nil
}
