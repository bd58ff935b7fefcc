package layout

import (
	"strings"

	"github.com/phonesim/phonesim/emulator"
)

// Tones is which call-progress tones the room should hear.
type Tones struct {
	Ring     bool // a phone rings: a call waits and none is up on that phone
	Dial     bool // a phone is off hook with nothing typed and no call
	Ringback bool // a call rings out at the far end
}

// TonesOf is the tones for the phones' snapshots: what desk phones play
// (the ringer is not played over a call: call waiting beeps instead, and
// the GUI plays nothing for it).
func TonesOf(snaps []emulator.Snapshot) Tones {
	var t Tones
	for _, s := range snaps {
		up := false
		for _, c := range s.Calls {
			switch c.State {
			case emulator.CallTalking, emulator.CallConf, emulator.CallHeld:
				up = true
			case emulator.CallRingback, emulator.CallCalling:
				t.Ringback = true
			}
		}
		for _, c := range s.Calls {
			if c.State == emulator.CallRinging && !up {
				t.Ring = true
			}
		}
		if s.Hook == emulator.HookOff && len(s.Calls) == 0 && s.Dialing == "" {
			t.Dial = true
		}
	}
	return t
}

// Busy reports whether a call that ended with cause (the Terminated
// event's "486 Busy Here") gets a busy tone: the far end was busy (486,
// 600 Busy Everywhere; RFC 3261 §21.4.25, §21.6.1).
func Busy(ev emulator.Event) bool {
	return ev.Type == emulator.EventTerminated &&
		(strings.HasPrefix(ev.Cause, "486") || strings.HasPrefix(ev.Cause, "600"))
}
