package layout

import (
	"testing"
	"time"

	"github.com/phonesim/phonesim/emulator"
	"github.com/phonesim/phonesim/keypad"
)

func snap(lines []emulator.LineStatus, calls ...emulator.CallStatus) emulator.Snapshot {
	return lit(emulator.Snapshot{Lines: lines, Calls: calls, Selected: 1})
}

// lit colours the snapshot's lamps as the core does when it takes one
// (emulator.LineLampOf, DSSLampOf).
func lit(s emulator.Snapshot) emulator.Snapshot {
	for n := 1; n <= emulator.MaxLines; n++ {
		s.LCD.LineLamps[n-1] = emulator.LineLampOf(s.Lines, s.Calls, n)
	}
	for _, d := range s.DSS {
		s.LCD.DSSLamps[d.Key-1] = emulator.DSSLampOf(d)
	}
	return s
}

func TestLineLamps(t *testing.T) {
	reg := []emulator.LineStatus{{Line: 1, User: "1001", Registration: emulator.RegRegistered}, {Line: 2, User: "2001", Registration: emulator.RegFailed}, {Line: 3, Registration: emulator.RegRegistering}}
	for _, c := range []struct {
		name string
		s    emulator.Snapshot
		line int
		want Lamp
	}{
		{"registered idle", snap(reg), 1, Lamp{Color: Green}},
		{"registration failed", snap(reg), 2, Lamp{Color: Amber}},
		{"registering", snap(reg), 3, Lamp{}},
		{"no account", snap(reg), 8, Lamp{}},
		{"ringing in", snap(reg, emulator.CallStatus{Line: 1, State: emulator.CallRinging}), 1, Lamp{Color: Green, Blink: Fast}},
		{"calling out", snap(reg, emulator.CallStatus{Line: 1, State: emulator.CallRingback}), 1, Lamp{Color: Red}},
		{"talking", snap(reg, emulator.CallStatus{Line: 1, State: emulator.CallTalking}), 1, Lamp{Color: Red}},
		{"held", snap(reg, emulator.CallStatus{Line: 1, State: emulator.CallHeld}), 1, Lamp{Color: Red, Blink: Slow}},
		{"waiting call rings over a held one", snap(reg, emulator.CallStatus{Line: 1, State: emulator.CallHeld}, emulator.CallStatus{Line: 1, State: emulator.CallRinging}), 1, Lamp{Color: Green, Blink: Fast}},
		{"a call on another line", snap(reg, emulator.CallStatus{Line: 2, State: emulator.CallTalking}), 1, Lamp{Color: Green}},
	} {
		if got := LineLamp(c.s, c.line); got != c.want {
			t.Errorf("%s: L%d lamp %+v, want %+v", c.name, c.line, got, c.want)
		}
		if got := KeyLamp(c.s, keypad.L1+keypad.Key(c.line-1)); got != LineLamp(c.s, c.line) {
			t.Errorf("%s: KeyLamp(L%d) differs from LineLamp", c.name, c.line)
		}
	}
}

func TestDSSLampsAndLabels(t *testing.T) {
	s := snap(nil)
	s.DSS = []emulator.DSSStatus{
		{Key: 1, Kind: "blf", Value: "1002", Label: "Bob", Lamp: emulator.BLFIdle},
		{Key: 2, Kind: "blf", Value: "1003", Lamp: emulator.BLFRinging},
		{Key: 3, Kind: "blf", Value: "1004", Lamp: emulator.BLFBusy},
		{Key: 4, Kind: "speed_dial", Value: "1005"},
	}
	s = lit(s)
	want := map[int]Lamp{1: {Color: Green}, 2: {Color: Red, Blink: Fast}, 3: {Color: Red}, 4: {}, 5: {}}
	for n, w := range want {
		if got := DSSLamp(s, n); got != w {
			t.Errorf("D%d lamp %+v, want %+v", n, got, w)
		}
	}
	if DSSLabel(s, 1) != "Bob" || DSSLabel(s, 2) != "1003" || DSSLabel(s, 9) != "" {
		t.Errorf("labels %q %q %q", DSSLabel(s, 1), DSSLabel(s, 2), DSSLabel(s, 9))
	}
	if Period(s) != Fast {
		t.Errorf("a ringing BLF lamp: period %v, want %v", Period(s), Fast)
	}
}

