package strace

import (
	"bytes"
	"testing"
)

func TestUnquote(t *testing.T) {
	for _, c := range []struct {
		in   string
		want []byte
		bad  bool
	}{
		{in: `EHLO s3.test\r\n`, want: []byte("EHLO s3.test\r\n")},
		{in: `offset\000795\0`, want: []byte("offset\x00795\x00")},
		{in: `\274D\0\0\32`, want: []byte{0274, 'D', 0, 0, 032}},
		{in: `\x41\t\"q\\`, want: []byte("A\t\"q\\")},
		{in: `\q`, bad: true},
		{in: `\x4`, bad: true},
		{in: `ends\`, bad: true},
	} {
		got, err := Unquote([]byte(c.in))
		if (err != nil) != c.bad || (!c.bad && !bytes.Equal(got, c.want)) {
			t.Errorf("Unquote(%q) = %q, %v", c.in, got, err)
		}
	}
}
