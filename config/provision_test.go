package config

import (
	"strings"
	"testing"

	"github.com/phonesim/phonesim/emulator"
)

func TestParseProvisioned(t *testing.T) {
	p, err := ParseProvisioned("00a859001001.yaml", []byte("dnd: true\nforward: {busy: \"2001\"}\naction_url:\n  incoming_call: http://127.0.0.1:9/in?id=$call_id\n"))
	if err != nil {
		t.Fatal(err)
	}
	if p.DND == nil || !*p.DND || p.Forward == nil || p.Forward.Busy != "2001" || p.ActionURL[emulator.EventIncomingCall] == "" {
		t.Fatalf("parsed %+v", p)
	}
	empty, err := ParseProvisioned("x.yaml", nil)
	if err != nil || empty.DND != nil || empty.Forward != nil || empty.ActionURL != nil {
		t.Fatalf("empty file: %+v %v", empty, err)
	}
	for in, want := range map[string]string{
		"colour: red\n":                           "colour",
		"action_url: {incoming: http://x/}\n":     "incoming",
		"action_url: {incoming_call: ftp://x/}\n": "not an http",
		"forward: {always: \"1 2\"}\n":            "forward.always",
		"dnd: maybe\n":                            "x.yaml",
	} {
		_, err := ParseProvisioned("x.yaml", []byte(in))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: error %v, want it to mention %q", in, err, want)
		}
	}
}

func FuzzParseProvisioned(f *testing.F) {
	for _, s := range []string{"dnd: true\n", "forward: {busy: \"1\"}\n", "action_url: {hold: http://h/}\n", "", "{", "- 1"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := ParseProvisioned("f.yaml", data)
		if err == nil && p == nil {
			t.Fatal("nil result without error")
		}
	})
}
