package downgrade

import (
	"fmt"
	"strings"
)

// stockFixtures are the messages captured through stock Postfix for
// testdata/stock (see capture_test.go). Changing one means capturing
// again. Each is submitted with sendmail -B 8BITMIME, so cleanup records
// encoding=8bit and stock smtp downgrades even 7-bit-only content.
func stockFixtures() map[string]string {
	x := func(n int) string { return strings.Repeat("x", n) }
	return map[string]string{
		"single-8bit": "Subject: single\nMIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n" +
			"Content-Transfer-Encoding: 8bit\n\n" +
			"Gr\xc3\xbc\xc3\x9fe = equals, trailing space \ntrailing tab\t\n" +
			x(72) + "\n" + x(73) + "\n" + x(74) + "\n" + x(72) + "\xc3\xa9\n" + x(71) + "=\n" +
			x(72) + " \n" + "ctl\x01\x1b\x7f end\n\n.\n..dots\n=3D literal\n" +
			strings.Repeat("\xe2\x82\xac", 40) + "\nlast line\n",
		"seven-bit": "Subject: 7bit parts\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"b1\"\n\n" +
			"pre\xc3\xa4mble\n--b1\nContent-Type: text/plain\nContent-Transfer-Encoding: 7bit\n\nseven bit\n" +
			"--b1\nContent-Type: text/plain\n\nno cte but 8bit: \xc3\xa4\xc3\xb6\n" +
			"--b1\nContent-Type: application/octet-stream\nContent-Transfer-Encoding: base64\n\nAAEC\n" +
			"--b1\nContent-Transfer-Encoding: quoted-printable\n\nqp =C3=A4\n--b1--\nepil\xc3\xb6gue\n",
		"nested-multipart": "Subject: nested\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=outer\n" +
			"Content-Transfer-Encoding: 8bit\n\n--outer\nContent-Type: multipart/alternative;\n\tboundary=\"inner\"\n" +
			"Content-Transfer-Encoding: 8bit\n\n--inner\nContent-Type: text/plain; charset=utf-8\n" +
			"Content-Transfer-Encoding: 8bit\n\ninner \xc3\xa4\n--inner\nContent-Type: text/html\n" +
			"Content-Transfer-Encoding: 8BIT\n\n<p>\xc3\xb6</p>\n--inner--\nafter inner\n--outer\n" +
			"Content-Type: text/plain\nContent-Transfer-Encoding: binary\n\nbin \xff\xfe\n--outer--\n",
		"rfc822": "Subject: forward\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"m\"\n\n--m\n" +
			"Content-Type: message/rfc822\nContent-Transfer-Encoding: 8bit\n\nSubject: inner \xc3\xa4\n" +
			"Content-Type: multipart/mixed; boundary=\"n\"\n\n--n\nContent-Transfer-Encoding: 8bit\n\n" +
			"nested \xc3\xa4 part\n--n--\n--m\nContent-Type: message/rfc822\n\nSubject: plain\n" +
			"Content-Transfer-Encoding: 8bit\n\nbody \xc3\xbc\n--m\nContent-Type: message/partial; id=1\n" +
			"Content-Transfer-Encoding: 8bit\n\npartial \xc3\xbc\n--m\nContent-Type: message/global\n" +
			"Content-Transfer-Encoding: 8bit\n\nSubject: g\n\nglobal \xc3\xbc\n--m--\n",
		"cte-syntax": "Subject: cte syntax\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"s\"\n\n" +
			"--s\nContent-Transfer-Encoding: (comment) 8BIT (more)\n\none \xc3\xa4\n" +
			"--s\nContent-Transfer-Encoding : 8bit\n\ntwo \xc3\xa4\n" +
			"--s\nContent-Transfer-Encoding:\n 8bit\n\nthree \xc3\xa4\n" +
			"--s\nContent-Transfer-Encoding: \"8bit\"\n\nfour \xc3\xa4\n" +
			"--s\ncontent-transfer-encoding: 8bit\nContent-Transfer-Encoding: 7bit\n\nfive \xc3\xa4\n" +
			"--s\nContent-Transfer-Encoding: 8bit\nContent-Transfer-Encoding: x-unknown\n\nsix \xc3\xa4\n" +
			"--s\nContent-Transfer-Encoding: 8bit\nContent-Type: application/pdf\n\nseven \xc3\xa4\n" +
			"--s\nContent-Type: multipart/mixed\nContent-Transfer-Encoding: 8bit\nContent-Type:\n\neight \xc3\xa4\n--s--\n",
		"long-lines": "Subject: long\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=L\n\n--L\n" +
			"Content-Transfer-Encoding: 8bit\n\n" + strings.Repeat("\xc3\xa4=x ", 1250) + "\n" + x(5000) + " \n" +
			x(2047) + "\n" + x(2048) + "\n" + x(2049) + "\xc3\xa4\n--L\nContent-Type: text/plain\n\n" + x(3000) + "\n" +
			"." + x(1200) + "\n--L" + x(3000) + "\nnot a boundary: continuation\n--L--\n",
		"deep-nesting":  nestedMultipart(110, "8bit"),
		"nesting-limit": nestedMultipart(102, "8bit"),
		"huge-boundary": "Subject: huge\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"" + strings.Repeat("B", 3000) +
			"\"\n\n--" + strings.Repeat("B", 3000) + "\nContent-Transfer-Encoding: 8bit\n\nunseen \xc3\xa4\n" +
			"--" + strings.Repeat("B", 3000) + "--\nContent-Type: multipart/mixed; boundary=" + strings.Repeat("C", 2040) + "\n\n" +
			"--" + strings.Repeat("C", 2040) + "\nContent-Transfer-Encoding: 8bit\n\nseen \xc3\xa4\n--" + strings.Repeat("C", 2040) + "--\n",
		"8bit-headers": "Subject: \xc3\xa4\xc3\xb6\xc3\xbc in subject\nX-Long: " + strings.Repeat("\xc3\xa4", 600) + "\nMIME-Version: 1.0\n" +
			"Content-Type: multipart/mixed; boundary=\"\xc3\xa4b\"\n\n--\xc3\xa4b\nContent-Type: text/plain; name=\"\xc3\xb6.txt\"\n" +
			"Content-Transfer-Encoding: 8bit\nContent-Disposition: attachment; filename=\xc3\xb6.txt\n\n8bit body \xc3\xbc\n--\xc3\xa4b--\n",
		"missing-final": "Subject: unterminated\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"q\"\n\n--q\n" +
			"Content-Transfer-Encoding: 8bit\n\nno closing boundary \xc3\xa4\n--qq\nstill part one\nlast line without newline \xc3\xa4 ",
		"crlf": "Subject: crlf\r\nMIME-Version: 1.0\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: 8bit\r\n\r\n" +
			"crlf line \xc3\xa4\r\nbare\rcr\r\nlf only\nend\r\n",
		"boundary-rules": "Subject: boundary rules\nMIME-Version: 1.0\n" +
			"Content-Type: Multipart/Mixed (c) ; (c) BOUNDARY = \"x\\\"y\" ; boundary=second\n\n" +
			"--x\"y\nContent-Transfer-Encoding: 8bit\n\nfirst \xc3\xa4\n-- x\"y\nnot a boundary \xc3\xa4\n" +
			"--x\"yTRAILING\nContent-Type: multipart/digest; boundary=\"d\"\n\n--d\n\nSubject: digest part\n" +
			"Content-Transfer-Encoding: 8bit\n\ndigest body \xc3\xa4\n--d\nContent-Type: text/plain\n" +
			"Content-Transfer-Encoding: 8bit\n\nplain in digest \xc3\xa4\n--second\nContent-Transfer-Encoding: 8bit\n\n" +
			"via second boundary \xc3\xa4\n--x\"y--junk\nepilogue \xc3\xa4\n",
		"garbage-headers": "Subject: garbage\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=g\n" +
			"Content-Transfer-Encoding: 8bit\nthis is not a header\n--g\nContent-Transfer-Encoding: 8bit\n" +
			"also not a header \xc3\xa4\n--g\n--g\nContent-Transfer-Encoding: 8bit\n 8bit (folded CTE)\n\nbody\n--g--\n",
		"headers-only": "Subject: only headers\nMIME-Version: 1.0\nContent-Transfer-Encoding: 8bit\n",
	}
}

// nestedMultipart builds depth multiparts nested in each other, with an
// 8-bit leaf at the bottom.
func nestedMultipart(depth int, cte string) string {
	var b strings.Builder
	b.WriteString("Subject: nesting\nMIME-Version: 1.0\n")
	for i := range depth {
		fmt.Fprintf(&b, "Content-Type: multipart/mixed; boundary=\"n%d\"\n\n--n%d\n", i, i)
	}
	fmt.Fprintf(&b, "Content-Transfer-Encoding: %s\n\nleaf \xc3\xa4\n", cte)
	for i := depth - 1; i >= 0; i-- {
		fmt.Fprintf(&b, "--n%d--\n", i)
	}
	return b.String()
}
