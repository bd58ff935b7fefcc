package emulator_test

import (
	"testing"

	"github.com/phonesim/phonesim/emulator"
	"github.com/phonesim/phonesim/keypad"
)

// BenchmarkSnapshot is what every front end pays per redraw or status
// request: a phone with a registered line and a ringing call.
func BenchmarkSnapshot(b *testing.B) {
	p, _, _ := phoneWithRecordingSignaling(b)
	feed(b, p, emulator.SIPRegistration{Line: 1, State: emulator.RegRegistered, Code: 200},
		emulator.SIPIncoming{Ref: "i1", Line: 1, CallID: "c1", RemoteURI: "sip:1002@127.0.0.1"})
	b.ReportAllocs()
	for b.Loop() {
		if s := p.Snapshot(); len(s.Calls) != 1 {
			b.Fatal("no call")
		}
	}
}

// BenchmarkKeyRender is a key that changes the screen, applied on the
// loop and waited for: the loop renders a new snapshot (LCD, LEDs, lamps)
// each time.
func BenchmarkKeyRender(b *testing.B) {
	p, _, _ := phoneWithRecordingSignaling(b)
	feed(b, p, emulator.SIPRegistration{Line: 1, State: emulator.RegRegistered, Code: 200},
		emulator.SIPIncoming{Ref: "i1", Line: 1, CallID: "c1", RemoteURI: "sip:1002@127.0.0.1"})
	up := []emulator.Input{emulator.PressKey{Key: keypad.VolumeUp}, emulator.PressKey{Key: keypad.VolumeDown}}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		feed(b, p, up[i%2])
		i++
	}
}
