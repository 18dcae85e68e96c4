package deliver

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"strings"
	"testing"
	"time"
)

// The MSG_STATS of smtp-deliver-request-2rcpt.bin, decoded by hand in the
// spec (§2.10): two time stamps set by qmgr, the rest zero.
func TestDecodeMsgStatsFixture(t *testing.T) {
	const b64 = "bbkLawAAAADeJg0AAAAAAG25C2sAAAAAFkANAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=="
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil || len(raw) != MsgStatsSize {
		t.Fatalf("fixture: %d bytes, %v", len(raw), err)
	}
	s, err := DecodeMsgStats(raw)
	if err != nil {
		t.Fatal(err)
	}
	if !s.IncomingArrival.Equal(time.Unix(1795930477, 861918000)) || !s.ActiveArrival.Equal(time.Unix(1795930477, 868374000)) {
		t.Errorf("arrival times %v %v", s.IncomingArrival, s.ActiveArrival)
	}
	if !s.AgentHandoff.IsZero() || !s.ConnSetupDone.IsZero() || !s.DeliverDone.IsZero() || s.ReuseCount != 0 {
		t.Errorf("unset fields not zero: %+v", s)
	}
	enc, _ := s.MarshalBinary()
	if !bytes.Equal(enc, raw) {
		t.Errorf("re-encoded\n%x\nwant\n%x", enc, raw)
	}
}

// Every field lands at its documented offset.
func TestMsgStatsLayout(t *testing.T) {
	s := MsgStats{
		IncomingArrival: time.Unix(1, 2000),
		ActiveArrival:   time.Unix(3, 4000),
		AgentHandoff:    time.Unix(5, 6000),
		ConnSetupDone:   time.Unix(7, 8000),
		DeliverDone:     time.Unix(9, 10000),
		ReuseCount:      -2,
	}
	b, _ := s.MarshalBinary()
	if len(b) != MsgStatsSize {
		t.Fatalf("%d bytes", len(b))
	}
	for i, want := range []uint64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10} {
		if got := binary.NativeEndian.Uint64(b[8*i:]); got != want {
			t.Errorf("word %d = %d, want %d", i, got, want)
		}
	}
	if got := int32(binary.NativeEndian.Uint32(b[80:])); got != -2 {
		t.Errorf("reuse_count = %d", got)
	}
	if !bytes.Equal(b[84:], []byte{0, 0, 0, 0}) {
		t.Errorf("padding %x", b[84:])
	}
	back, err := DecodeMsgStats(b)
	if err != nil || back != s {
		t.Errorf("round trip %+v, %v", back, err)
	}
}

func TestDecodeMsgStatsSize(t *testing.T) {
	for _, n := range []int{0, 44, 84, 87, 89, 176} {
		_, err := DecodeMsgStats(make([]byte, n))
		if err == nil || !strings.Contains(err.Error(), "msg_stats_scan: size mis-match: ") {
			t.Errorf("%d bytes: %v", n, err)
		}
	}
}

// A tv_usec out of range (only a broken sender makes one) is carried into
// tv_sec, without overflow, and a second round is stable.
func TestMsgStatsOddMicroseconds(t *testing.T) {
	b := make([]byte, MsgStatsSize)
	binary.NativeEndian.PutUint64(b[0:], 10)
	binary.NativeEndian.PutUint64(b[8:], 2500000)     // 2.5 s
	binary.NativeEndian.PutUint64(b[16:], uint64(1))  // 1 s ...
	binary.NativeEndian.PutUint64(b[24:], ^uint64(0)) // ... minus 1 µs
	binary.NativeEndian.PutUint64(b[32:], 0)          // 0 s ...
	binary.NativeEndian.PutUint64(b[40:], 1<<63)      // ... and a huge negative
	binary.NativeEndian.PutUint64(b[48:], ^uint64(0)) // -1 s ...
	binary.NativeEndian.PutUint64(b[56:], 1000000)    // ... + 1 s = nothing
	s, err := DecodeMsgStats(b)
	if err != nil {
		t.Fatal(err)
	}
	if !s.IncomingArrival.Equal(time.Unix(12, 500000000)) || !s.ActiveArrival.Equal(time.Unix(0, 999999000)) {
		t.Errorf("normalised to %v, %v", s.IncomingArrival, s.ActiveArrival)
	}
	if !s.ConnSetupDone.IsZero() {
		t.Errorf("-1 s + 1e6 µs should be a zero stamp, got %v", s.ConnSetupDone)
	}
	enc, _ := s.MarshalBinary()
	again, _ := DecodeMsgStats(enc)
	if enc2, _ := again.MarshalBinary(); !bytes.Equal(enc, enc2) {
		t.Errorf("second round differs")
	}
}
