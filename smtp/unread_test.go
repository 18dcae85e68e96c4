package main

import (
	"slices"
	"testing"
)

// A parameter the agent never loads is named when set; one it loads, one
// left at its default, one of the other personality and a name unknown
// to Postfix are not.
func TestWarnUnread(t *testing.T) {
	rt := runtimeFor("smtp")
	for k, v := range map[string]string{
		"smtp_sasl_path":        "inet:127.0.0.1:12345", // not read: warned
		"smtp_helo_timeout":     "10s",                  // read
		"smtp_dns_reply_filter": "",                     // default
		"lmtp_sasl_path":        "x",                    // other personality
		"smtp_no_such_thing":    "1",                    // not a Postfix parameter
	} {
		rt.Config.Set(k, v)
	}
	d := &daemon{}
	if err := d.loadParams(rt); err != nil {
		t.Fatal(err)
	}
	var got []string
	warnUnread(rt.Config, "smtp_", "smtp", func(s string) { got = append(got, s) })
	want := []string{"smtp_sasl_path = inet:127.0.0.1:12345 is not supported by this smtp yet and is ignored"}
	if !slices.Equal(got, want) {
		t.Errorf("warnings %q, want %q", got, want)
	}
}
