package layout

import (
	"testing"

	"github.com/phonesim/phonesim/emulator"
)

func TestTones(t *testing.T) {
	idle := emulator.Snapshot{Hook: emulator.HookOn}
	offHook := emulator.Snapshot{Hook: emulator.HookOff}
	typing := emulator.Snapshot{Hook: emulator.HookOff, Dialing: "10"}
	ringing := emulator.Snapshot{Calls: []emulator.CallStatus{{State: emulator.CallRinging}}}
	waiting := emulator.Snapshot{Hook: emulator.HookOff, Calls: []emulator.CallStatus{{State: emulator.CallTalking}, {State: emulator.CallRinging}}}
	out := emulator.Snapshot{Hook: emulator.HookOff, Calls: []emulator.CallStatus{{State: emulator.CallRingback}}}
	for _, c := range []struct {
		name  string
		snaps []emulator.Snapshot
		want  Tones
	}{
		{"idle", []emulator.Snapshot{idle}, Tones{}},
		{"off hook", []emulator.Snapshot{offHook}, Tones{Dial: true}},
		{"typing", []emulator.Snapshot{typing}, Tones{}},
		{"ringing", []emulator.Snapshot{ringing}, Tones{Ring: true}},
		{"call waiting", []emulator.Snapshot{waiting}, Tones{}},
		{"calling out, the other ringing", []emulator.Snapshot{out, ringing}, Tones{Ring: true, Ringback: true}},
	} {
		if got := TonesOf(c.snaps); got != c.want {
			t.Errorf("%s: %+v, want %+v", c.name, got, c.want)
		}
	}
	for cause, want := range map[string]bool{"486 Busy Here": true, "600 Busy Everywhere": true, "603 Decline": false, "remote hangup": false} {
		if got := Busy(emulator.Event{Type: emulator.EventTerminated, Cause: cause}); got != want {
			t.Errorf("Busy(%q) = %v", cause, got)
		}
	}
	if Busy(emulator.Event{Type: emulator.EventMissedCall, Cause: "486 Busy Here"}) {
		t.Error("Busy on a Missed Call event")
	}
}
