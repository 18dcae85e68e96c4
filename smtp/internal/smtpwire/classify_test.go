package smtpwire

import "testing"

func TestCheckCode(t *testing.T) {
	for code, want := range map[int]bool{
		0: true, 220: true, 250: true, 354: true, 399: true,
		400: false, 421: false, 450: false, 452: false, 499: false,
		500: true, 501: true, 503: true, 504: true, 509: true,
		510: false, 550: false, 552: false, 554: false,
		555: true, // RFC 1869 6.1
		556: false, 599: false, 600: true, 999: true,
	} {
		if got := CheckCode(code); got != want {
			t.Errorf("CheckCode(%d) = %v", code, got)
		}
	}
}

func TestClassifyFailure(t *testing.T) {
	for _, tc := range []struct {
		name       string
		r          Reply
		softBounce bool
		want       Failure
	}{
		{"4xx", Reply{Code: 450, Status: "4.2.0"}, false,
			Failure{Status: "4.2.0", Soft: true, Retry: true}},
		{"421", Reply{Code: 421, Status: "4.4.2"}, false,
			Failure{Status: "4.4.2", Soft: true, Retry: true}},
		{"5xx", Reply{Code: 550, Status: "5.1.1"}, false,
			Failure{Status: "5.1.1"}},
		{"5xx soft_bounce", Reply{Code: 550, Status: "5.1.1"}, true,
			Failure{Status: "5.1.1", Retry: true}},
		{"500 is a protocol error", Reply{Code: 500, Status: "5.5.1"}, false,
			Failure{Status: "5.5.1", ProtocolError: true}},
		{"555 is a protocol error", Reply{Code: 555, Status: "5.5.4"}, false,
			Failure{Status: "5.5.4", ProtocolError: true}},
		{"2xx where a failure was expected", Reply{Code: 250, Status: "2.0.0"}, false,
			Failure{Status: "5.5.0", ReasonPrefix: "Protocol error: ", ProtocolError: true}},
		{"2xx with soft_bounce", Reply{Code: 250, Status: "2.0.0"}, true,
			Failure{Status: "5.5.0", ReasonPrefix: "Protocol error: ", ProtocolError: true, Retry: true}},
		// A 3xx reply already carries 5.5.0 from ReadReply, so there is
		// no "Protocol error: " prefix, only the code check.
		{"3xx", Reply{Code: 354, Status: "5.5.0"}, false,
			Failure{Status: "5.5.0", ProtocolError: true}},
		{"5xx greeting softened", Reply{Code: 500, Status: "5.3.0"}.WithStatusClass('4'), false,
			Failure{Status: "4.3.0", ProtocolError: true, Soft: true, Retry: true}},
		{"4xx with mismatched status", Reply{Code: 451, Status: "4.0.0"}, false,
			Failure{Status: "4.0.0", Soft: true, Retry: true}},
		{"no status", Reply{Code: 450}, false,
			Failure{Status: "5.5.0", ReasonPrefix: "Protocol error: ", ProtocolError: true}},
	} {
		if got := ClassifyFailure(tc.r, tc.softBounce); got != tc.want {
			t.Errorf("%s: %+v, want %+v", tc.name, got, tc.want)
		}
	}
}
