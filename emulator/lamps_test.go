package emulator_test

import (
	"testing"

	"github.com/phonesim/phonesim/emulator"
)

// Line key L1's colour lamp through a call's life on a phone, as the GUI
// draws it: registered green, ringing green fast, talking red, held red
// slow, failed amber; the older on/off/blink LED alongside.
func TestLineLampFollowsTheCall(t *testing.T) {
	p, _, _ := phoneWithRecordingSignaling(t)
	step := func(what string, want emulator.Lamp, wantLED emulator.LED) {
		t.Helper()
		s := p.Snapshot()
		if got := s.LCD.LineLamps[0]; got != want {
			t.Errorf("%s: L1 lamp %s %s, want %s %s", what, got.Color, got.Blink, want.Color, want.Blink)
		}
		if got := s.LCD.LineKeys[0]; got != wantLED {
			t.Errorf("%s: L1 LED %s, want %s", what, got, wantLED)
		}
		if s.LCD.LineLamps[1] != (emulator.Lamp{}) {
			t.Errorf("%s: L2 (no account) lit %+v", what, s.LCD.LineLamps[1])
		}
	}
	step("unregistered", emulator.Lamp{}, emulator.LEDOff)
	feed(t, p, emulator.SIPRegistration{Line: 1, State: emulator.RegRegistered, Code: 200})
	step("registered", emulator.Lamp{Color: emulator.LampGreen}, emulator.LEDOn)
	feed(t, p, emulator.SIPIncoming{Ref: "i1", Line: 1, CallID: "c1", RemoteURI: "sip:1002@127.0.0.1"})
	step("ringing", emulator.Lamp{Color: emulator.LampGreen, Blink: emulator.BlinkFast}, emulator.LEDBlink)
	keys(t, p, "OK")
	feed(t, p, emulator.SIPAnswered{Ref: "i1", Media: &emulator.MediaStats{}})
	step("talking", emulator.Lamp{Color: emulator.LampRed}, emulator.LEDOn)
	keys(t, p, "F_HOLD")
	feed(t, p, emulator.SIPHold{Ref: "i1", Held: true})
	step("held", emulator.Lamp{Color: emulator.LampRed, Blink: emulator.BlinkSlow}, emulator.LEDOn)
	feed(t, p, emulator.SIPRegistration{Line: 1, State: emulator.RegFailed, Code: 403, Err: "403 Forbidden"},
		emulator.SIPEnded{Ref: "i1", Code: 200})
	step("failed, no call", emulator.Lamp{Color: emulator.LampAmber}, emulator.LEDOff)
}

// A BLF key's lamp follows the watched extension: idle green, ringing red
// fast, busy red; speed-dial keys stay dark.
func TestDSSLampFollowsTheWatchedExtension(t *testing.T) {
	p, _, _ := phoneWithRecordingSignaling(t, func(c *emulator.Config) {
		c.DSS = []emulator.DSSKey{{Kind: emulator.DSSBLF, Value: "1003"}, {Kind: emulator.DSSSpeedDial, Value: "1004"}}
	})
	for _, tc := range []struct {
		state string
		want  emulator.Lamp
		led   emulator.LED
	}{
		{"", emulator.Lamp{Color: emulator.LampGreen}, emulator.LEDOff},
		{"ringing", emulator.Lamp{Color: emulator.LampRed, Blink: emulator.BlinkFast}, emulator.LEDBlink},
		{"busy", emulator.Lamp{Color: emulator.LampRed}, emulator.LEDOn},
		{"idle", emulator.Lamp{Color: emulator.LampGreen}, emulator.LEDOff},
		{"confirmed?", emulator.Lamp{Color: emulator.LampGreen}, emulator.LEDOff}, // a word the core cannot read: idle
	} {
		if tc.state != "" {
			feed(t, p, emulator.SIPDialogState{Key: 1, State: tc.state})
		}
		s := p.Snapshot()
		if s.LCD.DSSLamps[0] != tc.want || s.LCD.DSSKeys[0] != tc.led || s.LCD.DSSLamps[1] != (emulator.Lamp{}) {
			t.Errorf("BLF %q: D1 %+v LED %s, D2 %+v", tc.state, s.LCD.DSSLamps[0], s.LCD.DSSKeys[0], s.LCD.DSSLamps[1])
		}
	}
}
