package tlsproxyproto

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/postfix-go/postfix-go/master-compat/attr"
)

// field describes one string or INT member of a fixed structure. One table
// per structure drives the attr0 scan, the attr0 and plain encodings and
// the plain decoding, so the attribute order is written down only once.
type field struct {
	name string
	str  *string // exactly one of str and num is set
	num  *int
}

func strField(name string, p *string) field { return field{name: name, str: p} }
func intField(name string, p *int) field    { return field{name: name, num: p} }

// wantsOf turns a field table into a scanner wish list.
func wantsOf(fs []field) []attr.Want {
	ws := make([]attr.Want, len(fs))
	for i, f := range fs {
		if f.str != nil {
			ws[i] = attr.Str(f.name, f.str)
		} else {
			ws[i] = attr.Int(f.name, f.num)
		}
	}
	return ws
}

// scanFields reads the fields of a nested structure, leaving the
// enclosing list open as Postfix's FUNC scanners do.
func scanFields(sc *attr.Scanner, mid bool, fs []field) error {
	return scan(sc, mid, attr.Strict|attr.More, wantsOf(fs)...)
}

// appendFields appends the fields in attr0 form without a terminator.
func appendFields(dst []byte, fs []field) []byte {
	for _, f := range fs {
		if f.str != nil {
			dst = attr.AppendStr(dst, f.name, *f.str)
		} else {
			dst = attr.AppendInt(dst, f.name, *f.num)
		}
	}
	return dst
}

// appendFieldsPlain appends the fields in the plain encoding (without the
// terminating empty line). INTs print as unsigned, as in attr0.
func appendFieldsPlain(dst []byte, fs []field) []byte {
	for _, f := range fs {
		dst = append(dst, f.name...)
		dst = append(dst, '=')
		if f.str != nil {
			v := *f.str
			// The plain encoding has no escape: a line feed would end the
			// value, so it is cut there as attr.EncodePlain does.
			if i := strings.IndexByte(v, '\n'); i >= 0 {
				v = v[:i]
			}
			dst = append(dst, v...)
		} else {
			dst = strconv.AppendUint(dst, uint64(uint32(int32(*f.num))), 10)
		}
		dst = append(dst, '\n')
	}
	return dst
}

// fieldsFromPlain fills fs from decoded plain attributes, which must name
// exactly these fields in this order, as a strict plain scan requires.
// Integers are parsed like attr0's %u.
func fieldsFromPlain(attrs []attr.Attr, fs []field) error {
	for i, f := range fs {
		if i >= len(attrs) {
			return fmt.Errorf("%w: missing attribute %s", ErrShort, f.name)
		}
		a := attrs[i]
		if a.Name != f.name {
			return fmt.Errorf("%w: unexpected attribute %s (expecting: %s)", ErrShort, a.Name, f.name)
		}
		if f.str != nil {
			*f.str = a.Value
			continue
		}
		u, err := strconv.ParseUint(a.Value, 10, 32)
		if err != nil {
			return fmt.Errorf("%w: malformed numerical data for %s: %.100s", ErrRange, f.name, a.Value)
		}
		*f.num = int(int32(uint32(u)))
	}
	if len(attrs) > len(fs) {
		return fmt.Errorf("%w: unexpected attribute %s (expecting: (list terminator))", ErrShort, attrs[len(fs)].Name)
	}
	return nil
}
