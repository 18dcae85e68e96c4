package tlsproxyproto

import (
	"bytes"
	"testing"

	"github.com/postfix-go/postfix-go/master-compat/attr"
)

// No 3.7 program sends the server-role structures, so there is no capture:
// the expected bytes are written out from the order of
// tls_proxy_server_init_print and tls_proxy_server_start_print.
func TestServerPropsRoundTrip(t *testing.T) {
	initProps := ServerInitProps{
		LogParam: "smtpd_tls_loglevel", LogLevel: "1", VerifyDepth: 9, CacheType: "smtpd",
		SetSessID: 1, CertFile: "/etc/c.pem", KeyFile: "/etc/k.pem", CAFile: "ca.pem",
		Protocols: ">=TLSv1", EECDHGrade: "auto", AskCCert: 0, MDAlg: "sha256",
	}
	start := ServerStartProps{Timeout: 300, RequireCert: -1, ServerID: "smtpd",
		Namaddr: "[192.0.2.1]:4711", CipherGrade: "medium", CipherExclusions: "aNULL", MDAlg: "sha256"}
	want := list(
		"log_param", "smtpd_tls_loglevel", "log_level", "1", "verifydepth", "9",
		"cache_type", "smtpd", "set_sessid", "1", "chain_files", "", "cert_file", "/etc/c.pem",
		"key_file", "/etc/k.pem", "dcert_file", "", "dkey_file", "", "eccert_file", "",
		"eckey_file", "", "CAfile", "ca.pem", "CApath", "", "protocols", ">=TLSv1",
		"eecdh_grade", "auto", "dh1024_param_file", "", "dh512_param_file", "",
		"ask_ccert", "0", "mdalg", "sha256",
		"timeout", "300", "requirecert", "4294967295", "serverid", "smtpd",
		"namaddr", "[192.0.2.1]:4711", "cipher_grade", "medium", "cipher_exclusions", "aNULL",
		"mdalg", "sha256")
	got := attr.AppendEnd(start.AppendAttrs(initProps.AppendAttrs(nil)))
	if !bytes.Equal(got, want) {
		t.Fatalf("encoded\n got %q\nwant %q", got, want)
	}
	sc, warns := newScanner(want)
	gi, err := DecodeServerInitProps(sc, false)
	if err != nil {
		t.Fatal(err)
	}
	gs, err := DecodeServerStartProps(sc, true)
	if err != nil {
		t.Fatal(err)
	}
	if err := scanEnd(sc); err != nil {
		t.Fatal(err)
	}
	if gi != initProps || gs != start || len(*warns) != 0 {
		t.Errorf("decoded %+v %+v, warnings %q", gi, gs, *warns)
	}
}

// TestClientPlainKeys checks the plain serialisations that stock tlsproxy
// uses as SSL_CTX cache key and for its settings comparison.
func TestClientPlainKeys(t *testing.T) {
	sc, _ := newScanner(fixture(t, "tlsproxy-client-request.bin"))
	if _, err := DecodeRequest(sc); err != nil {
		t.Fatal(err)
	}
	s, err := DecodeClientSettings(sc)
	if err != nil {
		t.Fatal(err)
	}
	initProps := string(s.Init.AppendPlain(nil))
	if want := "log_param=smtp_tls_loglevel\nlog_level=1\nverifydepth=9\ncache_type=smtp\nchain_files=\n" +
		"cert_file=\nkey_file=\ndcert_file=\ndkey_file=\neccert_file=\neckey_file=\nCAfile=tls/ca.pem\n" +
		"CApath=\nmdalg=sha256\n"; initProps != want {
		t.Errorf("initProps plain\n got %q\nwant %q", initProps, want)
	}
	params := string(s.Params.AppendPlain(nil))
	if !bytes.HasPrefix([]byte(params), []byte("config_file=default\nconfig_name=\n")) ||
		!bytes.HasSuffix([]byte(params), []byte("tls_preempt_cipherlist=0\ntls_wildcard_matches_multiple_labels=1\n")) {
		t.Errorf("params plain %q", params)
	}
}
