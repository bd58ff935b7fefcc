package actionurl

import (
	"net/url"
	"strings"
	"testing"

	"github.com/phonesim/phonesim/emulator"
)

func TestParseTemplateErrors(t *testing.T) {
	tests := []struct {
		raw  string
		want string // part of the error message
	}{
		{"", "empty"},
		{"   ", "empty"},
		{"192.168.20.76/outgoing.xml?ip=$ip", "not absolute"},
		{"/outgoing.xml?ip=$ip", "not absolute"},
		{"/cti?u=http://$ip/", "not absolute"},
		{"ftp://192.168.20.76/x", `scheme "ftp" is not supported`},
		{"sip:alice@example.com", `scheme "sip" is not supported`},
		{"http:192.168.20.76/x", "missing '//'"},
		{"http:///x?ip=$ip", "no host"},
		{"http://:8080/x", "no host name"},
		{"http://$ip/x", "variable $ip in the scheme, user info or host"},
		{"http://cti.example:$mac/x", "variable $mac"},
		{"http://$active_user@cti.example/x", "variable $active_user"},
		{"http://cti.example/a b", "a space (write %20) at offset 20"},
		{"http://cti.example/a?x=1\ty", "control character"},
		{"http://cti.example/a?x=%zz", `invalid escape "%zz" at offset 23`},
		{"http://cti.example/a?x=50%", `invalid escape "%"`},
		{"http://cti.example/a%2", "invalid URL escape"},
		{"http://cti.example:80a/x", "invalid port"},
	}
	for _, tt := range tests {
		t.Run(tt.raw, func(t *testing.T) {
			tpl, err := ParseTemplate(tt.raw)
			if err == nil {
				t.Fatalf("ParseTemplate(%q) = %v, want error containing %q", tt.raw, tpl, tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("ParseTemplate(%q) error %q does not contain %q", tt.raw, err, tt.want)
			}
		})
	}
}

func TestParseTemplateAccepts(t *testing.T) {
	tests := []struct {
		raw, host string
		vars      []string
	}{
		// Spec §2 example.
		{"http://192.168.20.76/outgoing.xml?ip=$ip", "192.168.20.76", []string{"ip"}},
		{"https://cti.example:8443/", "cti.example:8443", nil},
		{"http://cti.example", "cti.example", nil},
		{"HTTP://cti.example/x?m=$mac", "cti.example", []string{"mac"}},
		{"http://[::1]:8080/x?m=$mac", "[::1]:8080", []string{"mac"}},
		{"http://user:pw@cti.example/x?$local", "cti.example", []string{"local"}},
		{"http://cti.example/$mac/$ip?a=$active_url&b=$active_user&c=$active_host#$call_id",
			"cti.example", []string{"mac", "ip", "active_url", "active_user", "active_host", "call_id"}},
		// Longest name first.
		{"http://h/?a=$display_local&b=$display_remote&c=$local&d=$remote", "h",
			[]string{"display_local", "display_remote", "local", "remote"}},
		// Unknown names stay literal; a name followed by more letters is
		// still the name.
		{"http://h/?a=$display&b=$$mac&c=$ipx&d=$", "h", []string{"mac", "ip"}},
	}
	for _, tt := range tests {
		t.Run(tt.raw, func(t *testing.T) {
			tpl, err := ParseTemplate(tt.raw)
			if err != nil {
				t.Fatal(err)
			}
			if tpl.Host() != tt.host {
				t.Errorf("Host() = %q, want %q", tpl.Host(), tt.host)
			}
			if got := strings.Join(tpl.Vars(), ","); got != strings.Join(tt.vars, ",") {
				t.Errorf("Vars() = %q, want %q", got, strings.Join(tt.vars, ","))
			}
			if tpl.String() != tt.raw {
				t.Errorf("String() = %q, want %q", tpl.String(), tt.raw)
			}
		})
	}
}

// callVars is what an incoming call from a number with '+' looks like.
var callVars = emulator.Vars{
	MAC:           "0c383e000001",
	IP:            "127.0.0.1",
	Model:         "X4",
	Firmware:      "2.4.1",
	ActiveURL:     "sip:1001@pbx.example",
	ActiveUser:    "1001",
	ActiveHost:    "pbx.example",
	Local:         "sip:1001@pbx.example",
	Remote:        "sip:+4930123456@pbx.example;user=phone",
	DisplayLocal:  "Desk 1",
	DisplayRemote: "Anna Müller & Co",
	CallID:        "a84b4c76e66710+x@pc33 ;tag=1",
}

// idleVars is an event outside any call: only the phone's own variables.
var idleVars = emulator.Vars{MAC: "0c383e000001", IP: "127.0.0.1", Model: "X4", Firmware: "2.4.1"}

func TestExpand(t *testing.T) {
	tests := []struct {
		name, raw string
		vars      emulator.Vars
		want      string
	}{
		{"spec example", "http://192.168.20.76/outgoing.xml?ip=$ip",
			emulator.Vars{IP: "192.168.20.134"}, "http://192.168.20.76/outgoing.xml?ip=192.168.20.134"},
		{"plus and at in query", "http://h/?r=$remote",
			callVars, "http://h/?r=sip%3A%2B4930123456%40pbx.example%3Buser%3Dphone"},
		{"space is %20 not +", "http://h/?n=$display_remote",
			callVars, "http://h/?n=Anna%20M%C3%BCller%20%26%20Co"},
		{"call id", "http://h/?c=$call_id",
			callVars, "http://h/?c=a84b4c76e66710%2Bx%40pc33%20%3Btag%3D1"},
		{"path keeps one segment", "http://h/calls/$call_id/remote/$remote",
			callVars, "http://h/calls/a84b4c76e66710+x@pc33%20%3Btag=1/remote/sip:+4930123456@pbx.example%3Buser=phone"},
		{"slash in path value", "http://h/$display_local", emulator.Vars{DisplayLocal: "a/b?c#d"}, "http://h/a%2Fb%3Fc%23d"},
		{"fragment escaped like query", "http://h/x#$remote", callVars,
			"http://h/x#sip%3A%2B4930123456%40pbx.example%3Buser%3Dphone"},
		{"longest name first", "http://h/?dl=$display_local&l=$local&dr=$display_remote&r=$remote",
			emulator.Vars{Local: "L", Remote: "R", DisplayLocal: "DL", DisplayRemote: "DR"},
			"http://h/?dl=DL&l=L&dr=DR&r=R"},
		{"unknown stays literal", "http://h/?a=$display&b=$$mac&c=$ipx&d=$",
			emulator.Vars{MAC: "M", IP: "I"}, "http://h/?a=$display&b=$M&c=Ix&d=$"},
		{"empty outside condition", "http://h/e?mac=$mac&call=$call_id&remote=$remote&user=$active_user",
			idleVars, "http://h/e?mac=0c383e000001&call=&remote=&user="},
		{"all twelve", "http://h/?$mac|$ip|$model|$firmware|$active_url|$active_user|$active_host|$local|$remote|$display_local|$display_remote|$call_id",
			emulator.Vars{MAC: "1", IP: "2", Model: "3", Firmware: "4", ActiveURL: "5", ActiveUser: "6", ActiveHost: "7",
				Local: "8", Remote: "9", DisplayLocal: "10", DisplayRemote: "11", CallID: "12"},
			"http://h/?1|2|3|4|5|6|7|8|9|10|11|12"},
		{"no variables", "http://h/static?x=1", callVars, "http://h/static?x=1"},
		{"user info kept", "http://u:p@h/?m=$mac", idleVars, "http://u:p@h/?m=0c383e000001"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tpl, err := ParseTemplate(tt.raw)
			if err != nil {
				t.Fatal(err)
			}
			if got := tpl.Expand(tt.vars); got != tt.want {
				t.Errorf("Expand\n got  %s\n want %s", got, tt.want)
			}
		})
	}
}

