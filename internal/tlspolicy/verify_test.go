package tlspolicy

import (
	"crypto/x509"
	"errors"
	"testing"
	"time"
)

func TestErrorState(t *testing.T) {
	var st ErrorState
	if st.Err() != nil {
		t.Fatal("fresh state has an error")
	}
	st.Add(2, XErrCertHasExpired, nil)
	st.Add(3, XErrInvalidCA, nil)        // deeper: ignored
	st.Add(0, XErrHostnameMismatch, nil) // shallower: wins
	st.Add(0, XErrCertHasExpired, nil)   // same depth: first wins
	if e := st.Err(); e.Code != XErrHostnameMismatch || e.Depth != 0 {
		t.Errorf("kept %+v", e)
	}
	if got := st.Err().Error(); got != "certificate verification failed at depth 0: num=62:hostname mismatch" {
		t.Errorf("Error() = %q", got)
	}
}

func TestVerifyFailureLog(t *testing.T) {
	p := newPKI(t)
	const na = "127.0.4.2[127.0.4.2]:14025"
	for _, tc := range []struct {
		e      VerifyError
		server bool
		want   string
	}{
		{VerifyError{Code: 64}, false, "server certificate verification failed for " + na + ": num=64:IP address mismatch"},
		{VerifyError{Code: 62}, false, "server certificate verification failed for " + na + ": num=62:hostname mismatch"},
		{VerifyError{Code: 65, Depth: 2}, false, "CA certificate verification failed for " + na + ": num=65:no matching DANE TLSA records"},
		{VerifyError{Code: 27}, false, "certificate verification failed for " + na + ": not trusted by local or TLSA policy"},
		{VerifyError{Code: 18}, false, "certificate verification failed for " + na + ": self-signed certificate"},
		{VerifyError{Code: 20, Depth: 1, Cert: p.inter.cert}, false, "certificate verification failed for " + na + ": untrusted issuer /CN=Root"},
		{VerifyError{Code: 19, Depth: 1}, false, "certificate verification failed for " + na + ": untrusted issuer <unknown>"},
		{VerifyError{Code: 9}, true, "client certificate verification failed for " + na + ": certificate not yet valid"},
		{VerifyError{Code: 10, Depth: 1}, false, "CA certificate verification failed for " + na + ": certificate has expired"},
		{VerifyError{Code: 26}, false, "certificate verification failed for " + na + ": not designated for use as a server certificate"},
		{VerifyError{Code: 22, Depth: 11}, false, "certificate verification failed for " + na + ": certificate chain longer than limit(10)"},
		{VerifyError{Code: 4242}, false, "server certificate verification failed for " + na + ": num=4242:error number 4242"},
	} {
		if got := VerifyFailureLog(na, &tc.e, tc.server); got != tc.want {
			t.Errorf("code %d: %q\nwant %q", tc.e.Code, got, tc.want)
		}
	}
	requireVector(t, "tls-log-client-verify-failures.txt", "tlsproxy", VerifyFailureLog(na, &VerifyError{Code: XErrHostnameMismatch}, false))
}

func TestOnelineName(t *testing.T) {
	c := loadPEMCert(t, "testdata/names/multi-cn.pem")
	if got := OnelineName(c.RawSubject); got != "/CN=a.example.com/CN=b.example.com" {
		t.Errorf("%q", got)
	}
	if got := OnelineName(loadPEMCert(t, "testdata/names/no-names.pem").RawSubject); got != "/" {
		t.Errorf("empty name %q", got)
	}
	if got := OnelineName([]byte{1}); got != "<unknown>" {
		t.Errorf("garbage %q", got)
	}
	if got := printable("a\x01b\x7f"); got != "a?b?" {
		t.Errorf("printable %q", got)
	}
}

func TestGoVerifyErrorCode(t *testing.T) {
	p := newPKI(t)
	roots := x509.NewCertPool()
	roots.AddCert(p.root.cert)
	inters := x509.NewCertPool()
	inters.AddCert(p.inter.cert)
	verify := func(leaf *x509.Certificate, opts x509.VerifyOptions) error {
		_, err := leaf.Verify(opts)
		return err
	}
	self := mkCert(t, certSpec{cn: "self", ca: true}, nil)
	expired := mkCert(t, certSpec{cn: "e", notAfter: testNow.Add(-time.Hour)}, p.inter)
	early := mkCert(t, certSpec{cn: "e", notBefore: testNow.Add(time.Hour), notAfter: testNow.Add(2 * time.Hour)}, p.inter)
	for _, tc := range []struct {
		name  string
		err   error
		chain []*x509.Certificate
		code  int
		depth int
	}{
		{"ok", nil, nil, XErrOK, 0},
		{"unknown issuer", verify(p.leaf.cert, x509.VerifyOptions{Roots: x509.NewCertPool(), Intermediates: inters, CurrentTime: testNow}),
			[]*x509.Certificate{p.leaf.cert, p.inter.cert}, XErrUnableToGetIssuerCertLocally, 1},
		{"self-signed leaf", verify(self.cert, x509.VerifyOptions{Roots: x509.NewCertPool(), CurrentTime: testNow}),
			[]*x509.Certificate{self.cert}, XErrDepthZeroSelfSigned, 0},
		{"self-signed in chain", verify(p.leaf.cert, x509.VerifyOptions{Roots: x509.NewCertPool(), Intermediates: inters, CurrentTime: testNow}),
			[]*x509.Certificate{p.leaf.cert, p.inter.cert, p.root.cert}, XErrSelfSignedCertInChain, 2},
		{"expired", verify(expired.cert, x509.VerifyOptions{Roots: roots, Intermediates: inters, CurrentTime: testNow}),
			[]*x509.Certificate{expired.cert, p.inter.cert}, XErrCertHasExpired, 0},
		{"not yet valid", verify(early.cert, x509.VerifyOptions{Roots: roots, Intermediates: inters, CurrentTime: testNow}),
			[]*x509.Certificate{early.cert, p.inter.cert}, XErrCertNotYetValid, 0},
		{"hostname", verify(p.leaf.cert, x509.VerifyOptions{Roots: roots, Intermediates: inters, CurrentTime: testNow, DNSName: "x.example"}),
			nil, XErrHostnameMismatch, 0},
		{"usage", verify(p.leaf.cert, x509.VerifyOptions{Roots: roots, Intermediates: inters, CurrentTime: testNow,
			KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}), nil, XErrInvalidPurpose, 0},
		{"not authorized", x509.CertificateInvalidError{Reason: x509.NotAuthorizedToSign, Cert: p.inter.cert},
			[]*x509.Certificate{p.leaf.cert, p.inter.cert}, XErrInvalidCA, 1},
		{"too many", x509.CertificateInvalidError{Reason: x509.TooManyIntermediates}, nil, XErrPathLengthExceeded, 0},
		{"other reason", x509.CertificateInvalidError{Reason: x509.NameMismatch}, nil, XErrUnspecified, 0},
		{"foreign", errors.New("x"), nil, XErrUnspecified, 0},
	} {
		code, depth := GoVerifyErrorCode(tc.err, tc.chain)
		if code != tc.code || depth != tc.depth {
			t.Errorf("%s: %d/%d, want %d/%d (err %v)", tc.name, code, depth, tc.code, tc.depth, tc.err)
		}
	}
}
