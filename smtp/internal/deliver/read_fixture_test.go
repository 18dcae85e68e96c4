package deliver

import (
	"errors"
	"io"
	"reflect"
	"testing"
	"time"
)

// The fixtures are requests captured from a stock Postfix 3.7.11 qmgr.
// Every field is spelled out, so a decoder that drops or shifts one fails.
func wantRequests() []struct {
	file string
	want Request
} {
	return []struct {
		file string
		want Request
	}{
		{"smtp-deliver-request-2rcpt.bin", Request{
			Flags: FlagDefault, QueueName: "active", QueueID: "D38D99840D3", DataOffset: 795, DataSize: 347,
			Nexthop: "[127.0.3.2]:13026", Encoding: "8bit", SendOptsAttr: AttrSMTPUTF8,
			Sender: "alice@s3.test", EnvID: "env-123", Ret: RetHdrs,
			Stats: MsgStats{IncomingArrival: time.Unix(1795930477, 861918*1000), ActiveArrival: time.Unix(1795930477, 868374*1000), AgentHandoff: handoff()},
			Client: ClientInfo{Name: "unknown", Addr: "127.0.0.1", Port: "57312", Proto: "ESMTP", Helo: "client.test",
				LogIdent: "D38D99840D3", RewriteContext: "local"},
			Recipients: []Recipient{
				{OrigAddr: "bob@example.com", Address: "bob@example.com", Offset: 698, DSNOrcpt: "rfc822;bob@example.com", Notify: NotifyFailure | NotifyDelay},
				{OrigAddr: "carol@example.net", Address: "carol@example.net", Offset: 774, DSNOrcpt: "rfc822;carol@example.net"},
			},
		}},
		{"smtp-deliver-request-3rcpt.bin", Request{
			Flags: FlagDefault, QueueName: "active", QueueID: "10901984142", DataOffset: 840, DataSize: 446,
			Nexthop: "[127.0.3.2]:13026", Encoding: "8bit", SendOptsAttr: AttrSMTPUTF8,
			Sender: "alice@s3.test",
			Stats:  MsgStats{IncomingArrival: time.Unix(1795930507, 62300*1000), ActiveArrival: time.Unix(1795930525, 662920*1000), AgentHandoff: handoff()},
			Client: ClientInfo{Name: "unknown", Addr: "127.0.0.1", Port: "42518", Proto: "ESMTP", Helo: "client.test",
				LogIdent: "10901984142", RewriteContext: "local"},
			Recipients: []Recipient{
				{OrigAddr: "ok@example.com", Address: "ok@example.com", Offset: 660, DSNOrcpt: "rfc822;ok@example.com", Notify: NotifySuccess},
				{OrigAddr: "r4user@example.com", Address: "r4user@example.com", Offset: 737, DSNOrcpt: "rfc822;r4user@example.com"},
				{OrigAddr: "r5user@example.com", Address: "r5user@example.com", Offset: 818, DSNOrcpt: "rfc822;r5user@example.com"},
			},
		}},
		{"smtp-deliver-request-connload.bin", Request{
			Flags: FlagDefault | FlagConnLoad | FlagConnStore, QueueName: "active", QueueID: "AE824984095", DataOffset: 651, DataSize: 304,
			Nexthop: "[127.0.3.2]:13026", SendOptsAttr: AttrSMTPUTF8,
			Sender: "alice@s3.test",
			Stats:  MsgStats{IncomingArrival: time.Unix(1795930790, 714401*1000), ActiveArrival: time.Unix(1795930790, 716257*1000), AgentHandoff: handoff()},
			Client: ClientInfo{Name: "unknown", Addr: "127.0.0.1", Port: "53146", Proto: "ESMTP", Helo: "client.test",
				LogIdent: "AE824984095", RewriteContext: "local"},
			Recipients: []Recipient{
				{OrigAddr: "bob@example.com", Address: "bob@example.com", Offset: 632, DSNOrcpt: "rfc822;bob@example.com"},
			},
		}},
		{"smtp-deliver-request-lmtp-4rcpt.bin", Request{
			Flags: FlagDefault, QueueName: "active", QueueID: "2A6729841CC", DataOffset: 886, DataSize: 291,
			Nexthop: "unix:private/lmtpsink", SendOptsAttr: AttrSMTPUTF8,
			Sender: "alice@s3.test",
			Stats:  MsgStats{IncomingArrival: time.Unix(1795930584, 169280*1000), ActiveArrival: time.Unix(1795930584, 176801*1000), AgentHandoff: handoff()},
			Client: ClientInfo{Name: "unknown", Addr: "127.0.0.1", Port: "33180", Proto: "ESMTP", Helo: "client.test",
				LogIdent: "2A6729841CC", RewriteContext: "local"},
			Recipients: []Recipient{
				{OrigAddr: "d4user@lmtp.test", Address: "d4user@lmtp.test", Offset: 791, DSNOrcpt: "rfc822;d4user@lmtp.test"},
				{OrigAddr: "d5user@lmtp.test", Address: "d5user@lmtp.test", Offset: 716, DSNOrcpt: "rfc822;d5user@lmtp.test"},
				{OrigAddr: "ok1@lmtp.test", Address: "ok1@lmtp.test", Offset: 644, DSNOrcpt: "rfc822;ok1@lmtp.test", Notify: NotifySuccess},
				{OrigAddr: "r5user@lmtp.test", Address: "r5user@lmtp.test", Offset: 866, DSNOrcpt: "rfc822;r5user@lmtp.test"},
			},
		}},
		{"smtp-deliver-request-smtputf8.bin", Request{
			Flags: FlagDefault, QueueName: "active", QueueID: "8F8B098406B", DataOffset: 801, DataSize: 348,
			Nexthop: "[127.0.3.2]:13026", SendOpts: SendOptSMTPUTF8Requested | SendOptSMTPUTF8Header | SendOptSMTPUTF8Recipient, SendOptsAttr: AttrSMTPUTF8,
			Sender: "alice@s3.test", EnvID: "QQ+xyz", Ret: RetFull,
			Stats: MsgStats{IncomingArrival: time.Unix(1795930863, 583584*1000), ActiveArrival: time.Unix(1795930867, 341996*1000), AgentHandoff: handoff()},
			Client: ClientInfo{Name: "unknown", Addr: "127.0.0.1", Port: "54394", Proto: "ESMTP", Helo: "client.test",
				LogIdent: "8F8B098406B", RewriteContext: "local"},
			Recipients: []Recipient{
				{OrigAddr: "jörg@example.com", Address: "jörg@example.com", Offset: 685, DSNOrcpt: "rfc822;jörg@example.com", Notify: NotifySuccess | NotifyFailure},
				{OrigAddr: "plain@example.com", Address: "plain@example.com", Offset: 780, DSNOrcpt: "rfc822;list-alias@s3.test", Notify: NotifyNever},
			},
		}},
		{"smtp-deliver-request-user-vrfy.bin", Request{
			Flags: FlagDefault | FlagUserVerify, QueueName: "active", QueueID: "41F87984135", DataOffset: 275, DataSize: 256,
			Nexthop: "[127.0.3.2]:13026", SendOptsAttr: AttrSMTPUTF8,
			Sender: "alice@s3.test",
			Stats:  MsgStats{IncomingArrival: time.Unix(1795930609, 269109*1000), ActiveArrival: time.Unix(1795930609, 272485*1000), AgentHandoff: handoff()},
			Client: ClientInfo{RewriteContext: "local"},
			Recipients: []Recipient{
				{OrigAddr: "bob@example.com", Address: "bob@example.com", Offset: 256, DSNOrcpt: "rfc822;bob@example.com"},
			},
		}},
		{"smtp-deliver-request-verify.bin", Request{
			Flags: FlagDefault | FlagMTAVerify, QueueName: "active", QueueID: "9FD23984125", DataOffset: 277, DataSize: 212,
			Nexthop: "[127.0.3.2]:13026", SendOptsAttr: AttrSMTPUTF8,
			Sender: "double-bounce@s3.test",
			Stats:  MsgStats{IncomingArrival: time.Unix(1795930598, 654669*1000), ActiveArrival: time.Unix(1795930598, 655519*1000), AgentHandoff: handoff()},
			Client: ClientInfo{RewriteContext: "local"},
			Recipients: []Recipient{
				{OrigAddr: "vr@example.com", Address: "vr@example.com", Offset: 259, DSNOrcpt: "rfc822;vr@example.com"},
			},
		}},
		{"smtp-deliver-request.bin", Request{
			Flags: FlagDefault, QueueName: "active", QueueID: "D4C7B984531", DataOffset: 620, DataSize: 340,
			Nexthop: "[127.0.0.1]:11026", SendOptsAttr: AttrSMTPUTF8,
			Sender: "a@x.test",
			Stats:  MsgStats{IncomingArrival: time.Unix(1795930496, 778170*1000), ActiveArrival: time.Unix(1795930496, 885869*1000), AgentHandoff: handoff()},
			Client: ClientInfo{Name: "unknown", Addr: "127.0.0.1", Port: "33646", Proto: "SMTP", Helo: "vm",
				LogIdent: "D4C7B984531", RewriteContext: "local"},
			Recipients: []Recipient{
				{OrigAddr: "b@example.com", Address: "b@example.com", Offset: 603, DSNOrcpt: "rfc822;b@example.com"},
			},
		}},
	}
}