func TestFunctionKeyLampsAndHandset(t *testing.T) {
	s := snap(nil)
	if KeyLamp(s, keypad.Msg).Color != Dark || KeyLamp(s, keypad.Speaker).Color != Dark || HandsetLifted(s) {
		t.Fatal("idle phone shows a lamp or a lifted handset")
	}
	s.LCD.MSG = emulator.LEDBlink
	s.Hook, s.AudioPath, s.Muted = emulator.HookOff, emulator.PathSpeaker, true
	if KeyLamp(s, keypad.Msg) != (Lamp{Color: Red, Blink: Slow}) || KeyLamp(s, keypad.Speaker).Color != Green ||
		KeyLamp(s, keypad.Mute).Color != Red || HandsetLifted(s) {
		t.Errorf("MSG %+v SPEAKER %+v MUTE %+v lifted %v", KeyLamp(s, keypad.Msg), KeyLamp(s, keypad.Speaker), KeyLamp(s, keypad.Mute), HandsetLifted(s))
	}
	s.AudioPath = emulator.PathHandset
	if !HandsetLifted(s) || KeyLamp(s, keypad.Speaker).Color != Dark {
		t.Error("handset path off hook: not lifted, or the speaker still lit")
	}
}

func TestLampBlinks(t *testing.T) {
	t0 := time.UnixMilli(0)
	fast := Lamp{Color: Red, Blink: Fast}
	if !fast.Lit(t0) || fast.Lit(t0.Add(Fast)) || !fast.Lit(t0.Add(2*Fast)) {
		t.Error("fast lamp does not alternate every 200 ms")
	}
	if !(Lamp{Color: Green}).Lit(t0.Add(Fast)) || (Lamp{}).Lit(t0) {
		t.Error("steady or dark lamp blinks")
	}
}

func TestStatusBarAndCallScreen(t *testing.T) {
	now := time.Date(2026, 11, 27, 9, 41, 7, 0, time.UTC)
	s := snap([]emulator.LineStatus{{Line: 1, User: "1001", Registration: emulator.RegRegistered}},
		emulator.CallStatus{Line: 1, State: emulator.CallTalking, Answered: now.Add(-83 * time.Second)})
	s.DND = true
	s.Forward[emulator.ForwardBusy] = emulator.ForwardStatus{On: true, Target: "1003"}
	s.Counters.Missed = 2
	s.Voicemail = []emulator.VoicemailStatus{{Line: 1, Waiting: true, New: 3}}
	s.LCD.Title, s.LCD.Lines, s.LCD.SoftKeys = "Talking", []string{"Bob"}, [4]string{"Hold", "Transfer", "", "End"}
	st := StatusOf(s, now)
	want := Status{Time: "09:41", Line: "L1 1001", LineState: Green, DND: true, Forward: true, Missed: 2, Voicemail: 3}
	if st != want {
		t.Errorf("status %+v, want %+v", st, want)
	}
	lcd := LCDOf(s, now)
	if lcd.Title != "Talking" || lcd.Duration != "01:23" || lcd.SoftKeys[3] != "End" || lcd.Lines[0] != "Bob" {
		t.Errorf("call screen %+v", lcd)
	}
	if Duration(3723*time.Second) != "1:02:03" || Duration(-time.Second) != "00:00" {
		t.Errorf("durations %q %q", Duration(3723*time.Second), Duration(-time.Second))
	}
	if Period(s) != time.Second || Period(snap(nil)) != 0 {
		t.Errorf("Period: %v for a call (its clock ticks each second), %v idle (want 0)", Period(s), Period(snap(nil)))
	}
	s.Calls = append(s.Calls, emulator.CallStatus{Line: 1, State: emulator.CallRinging})
	if s = lit(s); Period(s) != Fast {
		t.Errorf("Period with a waiting call ringing: %v, want %v", Period(s), Fast)
	}
}
