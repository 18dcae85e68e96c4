package queuefile

import (
	"bytes"
	"errors"
	"io"
	"testing"
)

// FuzzRecords feeds arbitrary bytes to every reader of the package:
// raw records, rec_get() transparency, the content pass and the
// recipient walk. None may panic or loop; every failure must be an
// *Error; and what they return must be consistent with the input.
func FuzzRecords(f *testing.F) {
	for _, fx := range fixtures {
		f.Add(readFixture(f, fx.name))
	}
	for _, s := range [][]byte{
		nil,
		[]byte("C"),
		[]byte("N\x80\x80\x80\x80\x80\x01"),
		[]byte("N\x80\x80\x80\x80\x08"),
		[]byte("N\xff\xff\xff\xff\x07abc"),
		cat(rec('N', "x"), rec('p', "3")),
		cat(rec('p', "  0"), rec('w', "pad"), rec('L', "ab"), rec('N', "c"), rec('X', ""), rec('E', "")),
		cat(rec('C', "2 1 1"), rec('R', "a"), rec('M', ""), rec('X', ""), rec('D', "b"), rec('E', "")),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		checkErr := func(what string, err error) {
			if err == nil || err == io.EOF {
				return
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("%s: %v (%T) is not an *Error", what, err, err)
			}
		}

		// Raw: records tile the input in order; each record's bytes start
		// with its type and end with its payload.
		r := NewReader(bytes.NewReader(data), "fuzz", 1<<16)
		prevEnd := int64(0)
		for {
			rc, err := r.NextRaw()
			if err != nil {
				checkErr("NextRaw", err)
				break
			}
			if rc.Offset != prevEnd {
				t.Fatalf("record at %d, previous ended at %d", rc.Offset, prevEnd)
			}
			end := r.Offset()
			if end-rc.Offset < int64(2+len(rc.Data)) || end > int64(len(data)) ||
				data[rc.Offset] != rc.Type || !bytes.Equal(data[end-int64(len(rc.Data)):end], rc.Data) {
				t.Fatalf("record %c at %d..%d does not match the input", rc.Type, rc.Offset, end)
			}
			prevEnd = end
		}

		// rec_get(): never returns p or w records.
		r = NewReader(bytes.NewReader(data), "fuzz", 1<<16)
		for {
			rc, err := r.Next()
			if err != nil {
				checkErr("Next", err)
				break
			}
			if rc.Type == RecTypePtr || rc.Type == RecTypeDtxt {
				t.Fatalf("Next returned a %c record", rc.Type)
			}
		}

		// The content pass, from the start and from the C record's offset.
		starts := []int64{0}
		if rc, err := NewReader(bytes.NewReader(data), "fuzz", 1<<16).NextRaw(); err == nil && rc.Type == RecTypeSize {
			if sz, err := ParseSize(rc.Data); err == nil {
				starts = append(starts, sz.DataOffset)
			}
		}
		for _, off := range starts {
			cr, err := NewContentReader(bytes.NewReader(data), "fuzz", "ID", off)
			if err != nil {
				checkErr("NewContentReader", err)
				continue
			}
			for {
				rc, err := cr.Next()
				if err != nil {
					checkErr("content", err)
					break
				}
				if rc.Type != RecTypeNorm && rc.Type != RecTypeCont {
					t.Fatalf("content record %c", rc.Type)
				}
			}
			cr, _ = NewContentReader(bytes.NewReader(data), "fuzz", "ID", off)
			_, err = io.Copy(io.Discard, cr.Text())
			checkErr("Text", err)
		}

		// Every recipient the walk finds starts with R or D.
		for off := range recipientOffsets(bytes.NewReader(data), "fuzz") {
			if off < 0 || off >= int64(len(data)) || (data[off] != RecTypeRcpt && data[off] != RecTypeDone) {
				t.Fatalf("recipient offset %d is not an R/D record", off)
			}
		}
	})
}