func TestReadFixtures(t *testing.T) {
	tests := wantRequests()
	if got := len(requestFixtures(t)); got != len(tests) {
		t.Fatalf("%d request fixtures in testdata, %d expectations", got, len(tests))
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			in := fixture(t, tt.file)
			sc, warns := scanner(in)
			got, err := testDecoder().Read(sc)
			if err != nil {
				t.Fatalf("Read: %v (warnings %q)", err, *warns)
			}
			if len(*warns) != 0 {
				t.Errorf("warnings %q", *warns)
			}
			if !reflect.DeepEqual(*got, tt.want) {
				t.Errorf("decoded\n%+v\nwant\n%+v", *got, tt.want)
			}
			// The request is consumed exactly: nothing is left over.
			if n, err := sc.Scan(0); n != 0 || !errors.Is(err, io.EOF) {
				t.Errorf("after the request: n=%d err=%v, want clean EOF", n, err)
			}
			// Encoding the decoded request reproduces qmgr's bytes,
			// except for the hand-off time Read stamps in.
			again := *got
			again.Stats.AgentHandoff = time.Time{}
			if enc := again.Encode(); string(enc) != string(in) {
				t.Errorf("re-encoded\n%q\nwant\n%q", enc, in)
			}
		})
	}
}

// The observed flag values, spelled with the named bits.
func TestObservedFlagValues(t *testing.T) {
	tests := []struct {
		got       Flags
		want      uint32
		traceOnly bool
		trace     Flags
		str       string
	}{
		{FlagDefault, 3, false, 0, "SUCCESS|BOUNCE"},
		{FlagDefault | FlagMTAVerify, 259, true, FlagMTAVerify, "SUCCESS|BOUNCE|MTA_VRFY"},
		{FlagDefault | FlagUserVerify, 515, true, FlagUserVerify, "SUCCESS|BOUNCE|USR_VRFY"},
		{FlagDefault | FlagConnLoad | FlagConnStore, 6147, false, 0, "SUCCESS|BOUNCE|CONN_LOAD|CONN_STORE"},
		{FlagRecord | FlagRecDelaySent, 1024 + 8192, false, FlagRecord | FlagRecDelaySent, "RECORD|REC_DLY_SENT"},
		{FlagSuccess | 1<<20 | 1<<4, 1 + 1<<20 + 1<<4, false, 0, "SUCCESS|0x100010"},
		{0, 0, false, 0, "0"},
	}
	for _, tt := range tests {
		if uint32(tt.got) != tt.want {
			t.Errorf("%v = %d, want %d", tt.got, uint32(tt.got), tt.want)
		}
		if tt.got.TraceOnly() != tt.traceOnly || tt.got.TraceFlags() != tt.trace {
			t.Errorf("%v: TraceOnly %v TraceFlags %v", tt.got, tt.got.TraceOnly(), tt.got.TraceFlags())
		}
		if s := tt.got.String(); s != tt.str {
			t.Errorf("String() = %q, want %q", s, tt.str)
		}
	}
}

