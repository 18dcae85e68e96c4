package attr

// kind says how a wanted attribute's value is converted.
type kind uint8

const (
	kindStr kind = iota
	kindInt
	kindLong
	kindData
	kindExpect
	kindHash
)

// Want is one entry of a scan's wish list, in the order the attributes must
// arrive. Build it with Str, Int, Long, Data, Expect or Hash.
type Want struct {
	name   string
	kind   kind
	str    *string
	num    *int
	long   *int64
	data   *[]byte
	expect string
	hash   *[]Attr
}

// Str wants a string attribute.
func Str(name string, dst *string) Want { return Want{name: name, kind: kindStr, str: dst} }

// Int wants an INT attribute. The wire value is unsigned 32-bit; it is
// stored as the signed int a C receiver would see, so "4294967295" is -1.
func Int(name string, dst *int) Want { return Want{name: name, kind: kindInt, num: dst} }

// Long wants a LONG attribute (64-bit).
func Long(name string, dst *int64) Want { return Want{name: name, kind: kindLong, long: dst} }

// Data wants a base64-encoded DATA attribute and stores the decoded bytes.
func Data(name string, dst *[]byte) Want { return Want{name: name, kind: kindData, data: dst} }

// Expect wants an attribute whose value must equal value exactly (Postfix's
// STREQ, used for protocol announcements). It does not count as a
// conversion, as in Postfix.
func Expect(name, value string) Want { return Want{name: name, kind: kindExpect, expect: value} }

// Hash collects name/value pairs: a "{" … "}" group if one comes next,
// otherwise every remaining attribute of the list (so it must be last).
func Hash(dst *[]Attr) Want { return Want{kind: kindHash, hash: dst} }

// Flags change how strictly Scan treats the input.
type Flags uint8

const (
	// Missing warns when the list ends before every wanted attribute came.
	Missing Flags = 1 << iota
	// Extra makes an attribute that is not wanted an error: the scan stops
	// right after its name, leaving the value unread, as Postfix does.
	Extra
	// More stops after the last wanted attribute without reading the list
	// terminator, so the caller can continue the same list.
	More

	// Strict is what almost every Postfix client and server uses.
	Strict = Missing | Extra
)

// hashLimit is Postfix's cap on attributes collected into one table.
const hashLimit = 1024
