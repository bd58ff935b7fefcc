package webui

import (
	"net/url"
	"strings"
	"testing"

	"github.com/phonesim/phonesim/config"
	"github.com/phonesim/phonesim/emulator"
)

// The Lines and DSS forms are outside input: any body is a clear error or
// a value the phone can use, never a panic.
func FuzzLineAndDSSForms(f *testing.F) {
	f.Add("user=1001&password=secret1&server=127.0.0.1%3A5060&transport=udp&expires=3600&display_name=Alice", "blf", "1002")
	f.Add("user=1001&server=%5B%3A%3A1%5D%3A5060&expires=30&transport=TCP&auto_answer=on", "speed_dial", "sip:1002@127.0.0.1")
	f.Add("user=&server=&expires=soon", "intercom", "")
	f.Add("user=a%40b&server=x%3A99999&expires=-1&voicemail=%3Cx%3E", "transfer", "1 2")
	f.Fuzz(func(t *testing.T, body, kind, value string) {
		form, err := url.ParseQuery(body)
		if err != nil {
			return
		}
		old := config.Line{User: "1001", Password: "keep", Server: "127.0.0.1:5060", Expires: 3600}
		l, err := parseLine(form, old)
		if err != nil {
			if l != old {
				t.Fatalf("a refused form changed the line to %+v", l)
			}
		} else {
			if l.User == "" || strings.ContainsAny(l.User, " @<>") || l.Expires < 30 || l.Expires > 86400 {
				t.Fatalf("accepted a line the phone cannot use: %+v", l)
			}
			if form.Get("password") == "" && l.Password != "keep" {
				t.Fatal("a blank password did not keep the old one")
			}
		}
		c := emulator.SetDSS{Key: 1, DSSKey: emulator.DSSKey{Kind: kind, Value: value}}
		if checkDSS(c) == nil && kind != "" && (value == "" || strings.ContainsAny(value, " <>\"")) {
			t.Fatalf("accepted DSS value %q", value)
		}
	})
}