func TestSendOpts(t *testing.T) {
	tests := []struct {
		o        SendOpts
		requires bool
		str      string
	}{
		{11, true, "smtputf8_requested|smtputf8_header|smtputf8_recipient"},
		{SendOptSMTPUTF8Requested, false, "smtputf8_requested"},
		{SendOptSMTPUTF8Header | SendOptSMTPUTF8Sender, false, "smtputf8_header|smtputf8_sender"},
		// A 3.11 qmgr may add REQUIRETLS bits; they do not make the
		// message need SMTPUTF8.
		{SendOptSMTPUTF8Requested | SendOptRequireTLSESMTP, false, "smtputf8_requested|requiretls_esmtp"},
		{SendOptSMTPUTF8Requested | SendOptSMTPUTF8Sender | SendOptRequireTLSHeader, true, "smtputf8_requested|smtputf8_sender|requiretls_header"},
		{0, false, "none"},
		{1 << 7, false, "0x80"},
	}
	for _, tt := range tests {
		if got := tt.o.RequiresSMTPUTF8(); got != tt.requires {
			t.Errorf("%d.RequiresSMTPUTF8() = %v", uint32(tt.o), got)
		}
		if got := tt.o.String(); got != tt.str {
			t.Errorf("%d.String() = %q, want %q", uint32(tt.o), got, tt.str)
		}
	}
}

func TestNotifyAndRet(t *testing.T) {
	notify := []struct {
		n     Notify
		valid bool
		str   string
	}{
		{12, true, "FAILURE,DELAY"}, // observed NOTIFY=FAILURE,DELAY
		{NotifyNever, true, "NEVER"},
		{NotifyAny, true, "SUCCESS,FAILURE,DELAY"},
		{0, true, ""},
		{NotifyNever | NotifySuccess, false, "NEVER,SUCCESS"},
		{NotifyDelay | 1<<5, false, "DELAY,0x20"},
	}
	for _, tt := range notify {
		if tt.n.Valid() != tt.valid || tt.n.String() != tt.str {
			t.Errorf("Notify(%d): Valid %v String %q", uint32(tt.n), tt.n.Valid(), tt.n.String())
		}
	}
	ret := map[Ret]string{0: "", RetFull: "FULL", RetHdrs: "HDRS", 3: "RET(3)", -1: "RET(-1)"}
	for r, want := range ret {
		if got := r.String(); got != want {
			t.Errorf("Ret(%d).String() = %q, want %q", int(r), got, want)
		}
	}
}
