package session

import (
	"crypto/tls"
	"crypto/x509"

	"github.com/postfix-go/postfix-go/internal/tlspolicy"
	"github.com/postfix-go/postfix-go/internal/tlsproxyproto"
)

// describeArgs is what describe needs besides the connection state.
type describeArgs struct {
	server   bool
	namaddr  string
	mdalg    string           // fingerprint digest name
	own      *tls.Certificate // our certificate, if we presented one
	level    int              // effective security level for the context
	peerName string           // the certificate name that matched, if any
}

// describe fills the context list and the summary line from a finished
// handshake. Peer status and trust are the caller's (they depend on the
// role and the policy); the summary starts as Anonymous or Untrusted.
func describe(cs tls.ConnectionState, a describeArgs) (tlsproxyproto.Context, tlspolicy.Summary) {
	cipher, _ := tlspolicy.OpenSSLCipher(cs.CipherSuite)
	c := tlsproxyproto.Context{
		Level:         a.level,
		Protocol:      tlspolicy.OpenSSLVersion(cs.Version),
		CipherName:    cipher.Name,
		CipherUseBits: cipher.UseBits,
		CipherAlgBits: cipher.AlgBits,
		Namaddr:       a.namaddr,
	}
	var leaf *x509.Certificate
	if len(cs.PeerCertificates) > 0 {
		leaf = cs.PeerCertificates[0]
		c.PeerCN = leaf.Subject.CommonName
		if c.PeerCN == "" {
			c.PeerCN = a.peerName
		}
		c.IssuerCN = leaf.Issuer.CommonName
		if c.IssuerCN == "" && len(leaf.Issuer.Organization) > 0 {
			c.IssuerCN = leaf.Issuer.Organization[0]
		}
		if h, err := tlspolicy.LookupDigest(a.mdalg); err == nil {
			c.PeerCertFprint = tlspolicy.FormatFingerprint(tlspolicy.CertDigest(h, leaf))
			c.PeerPkeyFprint = tlspolicy.FormatFingerprint(tlspolicy.PublicKeyDigest(h, leaf))
		}
		c.PeerStatus = tlsproxyproto.PeerPresent
	}
	// Key exchange and signature details exist in the summary and the
	// context for TLS 1.3 only, as in stock.
	if cs.Version == tls.VersionTLS13 {
		c.KexName, c.KexCurve = tlspolicy.KeyExchange(cs.CurveID)
		var srvPub, cliPub any
		if a.server {
			if a.own != nil && a.own.Leaf != nil {
				srvPub = a.own.Leaf.PublicKey
			}
			if leaf != nil {
				cliPub = leaf.PublicKey
			}
		} else if leaf != nil {
			srvPub = leaf.PublicKey
		}
		if srvPub != nil {
			c.SrvrSigName, c.SrvrSigCurve, c.SrvrSigBits = tlspolicy.PeerSignature(srvPub)
			if !cs.DidResume { // a resumed session signs nothing
				c.SrvrSigDigest = tlspolicy.InferDigest(srvPub)
			}
		}
		if cliPub != nil {
			c.ClntSigName, c.ClntSigCurve, c.ClntSigBits = tlspolicy.PeerSignature(cliPub)
			if !cs.DidResume {
				c.ClntSigDigest = tlspolicy.InferDigest(cliPub)
			}
		}
	}
	sum := tlspolicy.Summary{
		Trust:    tlspolicy.Anonymous,
		Server:   a.server,
		NamAddr:  a.namaddr,
		Protocol: c.Protocol,
		Cipher:   cipher,
		KexName:  c.KexName, KexCurve: c.KexCurve, KexBits: c.KexBits,
		ServerSigName: c.SrvrSigName, ServerSigCurve: c.SrvrSigCurve,
		ServerSigBits: c.SrvrSigBits, ServerSigDigest: c.SrvrSigDigest,
		ClientSigName: c.ClntSigName, ClientSigCurve: c.ClntSigCurve,
		ClientSigBits: c.ClntSigBits, ClientSigDigest: c.ClntSigDigest,
	}
	if leaf != nil {
		sum.Trust = tlspolicy.Untrusted
	}
	return c, sum
}

// verifyClientChain checks a client certificate against the server
// role's CA pool (tlsproxy_tls_CAfile/CApath).
func verifyClientChain(cfg *tls.Config, chain []*x509.Certificate) error {
	if cfg.ClientCAs == nil || len(chain) == 0 {
		return x509.UnknownAuthorityError{}
	}
	inter := x509.NewCertPool()
	for _, c := range chain[1:] {
		inter.AddCert(c)
	}
	_, err := chain[0].Verify(x509.VerifyOptions{
		Roots: cfg.ClientCAs, Intermediates: inter,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny},
	})
	return err
}
