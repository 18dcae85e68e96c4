package queuefile

import (
	"fmt"
	"io"
)

// MarkDone crosses off the recipient whose R record is at offset:
// deliver_completed(), i.e. overwrite that one type byte with D. qmgr
// reads only R records when it (re)schedules a message, so a D record is
// never delivered again, whether after a deferral, a qmgr restart or a
// crash of this agent. Call it right after the recipient's final status
// was recorded (sent() or bounce_append() returned 0) and before the
// reply to qmgr; one recipient at a time, never batched, never when the
// status service failed.
//
// Like stock:
//   - offset -1 (a request passed on from another agent, no queue file
//     record) is ignored;
//   - any other offset <= 0 is an interface violation: a Panic *Error
//     "deliver_completed: bad offset <n>";
//   - the byte is written with one pwrite() and not fsync()ed: stock
//     flushes its buffer with write() and never syncs here;
//   - a write error is Fatal "update queue file <path>: <errno text>".
//
// Beyond stock, which writes wherever the offset points: the offset
// must be where a record of type R or D starts, as found by walking the
// file's record structure the way qmgr does (following p records,
// skipping the content). A D there is left alone (stock would rewrite
// the same byte). Anything else returns a Warning *Error and leaves the
// file untouched, because a D written into a header line or another
// record would corrupt the message; the caller should then treat the
// recipient as not marked (like a failed status update: defer it).
func (f *File) MarkDone(offset int64) error {
	if offset == -1 {
		return nil
	}
	if offset <= 0 {
		return &Error{Severity: Panic, Text: fmt.Sprintf("deliver_completed: bad offset %d", offset)}
	}
	if f.rcpts == nil {
		f.rcpts = recipientOffsets(f.section(), f.path)
	}
	var b [1]byte
	if f.rcpts[offset] {
		if _, err := f.f.ReadAt(b[:], offset); err != nil && err != io.EOF {
			return f.updateError(err)
		}
	}
	switch b[0] {
	case RecTypeDone:
		return nil
	case RecTypeRcpt:
	default:
		return &Error{
			Severity: Warning,
			Text:     fmt.Sprintf("%s: not marking recipient done: no recipient record at offset %d", f.path, offset),
			Err:      ErrCorrupt,
		}
	}
	if _, err := f.f.WriteAt([]byte{RecTypeDone}, offset); err != nil {
		return f.updateError(err)
	}
	return nil
}

func (f *File) updateError(err error) error {
	return &Error{Severity: Fatal, Text: fmt.Sprintf("update queue file %s: %s", f.path, errnoText(err)), Err: err}
}

// recipientOffsets finds every R and D record the way qmgr's
// qmgr_message_read() walks the file: raw records, p records followed,
// and the content skipped by jumping from the data offset to the X
// record (both from the C record), so that text inside the content can
// never pass for a recipient record. The walk stops at E or at the first
// malformed record; what was found up to there still counts. It has its
// own pointer-loop guard: it stands for a different process than the
// content reader.
func recipientOffsets(src io.ReadSeeker, path string) map[int64]bool {
	set := make(map[int64]bool)
	r := NewReader(src, path, 0)
	if r.err != nil {
		return set
	}
	keep := func(t byte) bool { return t == RecTypePtr || t == RecTypeSize }
	var dataOffset, dataSize int64
	for {
		if dataOffset > 0 && r.pos == dataOffset {
			if r.seek(dataOffset+dataSize, io.SeekStart) != nil {
				return set
			}
		}
		rec, err := r.readRecord(keep)
		if err != nil {
			return set
		}
		switch rec.Type {
		case RecTypeSize:
			if rec.Offset == 0 {
				if sz, err := ParseSize(rec.Data); err == nil {
					dataOffset, dataSize = sz.DataOffset, sz.DataSize
				}
			}
		case RecTypePtr:
			if r.follow(rec.Data) != nil {
				return set
			}
		case RecTypeRcpt, RecTypeDone:
			set[rec.Offset] = true
		case RecTypeEnd:
			return set
		}
	}
}

// MarkCorrupt is mark_corrupt(): it returns the warning stock logs
// ("corrupted queue file: <path>") and sets the file mode to 0400. qmgr
// then moves the message to the corrupt queue once it sees a deferred
// message whose file lost its x bit. Stock switches to the mail owner's
// uid for the fchmod(); the agent already runs as the mail owner (root
// may change the mode anyway). A failing fchmod is Fatal
// "mark_corrupt: fchmod <path>: <errno text>"; log the warning first,
// as stock does.
func (f *File) MarkCorrupt() (warning string, err error) {
	warning = "corrupted queue file: " + f.path
	if err := f.f.Chmod(0o400); err != nil {
		return warning, &Error{Severity: Fatal, Text: fmt.Sprintf("mark_corrupt: fchmod %s: %s", f.path, errnoText(err)), Err: err}
	}
	return warning, nil
}
