package queuefile

import (
	"bytes"
	"fmt"
	"os"
	"sort"
	"testing"
)

func openFixture(t *testing.T, name, queue, id string) (*File, string) {
	t.Helper()
	l, full := queueDir(t, queue, id, readFixture(t, name))
	f, err := Open(l, queue, id)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f, full
}

// Marking the two recipients smtp(8) delivered/bounced turns
// mixed-before into mixed-after, byte for byte; marking again changes
// nothing.
func TestMarkDoneReproducesFixture(t *testing.T) {
	f, full := openFixture(t, "queuefile-mixed-before", "deferred", "10901984142")
	for _, off := range []int64{660, 818, 660, -1} {
		if err := f.MarkDone(off); err != nil {
			t.Fatalf("MarkDone(%d): %v", off, err)
		}
	}
	got, err := os.ReadFile(full)
	if err != nil {
		t.Fatal(err)
	}
	if want := readFixture(t, "queuefile-mixed-after"); !bytes.Equal(got, want) {
		t.Fatal("file differs from queuefile-mixed-after.bin")
	}
}

// Offsets that are not the start of a recipient record are refused and
// the file is left alone. 842 is the point of the guard: the byte there
// is 'R', the first letter of "Received:" in the content.
func TestMarkDoneRefuses(t *testing.T) {
	f, full := openFixture(t, "queuefile-mixed-before", "active", "10901984142")
	before := readFixture(t, "queuefile-mixed-before")
	if before[842] != 'R' {
		t.Fatalf("byte 842 is %q", before[842])
	}
	for _, tc := range []struct {
		offset int64
		sev    Severity
		want   string
	}{
		{0, Panic, "deliver_completed: bad offset 0"},
		{-2, Panic, "deliver_completed: bad offset -2"},
		{842, Warning, "active/10901984142: not marking recipient done: no recipient record at offset 842"},
		{644, Warning, "active/10901984142: not marking recipient done: no recipient record at offset 644"},   // O record
		{661, Warning, "active/10901984142: not marking recipient done: no recipient record at offset 661"},   // inside the R record
		{1286, Warning, "active/10901984142: not marking recipient done: no recipient record at offset 1286"}, // X
		{1303, Warning, "active/10901984142: not marking recipient done: no recipient record at offset 1303"}, // E
		{99999, Warning, "active/10901984142: not marking recipient done: no recipient record at offset 99999"},
	} {
		err := f.MarkDone(tc.offset)
		if err == nil {
			t.Errorf("MarkDone(%d) accepted", tc.offset)
			continue
		}
		if e := asError(t, err); e.Severity != tc.sev || e.Text != tc.want {
			t.Errorf("MarkDone(%d): %v %q, want %v %q", tc.offset, e.Severity, e.Text, tc.sev, tc.want)
		}
	}
	got, _ := os.ReadFile(full)
	if !bytes.Equal(got, before) {
		t.Fatal("a refused MarkDone changed the file")
	}
	// The recipient records themselves are still fine to mark.
	if err := f.MarkDone(737); err != nil {
		t.Fatal(err)
	}
	got, _ = os.ReadFile(full)
	if got[737] != 'D' {
		t.Fatalf("byte 737 is %q", got[737])
	}
}

// MarkDone fails like stock when the write fails: fatal, with %m.
func TestMarkDoneWriteError(t *testing.T) {
	f, _ := openFixture(t, "queuefile-mixed-before", "active", "10901984142")
	// Replace the descriptor with a read-only one: pwrite gets EBADF.
	ro, err := os.Open(f.f.Name())
	if err != nil {
		t.Fatal(err)
	}
	f.f.Close()
	f.f = ro
	err = f.MarkDone(660)
	if e := asError(t, err); e.Severity != Fatal || e.Text != "update queue file active/10901984142: Bad file descriptor" {
		t.Errorf("%v %q", e.Severity, e.Text)
	}
}

func offsets(m map[int64]bool) []int64 {
	var out []int64
	for k := range m {
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// The recipient walk finds the R and D records of every fixture (and
// nothing in the content).
func TestRecipientOffsets(t *testing.T) {
	for name, want := range map[string]string{
		"queuefile-mixed-before": "[660 737 818]",
		"queuefile-mixed-after":  "[660 737 818]",
		"queuefile-dsn-utf8":     "[685 780]",
		"queuefile-long-lines":   "[632]",
	} {
		got := offsets(recipientOffsets(bytes.NewReader(readFixture(t, name)), name))
		if fmt.Sprint(got) != want {
			t.Errorf("%s: %v, want %s", name, got, want)
		}
	}
}

// Recipients that cleanup or a milter added through pointer records,
// and recipients in the extracted segment, are found too; the content is
// skipped using the C record, so an R record placed in it is not.
func TestRecipientOffsetsPointers(t *testing.T) {
	var f []byte
	size := func(dataSize, dataOffset int) []byte {
		return rec('C', fmt.Sprintf("%15d %15d %15d %15d %15d %15d", dataSize, dataOffset, 2, 0, dataSize, 0))
	}
	f = append(f, size(0, 0)...) // placeholder, patched below
	f = append(f, rec('S', "a@x")...)
	rcpt1 := len(f)
	f = append(f, rec('R', "one@x")...)
	ptrAt := len(f)
	f = append(f, rec('p', fmt.Sprintf("%15d", 0))...) // patched below
	f = append(f, rec('M', "")...)
	dataOffset := len(f)
	f = append(f, rec('N', "Subject: hi")...)
	fake := len(f)
	f = append(f, rec('R', "not-a-recipient")...) // inside the content
	xtra := len(f)
	f = append(f, rec('X', "")...)
	rcpt3 := len(f)
	f = append(f, rec('R', "three@x")...)
	f = append(f, rec('E', "")...)
	heap := len(f)
	rcpt2 := len(f)
	f = append(f, rec('R', "two@x")...)
	f = append(f, rec('p', fmt.Sprintf("%15d", ptrAt+17))...) // back after the pointer

	copy(f, size(xtra-dataOffset, dataOffset))
	copy(f[ptrAt:], rec('p', fmt.Sprintf("%15d", heap)))

	got := recipientOffsets(bytes.NewReader(f), "t")
	want := []int64{int64(rcpt1), int64(rcpt3), int64(rcpt2)}
	sort.Slice(want, func(i, j int) bool { return want[i] < want[j] })
	if fmt.Sprint(offsets(got)) != fmt.Sprint(want) {
		t.Errorf("found %v, want %v (fake R at %d)", offsets(got), want, fake)
	}
}

// A corrupt file is marked the stock way: warning text and mode 0400,
// after which OpenOK no longer accepts it.
func TestMarkCorrupt(t *testing.T) {
	data := readFixture(t, "queuefile-mixed-before")
	l, full := queueDir(t, "active", "10901984142", data)
	f, err := Open(l, "active", "10901984142")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w, err := f.MarkCorrupt()
	if err != nil || w != "corrupted queue file: active/10901984142" {
		t.Fatalf("%q %v", w, err)
	}
	st, err := os.Stat(full)
	if err != nil || st.Mode().Perm() != 0o400 {
		t.Fatalf("mode %v %v", st.Mode(), err)
	}
	if _, err := l.OpenOK("active", "10901984142"); err == nil || asError(t, err).Severity != Silent {
		t.Errorf("OpenOK after MarkCorrupt: %v", err)
	}
}
