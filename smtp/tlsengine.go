package main

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/postfix-go/postfix-go/internal/tlspolicy"
	"github.com/postfix-go/postfix-go/master-compat/server"
)

// initEngine is tls_client_init's part that can fail: the fingerprint
// digest, CA data and client certificates. It runs once per process,
// before the chroot, and only when TLS is configured at all, so that a
// plaintext-only smtp(8) never parses a CA bundle.
func (d *daemon) initEngine(rt *server.Runtime) error {
	t, tc := &d.tlsParams, d.cfg.TLS
	h, err := tlspolicy.LookupDigest(t.digest)
	if err != nil {
		return fmt.Errorf("%v", err)
	}
	tc.Digest = h
	digests, warns := tlspolicy.ParseDANEDigests(t.daneDigests, h)
	for _, w := range warns {
		rt.Log.Warn(w)
	}
	tc.Digests = digests
	if tc.Roots, err = loadCAs(t.caFile, t.caPath, t.appendDefaultCA); err != nil {
		return err
	}
	tc.Certs, err = loadClientCerts(t)
	return err
}

// loadCAs builds the trust store like tls_set_ca_certificate_info: the
// CAfile, every certificate file in CApath (read now, as the directory
// may be outside the chroot), and the system roots only when one of
// the two is set and tls_append_default_CA is on. Neither set: nil,
// nothing is trusted.
func loadCAs(file, dir string, appendDefault bool) (*x509.CertPool, error) {
	if file == "" && dir == "" {
		return nil, nil
	}
	fail := func(err error) (*x509.CertPool, error) {
		var args []string
		if file != "" {
			args = append(args, "CAfile=\""+file+"\"")
		}
		if dir != "" {
			args = append(args, "CApath=\""+dir+"\"")
		}
		return nil, fmt.Errorf("cannot load Certification Authority data, %s (%v)", strings.Join(args, ", "), err)
	}
	pool := x509.NewCertPool()
	if appendDefault {
		sys, err := x509.SystemCertPool()
		if err != nil {
			return fail(err)
		}
		pool = sys
	}
	if file != "" {
		data, err := os.ReadFile(file)
		if err != nil {
			return fail(err)
		}
		if !pool.AppendCertsFromPEM(data) {
			return fail(fmt.Errorf("no certificates in %s", file))
		}
	}
	if dir != "" {
		ents, err := os.ReadDir(dir)
		if err != nil {
			return fail(err)
		}
		for _, e := range ents {
			// OpenSSL's lookup only ever opens the hashed names; reading
			// every regular file is a superset that accepts the same CAs.
			if data, err := os.ReadFile(filepath.Join(dir, e.Name())); err == nil && e.Type().IsRegular() {
				pool.AppendCertsFromPEM(data)
			}
		}
	}
	return pool, nil
}

// loadClientCerts reads smtp_tls_chain_files (each key followed by its
// certificates), or else the cert/key and eccert/eckey pairs.
func loadClientCerts(t *tlsParams) ([]tls.Certificate, error) {
	if files := strings.FieldsFunc(t.chainFiles, isListSep); len(files) > 0 {
		return loadChainFiles(files)
	}
	var out []tls.Certificate
	for _, pair := range [][2]string{{t.certFile, t.keyFile}, {t.ecCertFile, t.ecKeyFile}} {
		if pair[0] == "" {
			continue
		}
		key := pair[1]
		if key == "" {
			key = pair[0]
		}
		c, err := tls.LoadX509KeyPair(pair[0], key)
		if err != nil {
			return nil, fmt.Errorf("cannot load certificate from %s and key from %s: %v", pair[0], key, err)
		}
		out = append(out, c)
	}
	return out, nil
}

// loadChainFiles groups the PEM blocks of the chain files: a private
// key starts a new certificate, and the certificates after it form its
// chain, leaf first (tls_certkey.c load_pem_bio).
func loadChainFiles(files []string) ([]tls.Certificate, error) {
	var out []tls.Certificate
	var keyPEM, certPEM []byte
	group := func() error {
		if keyPEM == nil {
			return nil
		}
		c, err := tls.X509KeyPair(certPEM, keyPEM)
		keyPEM, certPEM = nil, nil
		if err != nil {
			return err
		}
		out = append(out, c)
		return nil
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("cannot load chain file: %w", err)
		}
		for {
			var b *pem.Block
			if b, data = pem.Decode(data); b == nil {
				break
			}
			switch {
			case strings.HasSuffix(b.Type, "PRIVATE KEY"):
				if err := group(); err != nil {
					return nil, fmt.Errorf("chain file %s: %w", f, err)
				}
				keyPEM = pem.EncodeToMemory(b)
			case b.Type == "CERTIFICATE" || b.Type == "X509 CERTIFICATE" || b.Type == "TRUSTED CERTIFICATE":
				certPEM = append(certPEM, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: b.Bytes})...)
			}
		}
	}
	if err := group(); err != nil {
		return nil, fmt.Errorf("chain files: %w", err)
	}
	return out, nil
}

// loadTrustFile reads one trust-anchor file at policy time, as stock
// does (relative paths are then inside the chroot).
func loadTrustFile(path string) ([]tlspolicy.TLSA, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, tlspolicy.TrustFileOpenError(path, err)
	}
	return tlspolicy.ParseTrustAnchors(data)
}
