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

// One parser for call targets: the core shows and the SIP side calls the
// same URI, the server's port kept.
func TestTargetURIAndHostOf(t *testing.T) {
	for _, tc := range []struct{ target, server, want string }{
		{"1002", "127.0.0.1:5060", "sip:1002@127.0.0.1:5060"},
		{"1002", "pbx.example.com", "sip:1002@pbx.example.com"},
		{"1002@10.0.0.1:5070", "127.0.0.1:5060", "sip:1002@10.0.0.1:5070"},
		{"sips:bob@[::1]:5061", "127.0.0.1:5060", "sips:bob@[::1]:5061"},
	} {
		if got := TargetURI(tc.target, tc.server); got != tc.want {
			t.Errorf("TargetURI(%q, %q) = %q, want %q", tc.target, tc.server, got, tc.want)
		}
	}
	for hp, want := range map[string]string{"127.0.0.1:5060": "127.0.0.1", "pbx": "pbx", "[::1]:5060": "[::1]", "[::1]": "[::1]"} {
		if got := HostOf(hp); got != want {
			t.Errorf("HostOf(%q) = %q, want %q", hp, got, want)
		}
	}
}