// TestExpandDecodesToValue checks what a CTI server gets after decoding:
// the exact variable values, '+' included.
func TestExpandDecodesToValue(t *testing.T) {
	tpl, err := ParseTemplate("http://h/in/$remote?call=$call_id&remote=$remote&name=$display_remote&empty=$display_local")
	if err != nil {
		t.Fatal(err)
	}
	v := callVars
	v.DisplayLocal = ""
	u, err := url.Parse(tpl.Expand(v))
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	for key, want := range map[string]string{"call": v.CallID, "remote": v.Remote, "name": v.DisplayRemote, "empty": ""} {
		if got := q.Get(key); got != want {
			t.Errorf("query %s = %q, want %q", key, got, want)
		}
	}
	if !q.Has("empty") {
		t.Error("query has no 'empty' key; an empty variable must leave 'empty='")
	}
	if want := "/in/" + v.Remote; u.Path != want {
		t.Errorf("path = %q, want %q", u.Path, want)
	}
}

func FuzzTemplate(f *testing.F) {
	seeds := []string{
		"http://192.168.20.76/outgoing.xml?ip=$ip",
		"http://h/$mac/$ip?a=$active_url&b=$display_remote#$call_id",
		"https://u:p@[::1]:8443/x?$local$remote$$",
		"http://h?x=$display_local$display",
		"http://h/%41$mac%20?q=%2B$call_id",
		"http://$ip/",
		"http://h/a b",
		"http:h",
		"://",
		"http://h#$mac?$ip",
		"http://h/\\$mac",
	}
	for _, s := range seeds {
		f.Add(s, "+49 30/1?2#3&4=5;6@7%", "sip:a@b;tag=x", "Anna Müller")
	}
	f.Add("http://h/?c=$call_id", "", "", "\x00\xff\r\n")
	f.Fuzz(func(t *testing.T, raw, a, b, c string) {
		tpl, err := ParseTemplate(raw)
		if err != nil {
			if err.Error() == "" {
				t.Fatalf("ParseTemplate(%q): empty error message", raw)
			}
			return
		}
		vals := []emulator.Vars{
			{},
			{MAC: a, IP: b, Model: c, Firmware: a, ActiveURL: b, ActiveUser: c, ActiveHost: a,
				Local: b, Remote: c, DisplayLocal: a, DisplayRemote: b, CallID: c},
		}
		for _, v := range vals {
			got := tpl.Expand(v)
			u, err := url.Parse(got)
			if err != nil {
				t.Fatalf("template %q expands to %q, which does not parse: %v", raw, got, err)
			}
			if u.Host != tpl.Host() || u.Scheme != tpl.Scheme() {
				t.Fatalf("template %q expands to %q: scheme/host %q %q, want %q %q",
					raw, got, u.Scheme, u.Host, tpl.Scheme(), tpl.Host())
			}
		}
	})
}

