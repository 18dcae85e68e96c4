package tlsproxyproto

import (
	"fmt"

	"github.com/postfix-go/postfix-go/master-compat/attr"
)

// The server-role structures below exist in 3.7.11 with printers and
// scanners, but no 3.7 program sends or reads them on the tlsproxy
// socket: tls_proxy_open's server-role branch is "#if 0" (it would also
// need a TLS_SERVER_PARAMS printer that 3.7 does not have), and tlsproxy
// serves the server role from its own tlsproxy_tls_* settings. A 3.7
// compatible tlsproxy therefore must NOT wait for a server-role list 2;
// these types are here for completeness and for 3.12-style peers, whose
// server list 2 adds a params structure in front.

// ServerInitProps is TLS_SERVER_INIT_PROPS (20 attributes).
type ServerInitProps struct {
	LogParam        string // log_param
	LogLevel        string // log_level
	VerifyDepth     int    // verifydepth
	CacheType       string // cache_type
	SetSessID       int    // set_sessid
	ChainFiles      string // chain_files
	CertFile        string // cert_file
	KeyFile         string // key_file
	DCertFile       string // dcert_file
	DKeyFile        string // dkey_file
	ECCertFile      string // eccert_file
	ECKeyFile       string // eckey_file
	CAFile          string // CAfile
	CAPath          string // CApath
	Protocols       string // protocols
	EECDHGrade      string // eecdh_grade
	DH1024ParamFile string // dh1024_param_file
	DH512ParamFile  string // dh512_param_file
	AskCCert        int    // ask_ccert
	MDAlg           string // mdalg
}

func (p *ServerInitProps) fields() []field {
	return []field{
		strField("log_param", &p.LogParam),
		strField("log_level", &p.LogLevel),
		intField("verifydepth", &p.VerifyDepth),
		strField("cache_type", &p.CacheType),
		intField("set_sessid", &p.SetSessID),
		strField("chain_files", &p.ChainFiles),
		strField("cert_file", &p.CertFile),
		strField("key_file", &p.KeyFile),
		strField("dcert_file", &p.DCertFile),
		strField("dkey_file", &p.DKeyFile),
		strField("eccert_file", &p.ECCertFile),
		strField("eckey_file", &p.ECKeyFile),
		strField("CAfile", &p.CAFile),
		strField("CApath", &p.CAPath),
		strField("protocols", &p.Protocols),
		strField("eecdh_grade", &p.EECDHGrade),
		strField("dh1024_param_file", &p.DH1024ParamFile),
		strField("dh512_param_file", &p.DH512ParamFile),
		intField("ask_ccert", &p.AskCCert),
		strField("mdalg", &p.MDAlg),
	}
}

// DecodeServerInitProps reads a nested TLS_SERVER_INIT_PROPS and leaves
// the enclosing list open.
func DecodeServerInitProps(sc *attr.Scanner, mid bool) (ServerInitProps, error) {
	var p ServerInitProps
	if err := scanFields(sc, mid, p.fields()); err != nil {
		return ServerInitProps{}, fmt.Errorf("TLS_SERVER_INIT_PROPS: %w", err)
	}
	return p, nil
}

// AppendAttrs appends the structure inline, without a list terminator.
func (p *ServerInitProps) AppendAttrs(dst []byte) []byte {
	return appendFields(dst, p.fields())
}

// ServerStartProps is TLS_SERVER_START_PROPS (7 attributes) without its
// stream and descriptor members.
type ServerStartProps struct {
	Timeout          int    // timeout
	RequireCert      int    // requirecert
	ServerID         string // serverid: session id namespace ("smtpd" via postscreen)
	Namaddr          string // namaddr: for logs; tlsproxy uses remote_endpoint
	CipherGrade      string // cipher_grade
	CipherExclusions string // cipher_exclusions
	MDAlg            string // mdalg
}

func (p *ServerStartProps) fields() []field {
	return []field{
		intField("timeout", &p.Timeout),
		intField("requirecert", &p.RequireCert),
		strField("serverid", &p.ServerID),
		strField("namaddr", &p.Namaddr),
		strField("cipher_grade", &p.CipherGrade),
		strField("cipher_exclusions", &p.CipherExclusions),
		strField("mdalg", &p.MDAlg),
	}
}

// DecodeServerStartProps reads a nested TLS_SERVER_START_PROPS and leaves
// the enclosing list open.
func DecodeServerStartProps(sc *attr.Scanner, mid bool) (ServerStartProps, error) {
	var p ServerStartProps
	if err := scanFields(sc, mid, p.fields()); err != nil {
		return ServerStartProps{}, fmt.Errorf("TLS_SERVER_START_PROPS: %w", err)
	}
	return p, nil
}

// AppendAttrs appends the structure inline, without a list terminator.
func (p *ServerStartProps) AppendAttrs(dst []byte) []byte {
	return appendFields(dst, p.fields())
}
