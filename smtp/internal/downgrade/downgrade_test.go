package downgrade

import (
	"strings"
	"testing"
)

const (
	hdr8  = "MIME-Version: 1.0\nContent-Transfer-Encoding: 8bit\n\n"
	qpHdr = "MIME-Version: 1.0\nContent-Transfer-Encoding: quoted-printable\n\n"
)

// convertCase is one unit test, also replayed against stock's engine
// by TestOracleCases.
type convertCase struct {
	name string
	cfg  Config
	in   []rec
	want string // output rendered by collector
	err  string
}

func convertCases() []convertCase {
	x := strings.Repeat
	return []convertCase{
		{"single part 8bit", Config{}, lines(hdr8 + "Gr\xc3\xbc\xc3\x9fe\n"), qpHdr + "Gr=C3=BC=C3=9Fe\n", ""},
		{"7bit part untouched", Config{}, lines("Content-Transfer-Encoding: 7bit\n\n\xc3\xa4 = \n"),
			"Content-Transfer-Encoding: 7bit\n\n\xc3\xa4 = \n", ""},
		{"no CTE, 8-bit data passes", Config{}, lines("Subject: x\n\n\xc3\xa4 = \n"), "Subject: x\n\n\xc3\xa4 = \n", ""},
		{"CTE binary", Config{}, lines("Content-Transfer-Encoding: binary\n\n\x00\xff\r\n"),
			"Content-Transfer-Encoding: quoted-printable\n\n=00=FF=0D\n", ""},
		{"CTE case, comments, obsolete colon", Config{}, lines("Content-Transfer-Encoding : (c) 8BiT (d)\n\n\xc3\xa4\n"),
			"Content-Transfer-Encoding: quoted-printable\n\n=C3=A4\n", ""},
		{"quoted CTE is not a token", Config{}, lines("Content-Transfer-Encoding: \"8bit\"\n\n\xc3\xa4\n"),
			"Content-Transfer-Encoding: \"8bit\"\n\n\xc3\xa4\n", ""},
		{"folded CTE header is dropped whole", Config{}, lines("Content-Transfer-Encoding:\n\t8bit\nX: y\n\n\xc3\xa4\n"),
			"X: y\nContent-Transfer-Encoding: quoted-printable\n\n=C3=A4\n", ""},
		{"later 7bit CTE wins", Config{}, lines("Content-Transfer-Encoding: 8bit\nContent-Transfer-Encoding: 7bit\n\n\xc3\xa4\n"),
			"Content-Transfer-Encoding: 7bit\n\n\xc3\xa4\n", ""},
		{"equals and controls", Config{}, lines(hdr8 + "a=b\x01\x7f\tc\n"), qpHdr + "a=3Db=01=7F\tc\n", ""},
		{"trailing space", Config{}, lines(hdr8 + "a \nb\t\n \n\n"), qpHdr + "a=20\nb=09\n=20\n\n", ""},
		{"73 chars: no soft break", Config{}, lines(hdr8 + x("x", 73) + "\n"), qpHdr + x("x", 73) + "\n", ""},
		{"74 chars: soft break after 73", Config{}, lines(hdr8 + x("x", 74) + "\n"), qpHdr + x("x", 73) + "=\nx\n", ""},
		{"encoded byte crosses 72", Config{}, lines(hdr8 + x("x", 72) + "\xe9\xe9\n"), qpHdr + x("x", 72) + "=E9=\n=E9\n", ""},
		{"73 chars plus trailing space", Config{}, lines(hdr8 + x("x", 72) + " \n"), qpHdr + x("x", 72) + "=20\n", ""},
		{"space before soft break stays", Config{}, lines(hdr8 + x("x", 72) + "  y\n"), qpHdr + x("x", 72) + " =\n y\n", ""},
		{"L records join one QP line", Config{}, append(lines(hdr8), rec{x("a", 50), true}, rec{x("b", 50), true}, rec{"\xc3\xa4 ", false}),
			qpHdr + x("a", 50) + x("b", 23) + "=\n" + x("b", 27) + "=C3=A4=20\n", ""},
		{"unterminated last line is ended", Config{}, append(lines(hdr8), rec{"end ", true}), qpHdr + "end=20\n", ""},
		{"unterminated raw line is ended", Config{}, []rec{{"Subject: x", false}, {"", false}, {"abc", true}}, "Subject: x\n\nabc\n", ""},
		{"headers only, CTE at end of content", Config{}, lines("Subject: x\nContent-Transfer-Encoding: 8bit\n"),
			"Subject: x\nContent-Transfer-Encoding: quoted-printable\n", ""},
		{"empty content", Config{}, nil, "", ""},
		{"garbage ends primary header with a blank line", Config{}, lines("Content-Transfer-Encoding: 8bit\nnot a header \xe9\n"),
			"Content-Transfer-Encoding: quoted-printable\n\nnot a header =E9\n", ""},
		{"multipart 8bit says 7bit, parts converted", Config{}, lines(
			"Content-Type: multipart/mixed; boundary=\"b\"\nContent-Transfer-Encoding: 8bit\n\npre \xe9\n--b\n" +
				"Content-Transfer-Encoding: 8bit\n\none \xe9\n--b\n\ntwo \xe9\n--b--\npost \xe9\n"),
			"Content-Type: multipart/mixed; boundary=\"b\"\nContent-Transfer-Encoding: 7bit\n\npre \xe9\n--b\n" +
				"Content-Transfer-Encoding: quoted-printable\n\none =E9\n--b\n\ntwo \xe9\n--b--\npost \xe9\n", ""},
		{"nested multipart, outer close closes inner", Config{}, lines(
			"Content-Type: multipart/mixed; boundary=o\n\n--o\nContent-Type: multipart/alternative; boundary=i\n\n--i\n" +
				"Content-Transfer-Encoding: 8bit\n\n\xe9\n--o\nContent-Transfer-Encoding: 8bit\n\n\xe8\n--o--\n--i\n\xe7\n"),
			"Content-Type: multipart/mixed; boundary=o\n\n--o\nContent-Type: multipart/alternative; boundary=i\n\n--i\n" +
				"Content-Transfer-Encoding: quoted-printable\n\n=E9\n--o\nContent-Transfer-Encoding: quoted-printable\n\n=E8\n--o--\n--i\n\xe7\n", ""},
		{"message/rfc822 with 8bit part", Config{}, lines(
			"Content-Type: message/rfc822\nContent-Transfer-Encoding: 8bit\n\nSubject: in\n" +
				"Content-Type: multipart/mixed; boundary=n\n\n--n\nContent-Transfer-Encoding: 8bit\n\n\xe9\n--n--\n"),
			"Content-Type: message/rfc822\nContent-Transfer-Encoding: 7bit\n\nSubject: in\n" +
				"Content-Type: multipart/mixed; boundary=n\n\n--n\nContent-Transfer-Encoding: quoted-printable\n\n=E9\n--n--\n", ""},
		{"message/global 8bit is encoded, not entered", Config{}, lines(
			"Content-Type: message/global\nContent-Transfer-Encoding: 8bit\n\nSubject: \xe9\n"),
			"Content-Type: message/global\nContent-Transfer-Encoding: quoted-printable\n\nSubject: =E9\n", ""},
		{"digest parts default to message/rfc822", Config{}, lines(
			"Content-Type: multipart/digest; boundary=d\n\n--d\n\nContent-Transfer-Encoding: 8bit\n\n\xe9\n"),
			"Content-Type: multipart/digest; boundary=d\n\n--d\n\nContent-Transfer-Encoding: quoted-printable\n\n=E9\n", ""},
		{"boundary prefix match and cruft", Config{}, lines(
			"Content-Type: multipart/mixed; boundary=b\n\n--bb\nContent-Transfer-Encoding: 8bit\n\n\xe9\n--b--x\n\xe9\n"),
			"Content-Type: multipart/mixed; boundary=b\n\n--bb\nContent-Transfer-Encoding: quoted-printable\n\n=E9\n--b--x\n\xe9\n", ""},
		{"boundary only at the start of a line", Config{}, append(lines(
			"Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Transfer-Encoding: 8bit\n\n"),
			rec{"x", true}, rec{"--b", false}, rec{"--", false}, rec{" --b", false}, rec{"\xe9", false}),
			"Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Transfer-Encoding: quoted-printable\n\nx--b\n--\n --b\n=E9\n", ""},
		// The rest of the boundary line is parsed as a header and the
		// (dropped, replaced) CTE header lands on the boundary line.
		{"boundary in an L record", Config{}, append(lines("Content-Type: multipart/mixed; boundary=b\n\n"),
			rec{"--b", true}, rec{"Content-Transfer-Encoding: 8bit", false}, rec{"", false}, rec{"\xe9", false}),
			"Content-Type: multipart/mixed; boundary=b\n\n--bContent-Transfer-Encoding: quoted-printable\n\n=E9\n", ""},
		{"unknown type keeps multipart", Config{}, lines(
			"Content-Type: multipart/mixed; boundary=b\nContent-Type: application/x\nContent-Transfer-Encoding: 8bit\n\n\xe9\n"),
			"Content-Type: multipart/mixed; boundary=b\nContent-Type: application/x\nContent-Transfer-Encoding: 7bit\n\n\xe9\n", ""},
		{"empty type is other", Config{}, lines(
			"Content-Type: multipart/mixed; boundary=b\nContent-Type: (nothing)\nContent-Transfer-Encoding: 8bit\n\n\xe9\n"),
			"Content-Type: multipart/mixed; boundary=b\nContent-Type: (nothing)\nContent-Transfer-Encoding: quoted-printable\n\n=E9\n", ""},
		{"boundary truncated to the limit", Config{BoundaryLimit: 3}, lines(
			"Content-Type: multipart/mixed; boundary=abcdef\n\n--abcX\nContent-Transfer-Encoding: 8bit\n\n\xe9\n"),
			"Content-Type: multipart/mixed; boundary=abcdef\n\n--abcX\nContent-Transfer-Encoding: quoted-printable\n\n=E9\n", ""},
		{"header size limit drops later lines", Config{HeaderSizeLimit: 10}, lines("Subject: 0123456789\n more\nX: y\n\nb\n"),
			"Subject: 0123456789\nX: y\n\nb\n", ""},
		{"header limit checked before appending", Config{HeaderSizeLimit: 12}, []rec{{"Subject: 01", true}, {"23456789", true}, {"more", false}},
			"Subject: 0123456789\n", ""},
		{"NUL ends a header record", Config{}, lines("Subject: a\x00b\n c\x00d\n\nx\x00y\n"), "Subject: a\n c\n\nx\x00y\n", ""},
		{"header name rules", Config{}, lines("Sub ject: x\n"), "\nSub ject: x\n", ""},
		{"nesting limit", Config{NestingLimit: 1}, lines(
			"Content-Type: multipart/mixed; boundary=a\n\n--a\nContent-Type: multipart/mixed; boundary=b\n\n--b\n" +
				"Content-Type: multipart/mixed; boundary=c\n\n--c\nContent-Type: multipart/mixed; boundary=d\n\n--d\nnot reached\n"),
			"Content-Type: multipart/mixed; boundary=a\n\n--a\nContent-Type: multipart/mixed; boundary=b\n\n--b\n" +
				"Content-Type: multipart/mixed; boundary=c\n\n--c\nContent-Type: multipart/mixed; boundary=d\n\n",
			"5.6.0 MIME nesting exceeds safety limit"},
		{"two boundaries in one header count twice", Config{NestingLimit: 1}, lines(
			"Content-Type: multipart/mixed; boundary=a; boundary=b; boundary=c\nContent-Type: multipart/mixed; boundary=d\n\n"),
			"Content-Type: multipart/mixed; boundary=a; boundary=b; boundary=c\nContent-Type: multipart/mixed; boundary=d\n\n",
			"5.6.0 MIME nesting exceeds safety limit"},
	}
}

func TestConvert(t *testing.T) {
	for _, tc := range convertCases() {
		t.Run(tc.name, func(t *testing.T) {
			got, err := convert(tc.cfg, tc.in)
			gotErr := ""
			if err != nil {
				gotErr = err.Error()
			}
			if gotErr != tc.err {
				t.Errorf("error %q, want %q", gotErr, tc.err)
			}
			if got != tc.want {
				t.Errorf("output\n got: %q\nwant: %q", got, tc.want)
			}
		})
	}
}
