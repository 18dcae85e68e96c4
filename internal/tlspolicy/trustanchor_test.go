package tlspolicy

import (
	"encoding/pem"
	"errors"
	"os"
	"reflect"
	"testing"
)

func TestParseTrustAnchors(t *testing.T) {
	c := mkCert(t, certSpec{cn: "anchor", ca: true}, nil).cert
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})
	oldPEM := pem.EncodeToMemory(&pem.Block{Type: "X509 CERTIFICATE", Bytes: c.Raw})
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: c.RawSubjectPublicKeyInfo})
	other := pem.EncodeToMemory(&pem.Block{Type: "TRUSTED CERTIFICATE", Bytes: []byte{1}})
	for _, tc := range []struct {
		name string
		in   []byte
		want []TLSA
		err  error
	}{
		{"cert", append([]byte("junk before\n"), certPEM...), []TLSA{{2, 0, 0, c.Raw}, {3, 0, 0, c.Raw}}, nil},
		{"old cert and key", append(oldPEM, keyPEM...), []TLSA{{2, 0, 0, c.Raw}, {3, 0, 0, c.Raw},
			{2, 1, 0, c.RawSubjectPublicKeyInfo}, {3, 1, 0, c.RawSubjectPublicKeyInfo}}, nil},
		{"other blocks count but add nothing", other, nil, nil},
		{"empty", nil, nil, ErrNoTrustAnchors},
	} {
		got, err := ParseTrustAnchors(tc.in)
		if !reflect.DeepEqual(got, tc.want) || !errors.Is(err, tc.err) {
			t.Errorf("%s: %v %v", tc.name, got, err)
		}
	}
}

func TestTrustFileOpenError(t *testing.T) {
	_, err := os.ReadFile("/nonexistent/ta.pem")
	if got := TrustFileOpenError("/nonexistent/ta.pem", err).Error(); got != "error opening trust anchor file: /nonexistent/ta.pem: No such file or directory" {
		t.Errorf("%q", got)
	}
	if got := TrustFileOpenError("f", errors.New("boom")).Error(); got != "error opening trust anchor file: f: Boom" {
		t.Errorf("%q", got)
	}
}