// FuzzExpandRoundTrip checks that any value reaches the server unchanged
// after decoding, in the path and in the query.
func FuzzExpandRoundTrip(f *testing.F) {
	for _, s := range []string{"", "+4930123", "a b", "a+b@c;d=e&f", "%zz", "/../?#", "\x00\xff"} {
		f.Add(s)
	}
	tpl, err := ParseTemplate("http://h/p/$remote?c=$call_id&x=1")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, val string) {
		got := tpl.Expand(emulator.Vars{Remote: val, CallID: val})
		u, err := url.Parse(got)
		if err != nil {
			t.Fatalf("%q does not parse: %v", got, err)
		}
		q, err := url.ParseQuery(u.RawQuery)
		if err != nil {
			t.Fatalf("query of %q does not parse: %v", got, err)
		}
		if q.Get("c") != val || q.Get("x") != "1" {
			t.Fatalf("query of %q decodes to c=%q x=%q, want c=%q x=1", got, q.Get("c"), q.Get("x"), val)
		}
		if u.Path != "/p/"+val {
			t.Fatalf("path of %q decodes to %q, want %q", got, u.Path, "/p/"+val)
		}
	})
}

func BenchmarkExpand(b *testing.B) {
	tpl, err := ParseTemplate("http://192.168.20.76/cti/incoming.xml?mac=$mac&ip=$ip&call=$call_id&remote=$remote&name=$display_remote&line=$active_user")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		_ = tpl.Expand(callVars)
	}
}
