package tlsconf

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Files names the certificate material of one role, as in main.cf. Empty
// or "none" means not configured.
type Files struct {
	CertFile, KeyFile     string // RSA (or any) certificate and key
	ECCertFile, ECKeyFile string // ECDSA certificate and key
	DCertFile             string // DSA: Go cannot use DSA keys
	ChainFiles            string // files each holding a key and its chain
}

func set(s string) bool { return s != "" && s != "none" }

// Empty reports whether no certificate is configured at all.
func (f Files) Empty() bool {
	return !set(f.CertFile) && !set(f.ECCertFile) && !set(f.DCertFile) && !set(f.ChainFiles)
}

// SplitList splits a Postfix file list (comma or white space separated).
func SplitList(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return strings.ContainsRune(", \t\r\n", r) })
}

// KeyPairs reads the certificates and keys. It runs before the chroot
// (the files are usually readable by root only). As in Postfix, chain
// files win over the single-file parameters. A DSA certificate is
// reported as unusable rather than silently ignored.
func KeyPairs(f Files) ([]tls.Certificate, []string, error) {
	var warns []string
	var out []tls.Certificate
	if set(f.ChainFiles) {
		if set(f.CertFile) || set(f.ECCertFile) || set(f.DCertFile) {
			warns = append(warns, "both chain files and one or more of the legacy cert/key files are specified, the legacy files are ignored")
		}
		for _, name := range SplitList(f.ChainFiles) {
			data, err := os.ReadFile(name)
			if err != nil {
				return nil, warns, fmt.Errorf("cannot load certificate chain file %s: %w", name, err)
			}
			kp, err := tls.X509KeyPair(data, data)
			if err != nil {
				return nil, warns, fmt.Errorf("cannot load certificate chain file %s: %w", name, err)
			}
			out = append(out, kp)
		}
		return out, warns, nil
	}
	pairs := [][2]string{{f.CertFile, f.KeyFile}, {f.ECCertFile, f.ECKeyFile}}
	for _, p := range pairs {
		if !set(p[0]) {
			continue
		}
		key := p[1]
		if key == "" {
			key = p[0]
		}
		kp, err := tls.LoadX509KeyPair(p[0], key)
		if err != nil {
			return nil, warns, fmt.Errorf("cannot load certificate %s with key %s: %w", p[0], key, err)
		}
		out = append(out, kp)
	}
	if set(f.DCertFile) {
		warns = append(warns, "DSA certificate "+f.DCertFile+" ignored: not supported by this tlsproxy")
	}
	return out, warns, nil
}

// CAPool reads trust anchors from a CAfile (PEM bundle) and a CApath
// (a directory of PEM files, as c_rehash leaves it). With appendDefault
// (tls_append_default_CA) the system roots are added. The count tells
// whether any anchor exists at all: without one nothing can be trusted.
func CAPool(caFile, caPath string, appendDefault bool) (*x509.CertPool, int, error) {
	pool := x509.NewCertPool()
	if appendDefault {
		if sys, err := x509.SystemCertPool(); err == nil {
			pool = sys
		}
	}
	n := 0
	add := func(name string, mustParse bool) error {
		data, err := os.ReadFile(name)
		if err != nil {
			return err
		}
		for len(data) > 0 {
			var b *pem.Block
			if b, data = pem.Decode(data); b == nil {
				break
			}
			if b.Type != "CERTIFICATE" && b.Type != "TRUSTED CERTIFICATE" {
				continue
			}
			c, err := x509.ParseCertificate(b.Bytes)
			if err != nil {
				if mustParse {
					return err
				}
				continue
			}
			pool.AddCert(c)
			n++
		}
		return nil
	}
	if set(caFile) {
		if err := add(caFile, true); err != nil {
			return nil, 0, fmt.Errorf("cannot load CA file %s: %w", caFile, err)
		}
	}
	if set(caPath) {
		ents, err := os.ReadDir(caPath)
		if err != nil {
			return nil, 0, fmt.Errorf("cannot load CA path %s: %w", caPath, err)
		}
		for _, e := range ents {
			if !e.IsDir() {
				_ = add(filepath.Join(caPath, e.Name()), false) // CApath holds odd files too
			}
		}
	}
	if appendDefault {
		n++ // the system roots count as anchors
	}
	return pool, n, nil
}
