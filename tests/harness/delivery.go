package harness

import (
	"regexp"
	"strconv"
	"strings"
)

// Delivery is one delivery-status line of smtp(8)/lmtp(8) and friends:
//
//	334A598424E: to=<b@example.com>, relay=127.0.0.1[127.0.0.1]:32525, conn_use=2, delay=0.17, delays=0.01/0.16/0/0, dsn=2.0.0, status=sent (250 2.0.0 Ok)
type Delivery struct {
	QueueID string
	To      string // without angle brackets
	OrigTo  string
	Relay   string
	ConnUse int // 1 when absent: the line is the first use of its connection
	Delay   string
	Delays  string
	DSN     string
	Status  string // sent, deferred, bounced, ...
	Reason  string // text inside the parentheses after the status
	Fields  map[string]string
	Line    LogLine
}

var deliveryRE = regexp.MustCompile(`^([0-9A-Za-z]+): (to=<.*)$`)

// ParseDelivery parses a delivery-status line; ok is false for any other
// line.
func ParseDelivery(l LogLine) (d Delivery, ok bool) {
	m := deliveryRE.FindStringSubmatch(l.Text)
	if m == nil {
		return d, false
	}
	d = Delivery{QueueID: m[1], ConnUse: 1, Fields: map[string]string{}, Line: l}
	rest := m[2]
	for rest != "" {
		key, val, found := strings.Cut(rest, "=")
		if !found {
			return d, false
		}
		switch {
		case strings.HasPrefix(val, "<"):
			// Addresses may contain ", "; they end at the first ">"
			// that is followed by a field separator or the end.
			end := strings.Index(val, ">, ")
			if end < 0 {
				end = strings.LastIndexByte(val, '>')
				if end < 0 {
					return d, false
				}
			}
			d.Fields[key] = val[1:end]
			rest = strings.TrimPrefix(val[end+1:], ", ")
		case key == "status":
			st, reason, _ := strings.Cut(val, " ")
			d.Fields[key] = st
			d.Reason = strings.TrimSuffix(strings.TrimPrefix(reason, "("), ")")
			rest = ""
		default:
			v, next, _ := strings.Cut(val, ", ")
			d.Fields[key] = v
			rest = next
		}
	}
	d.To, d.OrigTo, d.Relay = d.Fields["to"], d.Fields["orig_to"], d.Fields["relay"]
	d.Delay, d.Delays, d.DSN, d.Status = d.Fields["delay"], d.Fields["delays"], d.Fields["dsn"], d.Fields["status"]
	if s, has := d.Fields["conn_use"]; has {
		n, err := strconv.Atoi(s)
		if err != nil {
			return d, false
		}
		d.ConnUse = n
	}
	return d, d.Status != ""
}

// Deliveries parses every delivery-status line.
func (ls LogLines) Deliveries() []Delivery {
	var out []Delivery
	for _, l := range ls {
		if d, ok := ParseDelivery(l); ok {
			out = append(out, d)
		}
	}
	return out
}
