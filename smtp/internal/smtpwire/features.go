package smtpwire

import "strings"

// Features is a session's SMTP_FEATURE_* bit mask (smtp.h). The values are
// stock because they travel in scache endpoint properties
// ("endpoint_features=34695") shared with stock smtp processes.
type Features uint32

// Feature bits of smtp.h. Bit 6 is unused in 3.7.
const (
	FeatureESMTP             Features = 1 << 0
	Feature8BITMIME          Features = 1 << 1
	FeaturePIPELINING        Features = 1 << 2
	FeatureSIZE              Features = 1 << 3
	FeatureSTARTTLS          Features = 1 << 4
	FeatureAUTH              Features = 1 << 5
	FeatureXforwardName      Features = 1 << 7
	FeatureXforwardAddr      Features = 1 << 8
	FeatureXforwardProto     Features = 1 << 9
	FeatureXforwardHelo      Features = 1 << 10
	FeatureXforwardDomain    Features = 1 << 11 // XFORWARD SOURCE
	FeatureBestMX            Features = 1 << 12
	FeatureRSETRejected      Features = 1 << 13
	FeatureFromCache         Features = 1 << 14
	FeatureDSN               Features = 1 << 15
	FeaturePIXNoESMTP        Features = 1 << 16
	FeaturePIXDelayDotCRLF   Features = 1 << 17
	FeatureXforwardPort      Features = 1 << 18
	FeatureEarlyTLSMailReply Features = 1 << 19
	FeatureXforwardIdent     Features = 1 << 20
	FeatureSMTPUTF8          Features = 1 << 21
	FeatureFromProxy         Features = 1 << 22
)

// EndpointMask and DestinationMask split Features for the connection
// cache (SMTP_FEATURE_ENDPOINT_MASK, SMTP_FEATURE_DESTINATION_MASK).
const (
	EndpointMask    = ^(FeatureBestMX | FeatureRSETRejected | FeatureFromCache)
	DestinationMask = FeatureBestMX
)

// EHLOMask is a set of EHLO keywords to ignore (ehlo_mask.h), the parsed
// form of smtp_discard_ehlo_keywords.
type EHLOMask uint32

// EHLO mask bits of ehlo_mask.h.
const (
	EHLO8BITMIME            EHLOMask = 1 << 0
	EHLOPipelining          EHLOMask = 1 << 1
	EHLOSize                EHLOMask = 1 << 2
	EHLOVrfy                EHLOMask = 1 << 3
	EHLOEtrn                EHLOMask = 1 << 4
	EHLOAuth                EHLOMask = 1 << 5
	EHLOVerp                EHLOMask = 1 << 6
	EHLOStartTLS            EHLOMask = 1 << 7
	EHLOXclient             EHLOMask = 1 << 8
	EHLOXforward            EHLOMask = 1 << 9
	EHLOEnhancedStatusCodes EHLOMask = 1 << 10
	EHLODSN                 EHLOMask = 1 << 11
	EHLOSMTPUTF8            EHLOMask = 1 << 12
	EHLOChunking            EHLOMask = 1 << 13
	EHLOSilentDiscard       EHLOMask = 1 << 15
)

type ehloName struct {
	name string
	bit  EHLOMask
}

// ehloNames is ehlo_mask_table in table order; the order matters for
// String, and so does the historical alias "EHLO_MASK_SMTPUTF8", which
// comes first and therefore is what stock prints for the SMTPUTF8 bit.
// A function returning an array value keeps the table immutable.
func ehloNames() [16]ehloName {
	return [16]ehloName{
		{"8BITMIME", EHLO8BITMIME},
		{"AUTH", EHLOAuth},
		{"ETRN", EHLOEtrn},
		{"PIPELINING", EHLOPipelining},
		{"SIZE", EHLOSize},
		{"VERP", EHLOVerp},
		{"VRFY", EHLOVrfy},
		{"XCLIENT", EHLOXclient},
		{"XFORWARD", EHLOXforward},
		{"STARTTLS", EHLOStartTLS},
		{"ENHANCEDSTATUSCODES", EHLOEnhancedStatusCodes},
		{"DSN", EHLODSN},
		{"EHLO_MASK_SMTPUTF8", EHLOSMTPUTF8},
		{"SMTPUTF8", EHLOSMTPUTF8},
		{"CHUNKING", EHLOChunking},
		{"SILENT-DISCARD", EHLOSilentDiscard},
	}
}

// ParseEHLOMask is ehlo_mask(): names separated by commas or white space,
// any case; unknown names are ignored so that configurations move between
// Postfix versions.
func ParseEHLOMask(words string) EHLOMask {
	var m EHLOMask
	for _, w := range strings.FieldsFunc(words, func(r rune) bool {
		return r == ',' || r == ' ' || r == '\t' || r == '\r' || r == '\n'
	}) {
		for _, e := range ehloNames() {
			if EqualFoldASCII(w, e.name) {
				m |= e.bit
				break
			}
		}
	}
	return m
}

// String is str_ehlo_mask(): the names of the set bits in table order,
// separated by spaces, as in "discarding EHLO keywords: %s".
func (m EHLOMask) String() string {
	var b strings.Builder
	for _, e := range ehloNames() {
		if m&e.bit != 0 {
			m &^= e.bit
			if b.Len() > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(e.name)
		}
	}
	return b.String()
}

// EqualFoldASCII is strcasecmp() == 0 in the C locale. strings.EqualFold
// would also match Unicode folds such as "ſIZE" for "SIZE", which Postfix
// does not.
func EqualFoldASCII(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		if lowerASCII(a[i]) != lowerASCII(b[i]) {
			return false
		}
	}
	return true
}

func lowerASCII(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}
