package downgrade

import (
	"math/rand/v2"
	"strings"
)

// Pieces for random messages: headers that steer the engine, boundary
// lines for a small pool of boundaries, and body text.
var (
	randHeaders = []string{
		"Content-Type: multipart/mixed; boundary=b1", "Content-Type: multipart/digest; boundary=\"b2\"",
		"Content-Type: Multipart/Alternative (c); BOUNDARY = \"b1\\\"x\"", "Content-Type: multipart/mixed; boundary=b1; boundary=b3",
		"Content-Type: message/rfc822", "Content-Type: message/global", "Content-Type: message/partial",
		"Content-Type: text/plain", "Content-Type:", "Content-Type: application/x", "Content-Type: \"text\"/plain",
		"Content-Transfer-Encoding: 8bit", "Content-Transfer-Encoding: binary", "Content-Transfer-Encoding: 7bit",
		"Content-Transfer-Encoding: quoted-printable", "content-transfer-encoding : (x) 8BIT", "Content-Transfer-Encoding:",
		"Subject: \xc3\xa4", "X-Nul: a\x00b", "Sub ject: x", "X: y",
	}
	randBoundaries = []string{"--b1", "--b1--", "--b2", "--b2--", "--b3", "--b1\"x", "--b1\"x--", "--", "--b", "-- b1"}
	randBody       = []string{"", " ", "\t", "=", "\xc3\xa4", "\x00", "\r", "abc", "From x", ".", " folded", "\tfolded", "x: y"}
)

// randomInput returns a random configuration and record stream.
func randomInput(rng *rand.Rand) (Config, []rec) {
	cfg := Config{}
	if rng.IntN(3) == 0 {
		cfg = Config{NestingLimit: 1 + rng.IntN(3), BoundaryLimit: 1 + rng.IntN(4), HeaderSizeLimit: 1 + rng.IntN(60)}
	}
	var in []rec
	for range rng.IntN(40) {
		var line string
		switch rng.IntN(5) {
		case 0, 1:
			line = randHeaders[rng.IntN(len(randHeaders))]
		case 2:
			line = randBoundaries[rng.IntN(len(randBoundaries))]
		default:
			var b strings.Builder
			for range rng.IntN(30) {
				b.WriteString(randBody[rng.IntN(len(randBody))])
			}
			if rng.IntN(4) == 0 {
				b.WriteString(strings.Repeat("x", 60+rng.IntN(30)))
			}
			line = b.String()
		}
		if rng.IntN(4) == 0 {
			line = ""
		}
		in = append(in, splitLine(rng, line)...)
	}
	if len(in) > 0 && rng.IntN(5) == 0 {
		in[len(in)-1].cont = true // content ends without a line end
	}
	return cfg, in
}

// splitLine sometimes splits a line into L records, as cleanup does
// with lines over line_length_limit.
func splitLine(rng *rand.Rand, line string) []rec {
	if len(line) < 2 || rng.IntN(3) != 0 {
		return []rec{{line, false}}
	}
	var out []rec
	for len(line) > 1 && rng.IntN(2) == 0 {
		k := 1 + rng.IntN(len(line)-1)
		out = append(out, rec{line[:k], true})
		line = line[k:]
	}
	return append(out, rec{line, false})
}
