package emulator

import (
	"strings"
	"testing"
)

// $local and $remote take one format whatever header the party came from.
func TestPartyURIFormat(t *testing.T) {
	for raw, want := range map[string]string{
		"sip:1003@127.0.0.1":                       "sip:1003@127.0.0.1",
		"sip:1003@127.0.0.1:45060":                 "sip:1003@127.0.0.1",
		"sip:1001@127.0.0.1:45071;transport=udp":   "sip:1001@127.0.0.1",
		"<sip:1001@127.0.0.1:5060?Replaces=x%3By>": "sip:1001@127.0.0.1",
		"sips:alice@[::1]:5061;transport=tls":      "sips:alice@[::1]",
		"sip:127.0.0.1:5060":                       "sip:127.0.0.1",
		"1003":                                     "1003",
		"":                                         "",
	} {
		if got := partyURI(raw); got != want {
			t.Errorf("partyURI(%q) = %q, want %q", raw, got, want)
		}
	}
}

// partyURI reads headers from the network: it never panics, and what it
// returns for a sip: URI has no port, parameter or header left.
func FuzzPartyURI(f *testing.F) {
	for _, s := range []string{"sip:1003@127.0.0.1:45060", "sip:a@b;c?d", "sips:[::1]:5", "<sip:@:>", "sip:", "sip:@"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		got := partyURI(raw)
		if !strings.HasPrefix(got, "sip:") {
			return
		}
		host := got[4:]
		if _, h, ok := strings.Cut(host, "@"); ok {
			host = h
		}
		if strings.ContainsAny(host, ";?") {
			t.Errorf("partyURI(%q) = %q keeps parameters", raw, got)
		}
	})
}
