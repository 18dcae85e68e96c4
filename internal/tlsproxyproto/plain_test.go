package tlsproxyproto

import (
	"errors"
	"strings"
	"testing"

	"github.com/postfix-go/postfix-go/master-compat/attr"
)

// TestContextPlainFixture checks the plain encoding against the context
// smtp(8) stored in a captured scache save_endp request: the property is
// the session attributes, an empty line, then the context.
func TestContextPlainFixture(t *testing.T) {
	sc, _ := newScanner(fixture(t, "scache-save_endp-tls.request.bin"))
	var req, label, prop string
	var ttl int
	n, err := sc.Scan(attr.Strict, attr.Str("request", &req), attr.Int("ttl", &ttl),
		attr.Str("label", &label), attr.Str("property", &prop))
	if err != nil || n != 4 {
		t.Fatalf("scan: %d %v", n, err)
	}
	_, ctxText, err := attr.ParsePlain(prop)
	if err != nil {
		t.Fatal(err)
	}
	attrs, tail, err := attr.ParsePlain(ctxText)
	if err != nil || tail != "" {
		t.Fatalf("context part: %v, %q left", err, tail)
	}
	c, err := ContextFromPlain(attrs)
	if err != nil {
		t.Fatal(err)
	}
	if c.Level != LevelEncrypt && c.Level != LevelSecure && c.Level != LevelMay {
		t.Errorf("level %d", c.Level)
	}
	if got := string(c.AppendPlain(nil)); got != ctxText {
		t.Errorf("plain re-encoding differs:\n got %q\nwant %q", got, ctxText)
	}
}

func TestContextFromPlainErrors(t *testing.T) {
	good := new(Context).AppendPlain(nil)
	attrs, _, err := attr.ParsePlain(string(good))
	if err != nil || len(attrs) != ContextAttrs {
		t.Fatalf("%d attrs, %v", len(attrs), err)
	}
	tests := []struct {
		name  string
		attrs []attr.Attr
		want  error
		text  string
	}{
		{"missing", attrs[:21], ErrShort, "missing attribute namaddr"},
		{"extra", append(attrs[:22:22], attr.Attr{Name: "x", Value: "1"}), ErrShort, "unexpected attribute x"},
		{"order", append([]attr.Attr{attrs[1], attrs[0]}, attrs[2:]...), ErrShort, "unexpected attribute issuer_CN"},
		{"bad int", replaced(attrs, 4, "8x"), ErrRange, "malformed numerical data for level"},
	}
	for _, tt := range tests {
		_, err := ContextFromPlain(tt.attrs)
		if !errors.Is(err, tt.want) || !errors.Is(err, attr.ErrMalformed) || !strings.Contains(err.Error(), tt.text) {
			t.Errorf("%s: %v", tt.name, err)
		}
	}
}

func replaced(attrs []attr.Attr, i int, value string) []attr.Attr {
	out := append([]attr.Attr(nil), attrs...)
	out[i].Value = value
	return out
}
