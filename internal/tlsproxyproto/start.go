package tlsproxyproto

import (
	"fmt"

	"github.com/postfix-go/postfix-go/master-compat/attr"
)

// MaxArgv is ARGV_ATTR_MAX: the most argv_value entries a stock reader
// accepts after argv_size.
const MaxArgv = 1024

// ClientStartProps is TLS_CLIENT_START_PROPS without its stream and
// descriptor members: what the caller would give tls_client_start().
type ClientStartProps struct {
	Timeout          int    // timeout: smtp_starttls_timeout (tlsproxy uses list 1's)
	TLSLevel         int    // tls_level: the policy level (Level* constants)
	Nexthop          string // nexthop: TLS next-hop domain, no brackets or port
	Host             string // host: server name used for matching
	Namaddr          string // namaddr: "host[addr]:port", for logs
	SNI              string // sni: empty, a name, or "hostname"/"nexthop"
	ServerID         string // serverid: session cache key prefix
	Helo             string // helo: the remote server's EHLO name
	Protocols        string // protocols, e.g. ">=TLSv1"
	CipherGrade      string // cipher_grade
	CipherExclusions string // cipher_exclusions
	// MatchArgv is the certificate match list, sent as argv_size and then
	// that many argv_value attributes. Empty and nil encode alike.
	MatchArgv []string
	MDAlg     string // mdalg: fingerprint digest
	// DANE is the TLSA set, sent as dane=1 and the set, or nil for dane=0.
	DANE *DANE
}

// DANE is the part of TLS_DANE that travels: the base domain and the
// records. Other members of the C structure are not sent.
type DANE struct {
	// BaseDomain is domain: the TLSA base domain, empty for the synthetic
	// sets of the fingerprint level and trust-anchor files.
	BaseDomain string
	// TLSA holds the records in wire order (count, then per record usage,
	// selector, mtype, data). The stock reader prepends each record, so
	// its list is reversed; order carries no meaning, and keeping wire
	// order here makes re-encoding exact.
	TLSA []TLSA
}

// TLSA is one TLS_TLSA record.
type TLSA struct {
	Usage    int    // usage
	Selector int    // selector
	MType    int    // mtype (255 is Postfix's private "configured digest")
	Data     []byte // data: raw association data, base64 on the wire
}

// head and tail are the plain members before and after the argv.
func (p *ClientStartProps) head() []field {
	return []field{
		intField("timeout", &p.Timeout),
		intField("tls_level", &p.TLSLevel),
		strField("nexthop", &p.Nexthop),
		strField("host", &p.Host),
		strField("namaddr", &p.Namaddr),
		strField("sni", &p.SNI),
		strField("serverid", &p.ServerID),
		strField("helo", &p.Helo),
		strField("protocols", &p.Protocols),
		strField("cipher_grade", &p.CipherGrade),
		strField("cipher_exclusions", &p.CipherExclusions),
	}
}

// DecodeClientStartProps reads a nested TLS_CLIENT_START_PROPS, including
// its nested argv and DANE parts, and leaves the enclosing list open.
func DecodeClientStartProps(sc *attr.Scanner, mid bool) (ClientStartProps, error) {
	var p ClientStartProps
	err := scanFields(sc, mid, p.head())
	if err == nil {
		p.MatchArgv, err = decodeArgv(sc)
	}
	if err == nil {
		err = scan(sc, true, attr.Strict|attr.More, attr.Str("mdalg", &p.MDAlg))
	}
	if err == nil {
		p.DANE, err = decodeDANE(sc)
	}
	if err != nil {
		return ClientStartProps{}, fmt.Errorf("TLS_CLIENT_START_PROPS: %w", err)
	}
	return p, nil
}

// AppendAttrs appends the structure inline, without a list terminator.
func (p *ClientStartProps) AppendAttrs(dst []byte) []byte {
	dst = appendFields(dst, p.head())
	dst = appendArgv(dst, p.MatchArgv)
	dst = attr.AppendStr(dst, "mdalg", p.MDAlg)
	return p.DANE.appendAttrs(dst)
}

// decodeArgv reads an ARGV as argv_attr_scan does: argv_size, checked
// against [0, MaxArgv] with stock's warning, then the values.
func decodeArgv(sc *attr.Scanner) ([]string, error) {
	var size int
	if err := scan(sc, true, attr.Strict|attr.More, attr.Int("argv_size", &size)); err != nil {
		return nil, err
	}
	if size < 0 || size > MaxArgv {
		text := warn(sc, "invalid size %d from %s while reading ARGV", size, sc.Path)
		return nil, fmt.Errorf("%w: %s", ErrRange, text)
	}
	var argv []string
	for range size {
		var v string
		if err := scan(sc, true, attr.Strict|attr.More, attr.Str("argv_value", &v)); err != nil {
			return nil, err
		}
		argv = append(argv, v)
	}
	return argv, nil
}

func appendArgv(dst []byte, argv []string) []byte {
	dst = attr.AppendInt(dst, "argv_size", len(argv))
	for _, v := range argv {
		dst = attr.AppendStr(dst, "argv_value", v)
	}
	return dst
}

// decodeDANE reads the dane flag and, when it is non-zero, the base
// domain and the TLSA records. Like stock, a count of zero or less means
// no records; no cap applies because every record costs input bytes.
func decodeDANE(sc *attr.Scanner) (*DANE, error) {
	var have int
	if err := scan(sc, true, attr.Strict|attr.More, attr.Int("dane", &have)); err != nil {
		return nil, err
	}
	if have == 0 {
		return nil, nil
	}
	d := new(DANE)
	var count int
	err := scan(sc, true, attr.Strict|attr.More,
		attr.Str("domain", &d.BaseDomain), attr.Int("count", &count))
	if err != nil {
		return nil, err
	}
	for ; count > 0; count-- {
		var r TLSA
		err := scan(sc, true, attr.Strict|attr.More,
			attr.Int("usage", &r.Usage), attr.Int("selector", &r.Selector),
			attr.Int("mtype", &r.MType), attr.Data("data", &r.Data))
		if err != nil {
			return nil, fmt.Errorf("TLSA record: %w", err)
		}
		d.TLSA = append(d.TLSA, r)
	}
	return d, nil
}

// appendAttrs appends dane=0 for a nil set, else dane=1 and the set.
func (d *DANE) appendAttrs(dst []byte) []byte {
	if d == nil {
		return attr.AppendInt(dst, "dane", 0)
	}
	dst = attr.AppendInt(dst, "dane", 1)
	dst = attr.AppendStr(dst, "domain", d.BaseDomain)
	dst = attr.AppendInt(dst, "count", len(d.TLSA))
	for _, r := range d.TLSA {
		dst = attr.AppendInt(dst, "usage", r.Usage)
		dst = attr.AppendInt(dst, "selector", r.Selector)
		dst = attr.AppendInt(dst, "mtype", r.MType)
		dst = appendData(dst, "data", r.Data)
	}
	return dst
}
