package smtpwire

import (
	"reflect"
	"testing"
)

func TestParseEHLO(t *testing.T) {
	const peer = "mx.example[192.0.2.1]:25"
	xfwd := FeatureXforwardName | FeatureXforwardAddr | FeatureXforwardProto | FeatureXforwardHelo
	for _, tc := range []struct {
		name string
		text string
		opt  EHLOOptions
		want EHLOResult
	}{
		{name: "smtp-sink", text: smtpSinkEHLO,
			want: EHLOResult{Features: Feature8BITMIME | FeaturePIPELINING | xfwd | FeatureDSN, HeloName: "smtp-sink"}},
		{name: "smtp-sink with SASL", text: smtpSinkEHLO, opt: EHLOOptions{SASL: true},
			want: EHLOResult{Features: Feature8BITMIME | FeaturePIPELINING | xfwd | FeatureDSN | FeatureAUTH, HeloName: "smtp-sink", AuthMechs: "PLAIN LOGIN"}},
		{name: "pysink with SIZE", text: "250-pysink.test\n250-PIPELINING\n250-SIZE 10240000\n250-8BITMIME\n250-ENHANCEDSTATUSCODES\n250 DSN",
			want: EHLOResult{Features: FeaturePIPELINING | FeatureSIZE | Feature8BITMIME | FeatureDSN, HeloName: "pysink.test", SizeLimit: 10240000}},
		{name: "any case", text: "250-Mx.Example\n250-pipelining\n250-8bitmime\n250-Dsn\n250-starttls\n250 smtputf8",
			want: EHLOResult{Features: FeaturePIPELINING | Feature8BITMIME | FeatureDSN | FeatureSTARTTLS | FeatureSMTPUTF8, HeloName: "Mx.Example"}},
		{name: "no Unicode folding", text: "250-mx\n250 \u017fIZE 100",
			want: EHLOResult{HeloName: "mx"}},
		{name: "first line is the name", text: "250-PIPELINING\n250 8BITMIME",
			want: EHLOResult{Features: Feature8BITMIME, HeloName: "PIPELINING"}},
		{name: "lines without keyword do not count", text: "250-\n\n250 mx.example\n250 DSN",
			want: EHLOResult{Features: FeatureDSN, HeloName: "mx.example"}},
		{name: "garbage lines are parsed too", text: "250-mx\nfoo PIPELINING\n250 ok",
			want: EHLOResult{Features: FeaturePIPELINING, HeloName: "mx"}},
		{name: "ignored keywords", text: "250-mx\n250-ENHANCEDSTATUSCODES\n250-CHUNKING\n250-VRFY\n250-ETRN\n250-XCLIENT NAME\n250 BINARYMIME",
			want: EHLOResult{HeloName: "mx"}},
		{name: "SIZE without value", text: "250-mx\n250 SIZE",
			want: EHLOResult{Features: FeatureSIZE, HeloName: "mx"}},
		{name: "SIZE= old form", text: "250-mx\n250 SIZE=1000",
			want: EHLOResult{Features: FeatureSIZE, HeloName: "mx", SizeLimit: 1000}},
		{name: "SIZE tab", text: "250-mx\n250 SIZE\t5000",
			want: EHLOResult{Features: FeatureSIZE, HeloName: "mx", SizeLimit: 5000}},
		{name: "SIZE 0", text: "250-mx\n250 SIZE 0",
			want: EHLOResult{Features: FeatureSIZE, HeloName: "mx"}},
		{name: "SIZE bad", text: "250-mx\n250-SIZE abc\n250 SIZE -1", opt: EHLOOptions{Peer: peer},
			want: EHLOResult{Features: FeatureSIZE, HeloName: "mx", Warnings: []string{
				`bad EHLO SIZE limit "abc" from ` + peer, `bad EHLO SIZE limit "-1" from ` + peer}}},
		{name: "SIZE overflow", text: "250-mx\n250 SIZE 99999999999999999999",
			want: EHLOResult{Features: FeatureSIZE, HeloName: "mx", SizeLimit: -1}},
		{name: "SIZE max int64", text: "250-mx\n250 SIZE 9223372036854775807",
			want: EHLOResult{Features: FeatureSIZE, HeloName: "mx", SizeLimit: 9223372036854775807}},
		{name: "SIZE last wins", text: "250-mx\n250-SIZE 10\n250 SIZE 20",
			want: EHLOResult{Features: FeatureSIZE, HeloName: "mx", SizeLimit: 20}},
		{name: "XFORWARD all", text: "250-mx\n250 xforward name ADDR Port PROTO HELO IDENT SOURCE BOGUS",
			want: EHLOResult{Features: xfwd | FeatureXforwardPort | FeatureXforwardIdent | FeatureXforwardDomain, HeloName: "mx"}},
		{name: "XFORWARD nothing", text: "250-mx\n250 XFORWARD",
			want: EHLOResult{HeloName: "mx"}},
		{name: "AUTH ignored without SASL", text: "250-mx\n250 AUTH PLAIN",
			want: EHLOResult{HeloName: "mx"}},
		{name: "AUTH old and new form concatenated", text: "250-mx\n250-AUTH=LOGIN PLAIN\n250 AUTH PLAIN LOGIN CRAM-MD5", opt: EHLOOptions{SASL: true},
			want: EHLOResult{Features: FeatureAUTH, HeloName: "mx", AuthMechs: "LOGIN PLAIN PLAIN LOGIN CRAM-MD5"}},
		{name: "AUTH same list once", text: "250-mx\n250-AUTH=LOGIN PLAIN\n250 AUTH login plain", opt: EHLOOptions{SASL: true},
			want: EHLOResult{Features: FeatureAUTH, HeloName: "mx", AuthMechs: "LOGIN PLAIN"}},
		{name: "AUTH concat stops at line limit", text: "250-mx\n250-AUTH A\n250-AUTH B\n250 AUTH C", opt: EHLOOptions{SASL: true, LineLimit: 3},
			want: EHLOResult{Features: FeatureAUTH, HeloName: "mx", AuthMechs: "A B"}},
		{name: "AUTH empty", text: "250-mx\n250 AUTH", opt: EHLOOptions{SASL: true, Peer: peer},
			want: EHLOResult{Features: FeatureAUTH, HeloName: "mx", Warnings: []string{peer + " offered null AUTH mechanism list"}}},
		{name: "AUTH empty then list", text: "250-mx\n250-AUTH\n250 AUTH PLAIN", opt: EHLOOptions{SASL: true, Peer: peer},
			want: EHLOResult{Features: FeatureAUTH, HeloName: "mx", AuthMechs: "PLAIN", Warnings: []string{peer + " offered null AUTH mechanism list"}}},
		{name: "AUTH spacing kept", text: "250-mx\n250 AUTH  PLAIN", opt: EHLOOptions{SASL: true},
			want: EHLOResult{Features: FeatureAUTH, HeloName: "mx", AuthMechs: " PLAIN"}},
		{name: "AUTH filtered away", text: "250-mx\n250 AUTH GSSAPI", opt: EHLOOptions{SASL: true, Peer: peer,
			FilterMechs: func(string) string { return "" }},
			want: EHLOResult{Features: FeatureAUTH, HeloName: "mx", Warnings: []string{peer + " offered no supported AUTH mechanisms: 'GSSAPI'"}}},
		{name: "discard", text: smtpSinkEHLO + "\n250-SIZE 5\n250-STARTTLS\n250 SMTPUTF8",
			opt:  EHLOOptions{SASL: true, Discard: ParseEHLOMask("pipelining,8bitmime xforward\tauth dsn size starttls smtputf8")},
			want: EHLOResult{HeloName: "smtp-sink"}},
		{name: "discard via alias", text: "250-mx\n250 SMTPUTF8", opt: EHLOOptions{Discard: ParseEHLOMask("EHLO_MASK_SMTPUTF8")},
			want: EHLOResult{HeloName: "mx"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := ParseEHLO(tc.text, &tc.opt)
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got  %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func TestEHLOMask(t *testing.T) {
	for _, tc := range []struct {
		in   string
		mask EHLOMask
		str  string
	}{
		{"", 0, ""},
		{"bogus,, ,DSN\tsize\r\n", EHLODSN | EHLOSize, "SIZE DSN"},
		{"smtputf8 pipelining Auth silent-discard", EHLOSMTPUTF8 | EHLOPipelining | EHLOAuth | EHLOSilentDiscard,
			"AUTH PIPELINING EHLO_MASK_SMTPUTF8 SILENT-DISCARD"},
		{"8bitmime,auth,etrn,pipelining,size,verp,vrfy,xclient,xforward,starttls,enhancedstatuscodes,dsn,smtputf8,chunking",
			0x3fff, "8BITMIME AUTH ETRN PIPELINING SIZE VERP VRFY XCLIENT XFORWARD STARTTLS ENHANCEDSTATUSCODES DSN EHLO_MASK_SMTPUTF8 CHUNKING"},
	} {
		m := ParseEHLOMask(tc.in)
		if m != tc.mask || m.String() != tc.str {
			t.Errorf("%q: %#x %q, want %#x %q", tc.in, uint32(m), m.String(), uint32(tc.mask), tc.str)
		}
	}
}

func TestParseGreeting(t *testing.T) {
	for _, tc := range []struct {
		text, me string
		want     Greeting
	}{
		{"220 smtp-sink ESMTP", "s3.test", Greeting{ESMTP: true}},
		{"220 smtp-sink", "s3.test", Greeting{}},
		{"220 s3.test esmtp Postfix", "S3.TEST", Greeting{ESMTP: true, OwnName: true}},
		{"220-first\n220 ESMTP here", "x", Greeting{ESMTP: true}},
		{"220-esmtp\n220 x", "y", Greeting{ESMTP: true}},
		{"220 ESMTP", "esmtp", Greeting{OwnName: true}}, // the name check wins
		{"220 mx ESMTPS", "x", Greeting{}},
		{"220 ****************************", "x", Greeting{PIX: true}},
		{"220 *****2**0**\n220 **", "x", Greeting{PIX: true}},
		{"220 ***** x", "x", Greeting{}},
	} {
		if got := ParseGreeting(tc.text, tc.me); got != tc.want {
			t.Errorf("%q: %+v, want %+v", tc.text, got, tc.want)
		}
	}
}

func TestFeatureValues(t *testing.T) {
	// smtp.h values, also listed in spec/scache.md 2.4.
	for _, tc := range []struct {
		f    Features
		want uint32
	}{
		{FeatureESMTP, 0x1}, {Feature8BITMIME, 0x2}, {FeaturePIPELINING, 0x4}, {FeatureSIZE, 0x8},
		{FeatureSTARTTLS, 0x10}, {FeatureAUTH, 0x20}, {FeatureXforwardName, 0x80}, {FeatureXforwardAddr, 0x100},
		{FeatureXforwardProto, 0x200}, {FeatureXforwardHelo, 0x400}, {FeatureXforwardDomain, 0x800},
		{FeatureBestMX, 0x1000}, {FeatureRSETRejected, 0x2000}, {FeatureFromCache, 0x4000}, {FeatureDSN, 0x8000},
		{FeaturePIXNoESMTP, 0x10000}, {FeaturePIXDelayDotCRLF, 0x20000}, {FeatureXforwardPort, 0x40000},
		{FeatureEarlyTLSMailReply, 0x80000}, {FeatureXforwardIdent, 0x100000}, {FeatureSMTPUTF8, 0x200000},
		{FeatureFromProxy, 0x400000},
	} {
		if uint32(tc.f) != tc.want {
			t.Errorf("%#x != %#x", uint32(tc.f), tc.want)
		}
	}
	// 6324239 = 0x60800F: stock smtpd seen through tlsproxy.
	if f := FeatureESMTP | Feature8BITMIME | FeaturePIPELINING | FeatureSIZE | FeatureDSN | FeatureSMTPUTF8 | FeatureFromProxy; f != 6324239 {
		t.Errorf("%d", f)
	}
	if EndpointMask&(FeatureBestMX|FeatureRSETRejected|FeatureFromCache) != 0 || EndpointMask&FeatureDSN == 0 || DestinationMask != 0x1000 {
		t.Error("masks")
	}
}
