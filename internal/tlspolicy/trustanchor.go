package tlspolicy

import (
	"encoding/pem"
	"errors"
	"io/fs"
	"strings"
	"syscall"
)

// ErrNoTrustAnchors is returned for a file without any PEM block; stock
// fails such a file without a specific warning.
var ErrNoTrustAnchors = errors.New("no PEM data in trust anchor file")

// ParseTrustAnchors converts the contents of a trust-anchor file to TLSA
// records (tls_dane_load_trustfile). Each CERTIFICATE (or old-style
// X509 CERTIFICATE) becomes "2 0 0" and "3 0 0" records, each PUBLIC KEY
// "2 1 0" and "3 1 0", so that an anchor may also be the peer's own
// certificate or key. Other PEM blocks are skipped but still count as
// content, as in stock; the DER is only validated later (PrepareTLSA).
func ParseTrustAnchors(data []byte) ([]TLSA, error) {
	var recs []TLSA
	blocks := 0
	for {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			break
		}
		blocks++
		var sel uint8
		switch b.Type {
		case "CERTIFICATE", "X509 CERTIFICATE":
			sel = SelectorCert
		case "PUBLIC KEY":
			sel = SelectorSPKI
		default:
			continue
		}
		recs = append(recs,
			TLSA{Usage: UsageDANETA, Selector: sel, MatchingType: MatchingFull, Data: b.Bytes},
			TLSA{Usage: UsageDANEEE, Selector: sel, MatchingType: MatchingFull, Data: b.Bytes})
	}
	if blocks == 0 {
		return nil, ErrNoTrustAnchors
	}
	return recs, nil
}

// TrustFileOpenError renders the stock warning for an unreadable file,
// "error opening trust anchor file: <path>: <strerror>", turning Go's
// lower-case errno text into the C library's capitalised one.
func TrustFileOpenError(path string, err error) error {
	text := err.Error()
	var pe *fs.PathError
	if errors.As(err, &pe) {
		text = pe.Err.Error()
		var errno syscall.Errno
		if errors.As(pe.Err, &errno) {
			text = errno.Error()
		}
	}
	if text != "" {
		text = strings.ToUpper(text[:1]) + text[1:]
	}
	return errors.New("error opening trust anchor file: " + path + ": " + text)
}
