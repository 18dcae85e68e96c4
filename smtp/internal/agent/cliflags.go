package agent

import (
	"fmt"
	"strings"

	"github.com/postfix-go/postfix-go/smtp/internal/queuefile"
)

// CLIFlags are the master.cf "flags=" letters smtp(8) and lmtp(8)
// understand (get_cli_attr): headers to prepend and final delivery.
type CLIFlags struct {
	DeliveredTo   bool // D: Delivered-To: <recipient>, and loop detection
	OrigRcpt      bool // O: X-Original-To: <original recipient>
	ReturnPath    bool // R: Return-Path: <sender>
	FinalDelivery bool // X: LMTP without DSN reports "delivered"
}

// ParseCLIFlags reads the value of a flags= argument. Any other letter
// is a fatal configuration error, with the stock wording.
func ParseCLIFlags(value string) (CLIFlags, error) {
	var f CLIFlags
	for i := 0; i < len(value); i++ {
		switch value[i] {
		case 'D':
			f.DeliveredTo = true
		case 'O':
			f.OrigRcpt = true
		case 'R':
			f.ReturnPath = true
		case 'X':
			f.FinalDelivery = true
		default:
			return CLIFlags{}, fmt.Errorf("unknown flags=%s value \"%c\" in \"%s\"", value, value[i], value)
		}
	}
	return f, nil
}

// headers are the lines the flags prepend, in mail_copy's order.
func (f CLIFlags) headers(sender string, r *rcpt) []string {
	var h []string
	if f.ReturnPath {
		h = append(h, "Return-Path: <"+quoteAddr(sender)+">")
	}
	if f.OrigRcpt {
		h = append(h, "X-Original-To: "+quoteAddr(r.OrigAddr))
	}
	if f.DeliveredTo {
		h = append(h, "Delivered-To: "+quoteAddr(r.Address))
	}
	return h
}

// rejectByFlags applies the request checks of the D and O flags: both
// need one recipient per request, and D refuses mail whose header
// already names the recipient in Delivered-To (a forwarding loop). A
// refused request is settled here with relay= the service name, as
// stock does, and rejectByFlags reports true.
func (d *delivery) rejectByFlags() bool {
	f, cfg := d.a.cfg.Flags, &d.a.cfg
	reject := func(status, reason string) bool {
		for i := range d.rcpts {
			d.fail(i, cfg.ServiceName, localDSN(status, reason))
		}
		return true
	}
	for _, c := range []struct {
		on     bool
		letter string
	}{{f.DeliveredTo, "D"}, {f.OrigRcpt, "O"}} {
		if c.on && len(d.rcpts) > 1 {
			d.a.log.Warn(fmt.Sprintf("flag `%s' requires %s_destination_recipient_limit = 1", c.letter, cfg.ServiceName))
			return reject("4.3.5", "mail system configuration error")
		}
		if c.letter == "D" && c.on && d.deliveredBefore(d.rcpts[0].Address) {
			return reject("5.4.6", "mail forwarding loop for "+d.rcpts[0].Address)
		}
	}
	return false
}

// deliveredHeaderLimit bounds the header scan, as stock does.
const deliveredHeaderLimit = 1000

// deliveredBefore tells whether a Delivered-To header of the message
// names addr (case-insensitively). Only the primary header block is
// scanned; an unreadable file counts as no loop, and delivery then
// meets the read error where it is reported properly.
func (d *delivery) deliveredBefore(addr string) bool {
	cr, err := d.msg.Content(d.req.DataOffset)
	if err != nil {
		return false
	}
	want := strings.ToLower(addr)
	prevCont := false
	for seen := 0; seen < deliveredHeaderLimit; {
		rec, err := cr.Next()
		if err != nil {
			return false // io.EOF or damage: no loop found
		}
		cont := prevCont
		prevCont = rec.Type == queuefile.RecTypeCont
		if cont {
			continue // the tail of a long line
		}
		line := string(rec.Data)
		name, value, ok := headerField(line)
		switch {
		case ok:
			if strings.EqualFold(name, "Delivered-To") {
				seen++
				if strings.ToLower(strings.TrimLeft(value, " \t")) == want {
					return true
				}
			}
		case line != "" && (line[0] == ' ' || line[0] == '\t'):
		default:
			return false // the end of the header
		}
	}
	return false
}

// headerField splits "Name: value"; a name is printable ASCII without
// spaces or colons.
func headerField(line string) (name, value string, ok bool) {
	colon := strings.IndexByte(line, ':')
	if colon <= 0 {
		return "", "", false
	}
	for i := 0; i < colon; i++ {
		if c := line[i]; c <= ' ' || c >= 127 {
			return "", "", false
		}
	}
	return line[:colon], line[colon+1:], true
}
