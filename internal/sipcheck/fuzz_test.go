package sipcheck

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/emiago/sipgo/sip"
)

// FuzzScreen feeds the screens whatever sipgo parses from a datagram: they
// read outside input, so they must answer or pass, never panic. Seeded with
// the RFC 4475 corpus.
func FuzzScreen(f *testing.F) {
	files, _ := filepath.Glob("../../testdata/rfc4475/*/*.dat")
	for _, name := range files {
		if b, err := os.ReadFile(name); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		msg, err := sip.NewParser().ParseSIP(data)
		if err != nil {
			return
		}
		req, ok := msg.(*sip.Request)
		if !ok {
			return
		}
		for _, r := range []*Refusal{Syntax(req), Offer(req), Extensions(req, "replaces")} {
			if r != nil && (r.Code < 400 || r.Code > 499 || r.Reason == "") {
				t.Fatalf("refusal %+v is not a 4xx with a reason", r)
			}
		}
	})
}

// The screens on the corpus messages the issue names, and on a plain INVITE.
func TestScreens(t *testing.T) {
	for _, tc := range []struct {
		file string
		code int
	}{
		{"invalid/multi01", 400}, {"invalid/mcl01", 400}, {"invalid/escruri", 400},
		{"invalid/baddate", 400}, {"invalid/mismatch01", 400}, {"invalid/unkscm", 416},
		{"invalid/bext01", 420}, {"invalid/invut", 415}, {"invalid/sdp01", 406},
		{"valid/longreq", 0}, {"valid/esc01", 0}, {"valid/lwsdisp", 0},
	} {
		b, err := os.ReadFile("../../testdata/rfc4475/" + tc.file + ".dat")
		if err != nil {
			t.Fatal(err)
		}
		msg, err := sip.NewParser().ParseSIP(b)
		if err != nil {
			t.Fatalf("%s: %v", tc.file, err)
		}
		req := msg.(*sip.Request)
		code := 0
		for _, r := range []*Refusal{Syntax(req), Extensions(req, "replaces"), Offer(req)} {
			if r != nil {
				code = r.Code
				break
			}
		}
		if code != tc.code {
			t.Errorf("%s: %d, want %d", tc.file, code, tc.code)
		}
	}
}
