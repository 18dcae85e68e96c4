package deliver

import (
	"encoding/binary"
	"fmt"
	"time"
)

// MsgStats holds the time stamps of Postfix's MSG_STATS, which qmgr sends
// as the "time" attribute and which the agent uses for the delays= field
// of its log lines. A zero time.Time stands for a zero timeval, Postfix's
// "not supplied".
type MsgStats struct {
	IncomingArrival time.Time // queue file arrival (T record)
	ActiveArrival   time.Time // entry into the active queue
	AgentHandoff    time.Time // hand-off to this agent (set by Read)
	ConnSetupDone   time.Time // connection set up (set by the agent)
	DeliverDone     time.Time // transmission done (set by the agent)
	ReuseCount      int       // connection reuse count (set by the agent)
}

// MsgStatsSize is the length of the "time" attribute after base64
// decoding: Postfix sends its in-memory struct as it is, and rejects any
// other length ("msg_stats_scan: size mis-match").
//
// The layout is that of a C struct on an LP64 Linux host (amd64, arm64,
// ...), in the host's byte order, which is what qmgr on the same host
// sends:
//
//	offset  field                       C type
//	     0  incoming_arrival.tv_sec     long (int64)
//	     8  incoming_arrival.tv_usec    long (int64)
//	    16  active_arrival              struct timeval (16 bytes)
//	    32  agent_handoff               struct timeval
//	    48  conn_setup_done             struct timeval
//	    64  deliver_done                struct timeval
//	    80  reuse_count                 int (int32)
//	    84  padding to 8-byte alignment (sent as zero)
//
// 32-bit hosts have a different layout; this package does not support
// them (the project targets amd64).
const MsgStatsSize = 88

// timevalSize is one struct timeval: two C longs.
const timevalSize = 16

// DecodeMsgStats decodes the "time" attribute's bytes.
func DecodeMsgStats(b []byte) (MsgStats, error) {
	if len(b) != MsgStatsSize {
		// Postfix's wording: received length first, expected second.
		return MsgStats{}, fmt.Errorf("msg_stats_scan: size mis-match: %d != %d", len(b), MsgStatsSize)
	}
	var s MsgStats
	for i, dst := range s.stamps() {
		*dst = decodeTimeval(b[i*timevalSize:])
	}
	s.ReuseCount = int(int32(binary.NativeEndian.Uint32(b[5*timevalSize:])))
	return s, nil
}

// AppendBinary appends the 88-byte wire form of s (see MsgStatsSize), for
// requests this agent sends on, e.g. when it hands a request to another
// transport.
func (s MsgStats) AppendBinary(dst []byte) ([]byte, error) {
	for _, t := range s.stamps() {
		dst = appendTimeval(dst, *t)
	}
	dst = binary.NativeEndian.AppendUint32(dst, uint32(int32(s.ReuseCount)))
	return append(dst, 0, 0, 0, 0), nil
}

// MarshalBinary returns the 88-byte wire form of s.
func (s MsgStats) MarshalBinary() ([]byte, error) {
	return s.AppendBinary(make([]byte, 0, MsgStatsSize))
}

// stamps lists the time stamps in wire order.
func (s *MsgStats) stamps() [5]*time.Time {
	return [5]*time.Time{&s.IncomingArrival, &s.ActiveArrival, &s.AgentHandoff, &s.ConnSetupDone, &s.DeliverDone}
}

func decodeTimeval(b []byte) time.Time {
	sec := int64(binary.NativeEndian.Uint64(b))
	usec := int64(binary.NativeEndian.Uint64(b[8:]))
	// Only a broken sender puts tv_usec outside [0, 1e6). Carry it into
	// tv_sec before scaling, so that the conversion to nanoseconds cannot
	// overflow and a second encode/decode round gives the same result.
	sec += usec / 1e6
	if usec %= 1e6; usec < 0 {
		sec, usec = sec-1, usec+1e6
	}
	if sec == 0 && usec == 0 {
		return time.Time{}
	}
	return time.Unix(sec, usec*1000)
}

func appendTimeval(dst []byte, t time.Time) []byte {
	var sec, usec int64
	if !t.IsZero() {
		sec, usec = t.Unix(), int64(t.Nanosecond()/1000)
	}
	dst = binary.NativeEndian.AppendUint64(dst, uint64(sec))
	return binary.NativeEndian.AppendUint64(dst, uint64(usec))
}

// stamped reports whether t counts as set for Postfix, which tests
// tv_sec only: a timeval of less than one second after the epoch is "not
// supplied" there as well.
func stamped(t time.Time) bool { return !t.IsZero() && t.Unix() != 0 }
