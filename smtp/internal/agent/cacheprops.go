package agent

import (
	"encoding/base64"
	"strconv"
	"strings"

	"github.com/postfix-go/postfix-go/internal/tlspolicy"
	"github.com/postfix-go/postfix-go/internal/tlsproxyproto"
	"github.com/postfix-go/postfix-go/master-compat/attr"
	"github.com/postfix-go/postfix-go/smtp/internal/smtpwire"
)

// Labels and property strings of cached sessions (smtp_key.c,
// smtp_session_passivate/activate; spec scache.md 2.3-2.4). They are
// shared with stock smtp processes of the same service, so they keep
// stock's format exactly.

// labelField encodes one label field: "*" when empty, base64 when the
// value holds a newline or "*" (smtp_key_append_str).
func labelField(b *strings.Builder, v string) {
	switch {
	case v == "":
		b.WriteString("*")
	case strings.ContainsAny(v, "\n*"):
		b.WriteString(base64.StdEncoding.EncodeToString([]byte(v)))
	default:
		b.WriteString(v)
	}
	b.WriteByte('\n')
}

// destLabel is SERVICE, REQ_NEXTHOP.
func destLabel(service, reqNexthop string) string {
	var b strings.Builder
	labelField(&b, service)
	labelField(&b, reqNexthop)
	return b.String()
}

// endpLabel is SERVICE, [CUR_NEXTHOP], ADDR, PORT, TLS_LEVEL. The
// current next-hop is in the label when the level checks the peer's
// name, so that a session authenticated for one destination is never
// reused for another with a different policy
// (COND_TLS_SMTP_KEY_FLAG_CUR_NEXTHOP).
func endpLabel(service, curNexthop, addr string, port, tlsLevel int) string {
	var b strings.Builder
	labelField(&b, service)
	if tlspolicy.Level(tlsLevel).MustMatch() {
		labelField(&b, curNexthop)
	}
	labelField(&b, addr)
	labelField(&b, strconv.FormatUint(uint64(uint32(port)), 10))
	labelField(&b, strconv.FormatUint(uint64(uint32(tlsLevel)), 10))
	return b.String()
}

// destProps is smtp_session_passivate's destination property string.
func destProps(nexthop, host, addr string, features smtpwire.Features) string {
	return attr.EncodePlain([]attr.Attr{
		{Name: "destination", Value: nexthop},
		{Name: "host_name", Value: host},
		{Name: "host_addr", Value: addr},
		{Name: "destination_features", Value: strconv.FormatUint(uint64(features&smtpwire.FeatureBestMX), 10)},
	})
}

// endpProps is smtp_session_passivate's endpoint property string; a
// tlsproxy session's TLS context follows as a second plain list.
func endpProps(tlsLevel, reuseCount int, features smtpwire.Features, expire int64, tls *tlsproxyproto.Context) string {
	p := attr.EncodePlain([]attr.Attr{
		{Name: "tls_level", Value: strconv.FormatUint(uint64(uint32(tlsLevel)), 10)},
		{Name: "reuse_count", Value: strconv.FormatUint(uint64(uint32(reuseCount)), 10)},
		{Name: "endpoint_features", Value: strconv.FormatUint(uint64(features&smtpwire.EndpointMask), 10)},
		{Name: "expire_time", Value: strconv.FormatInt(expire, 10)},
	})
	if tls != nil {
		p += string(tls.AppendPlain(nil))
	}
	return p
}

// scanOrdered is a non-strict forward scan: the wanted names must
// appear in this order, other names are skipped.
func scanOrdered(s string, names ...string) ([]string, string, bool) {
	attrs, rest, err := attr.ParsePlain(s)
	if err != nil {
		return nil, "", false
	}
	vals := make([]string, 0, len(names))
	for _, a := range attrs {
		if len(vals) < len(names) && a.Name == names[len(vals)] {
			vals = append(vals, a.Value)
		}
	}
	return vals, rest, len(vals) == len(names)
}

// cachedEndp is a parsed endpoint property string.
type cachedEndp struct {
	tlsLevel, reuseCount int
	features             smtpwire.Features
	expire               int64
}

// parseEndpProps is smtp_session_activate's endpoint part. A TLS
// context must follow above level "may", and may follow at "may".
func parseEndpProps(s string) (e cachedEndp, tls *tlsproxyproto.Context, ok bool) {
	v, rest, ok := scanOrdered(s, "tls_level", "reuse_count", "endpoint_features", "expire_time")
	if !ok {
		return e, nil, false
	}
	lvl, err1 := strconv.ParseUint(v[0], 10, 32)
	rc, err2 := strconv.ParseUint(v[1], 10, 32)
	f, err3 := strconv.ParseUint(v[2], 10, 32)
	exp, err4 := strconv.ParseInt(v[3], 10, 64)
	if err1 != nil || err2 != nil || err3 != nil || err4 != nil {
		return e, nil, false
	}
	e = cachedEndp{int(lvl), int(rc), smtpwire.Features(f), exp}
	if lvl > 1 || (lvl == 1 && rest != "") {
		// Exactly the context, and nothing after it.
		attrs, tail, err := attr.ParsePlain(rest)
		if err != nil || tail != "" {
			return e, nil, false
		}
		c, err := tlsproxyproto.ContextFromPlain(attrs)
		if err != nil {
			return e, nil, false
		}
		return e, &c, true
	}
	return e, nil, true
}

// cachedDest is a parsed destination property string.
type cachedDest struct {
	nexthop, host, addr string
	features            smtpwire.Features
}

func parseDestProps(s string) (cachedDest, bool) {
	v, _, ok := scanOrdered(s, "destination", "host_name", "host_addr", "destination_features")
	if !ok {
		return cachedDest{}, false
	}
	f, err := strconv.ParseUint(v[3], 10, 32)
	if err != nil {
		return cachedDest{}, false
	}
	return cachedDest{v[0], v[1], v[2], smtpwire.Features(f)}, true
}
