package sipua_test

import (
	"strings"
	"testing"

	"github.com/phonesim/phonesim/emulator"
	"github.com/phonesim/phonesim/internal/torture"
	"github.com/phonesim/phonesim/keypad"
)

// corpusDir is the RFC 4475 torture corpus (see its README).
const corpusDir = "../../testdata/rfc4475"

// legalInInvalid are messages of the corpus's invalid/ that RFC 4475 files
// under semantics, not syntax, and a UA may accept: badbranch (§3.2.1, a
// branch without the z9hG4bK cookie) and zeromf (§3.3.11, Max-Forwards 0
// stops proxies with 483, not the UAS).
var legalInInvalid = map[string]bool{"badbranch": true, "zeromf": true}

// refusedWith are the codes the issue names for messages that used to
// ring the phone.
var refusedWith = map[string]int{"baddate": 400, "escruri": 400, "invut": 415, "multi01": 400, "sdp01": 406}

// Every RFC 4475 message against a live phone: each valid request is
// answered, responses are not, and no invalid message rings the phone; it
// gets a 4xx or is dropped (issue 7, items 3 and 5).
func TestRFC4475CorpusAgainstPhone(t *testing.T) {
	bob := startLimitedPhone(t, 0, 0)
	for _, kind := range []string{"valid", "invalid"} {
		msgs, err := torture.Load(corpusDir, kind)
		if err != nil {
			t.Fatal(err)
		}
		for name, msg := range msgs {
			t.Run(kind+"/"+name, func(t *testing.T) {
				before := bob.rec.count(emulator.EventIncomingCall)
				got, err := torture.Probe(bob.ua.Addr(), msg)
				if err != nil {
					t.Fatal(err)
				}
				rang := bob.rec.count(emulator.EventIncomingCall) - before
				t.Logf("%d bytes: %v, rang %d", len(msg), got, rang)
				if rang > 0 && len(bob.Snapshot().Calls) > 0 {
					n := bob.rec.count(emulator.EventTerminated)
					pressKey(t, bob, keypad.X)
					bob.rec.waitCount(t, emulator.EventTerminated, n+1)
				}
				isResponse := torture.IsResponse(msg)
				switch {
				case isResponse:
					if len(got) > 0 {
						t.Errorf("a response was answered: %v", got)
					}
				case kind == "valid":
					if len(got) == 0 {
						t.Errorf("valid request not answered")
					}
				default:
					if rang > 0 {
						t.Errorf("invalid request rang the phone")
					}
					for _, line := range got {
						if code := torture.StatusCode(line); code >= 200 && code < 400 && !legalInInvalid[name] {
							t.Errorf("invalid request accepted: %s", line)
						}
						if strings.HasSuffix(line, " Ringing") {
							t.Errorf("invalid request got %s", line)
						}
					}
					if want, ok := refusedWith[name]; ok && (len(got) == 0 || torture.StatusCode(got[len(got)-1]) != want) {
						t.Errorf("got %v, want %d", got, want)
					}
				}
			})
		}
	}
}
