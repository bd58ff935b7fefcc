package emulator

import (
	"fmt"
)

// DSS key kinds (D1..D10).
const (
	DSSSpeedDial = "speed_dial" // calls Value
	DSSBLF       = "blf"        // watches Value's calls (RFC 4235) and calls it
	DSSTransfer  = "transfer"   // in a call: blind transfer to Value; idle: calls it
)

// DSSKey is one programmable key.
type DSSKey struct {
	Kind  string // DSSSpeedDial, DSSBLF or DSSTransfer
	Value string // number, user@host or sip: URI
	Label string // shown next to the key
}

// MaxDSS is the number of DSS keys (D1..D10).
const MaxDSS = 10

// SIPDialogState reports the lamp state of a BLF key's target: "idle",
// "ringing" or "busy" (from RFC 4235 dialog-info NOTIFYs).
type SIPDialogState struct {
	Key   int // 1-based DSS key
	State string
	// While ringing: how to pick the call up (INVITE to PickupTarget with
	// Replaces: PickupReplaces).
	PickupTarget, PickupReplaces string
}

func (SIPDialogState) input() {}

// DSSStatus is one DSS key as the status API shows it.
type DSSStatus struct {
	Key   int     `json:"key"`
	Kind  string  `json:"kind"`
	Value string  `json:"value"`
	Label string  `json:"label,omitempty"`
	Lamp  BLFLamp `json:"lamp,omitempty"` // BLF only: idle, ringing, busy
	// Pickup: BLF only, the ringing call can be picked up with the key.
	Pickup bool `json:"pickup,omitempty"`
}

// dssKey presses D<n>.
func (s *state) dssKey(n int) error {
	if n < 1 || n > len(s.p.cfg.DSS) || s.p.cfg.DSS[n-1].Kind == "" {
		return fmt.Errorf("D%d is not programmed", n)
	}
	k := s.p.cfg.DSS[n-1]
	if p, ok := s.pickups[n]; ok && k.Kind == DSSBLF && s.blf[n] == BLFRinging && len(s.calls) == 0 {
		// A ringing BLF key picks the call up.
		return s.pickup(p.PickupTarget, p.PickupReplaces)
	}
	if k.Kind == DSSTransfer {
		if c := s.talking(); c != nil {
			s.xfer = &transfer{orig: c, blind: true, sent: true}
			s.p.sig.Transfer(c.ref, k.Value, "")
			return nil
		}
	}
	// A speed dial during a call holds the call first, like a line key.
	if c := s.talking(); c != nil {
		s.hold(c)
	}
	return s.dial(k.Value, s.selected)
}

func (s *state) onDialogState(in SIPDialogState) {
	if in.Key < 1 || in.Key > MaxDSS {
		return
	}
	if s.blf == nil {
		s.blf = map[int]BLFLamp{}
		s.pickups = map[int]SIPDialogState{}
	}
	// the SIP side names the lamp (dialoginfo LampState); an unknown
	// word shows idle, as a phone does for a dialog state it cannot read
	lamp := BLFIdle
	_ = lamp.UnmarshalText([]byte(in.State))
	if lamp == BLFNone {
		lamp = BLFIdle
	}
	s.blf[in.Key] = lamp
	if in.PickupTarget != "" {
		s.pickups[in.Key] = in
	} else {
		delete(s.pickups, in.Key)
	}
}

// pickup takes a call ringing elsewhere: a call to its caller that
// replaces the ringing early dialog (RFC 3891).
func (s *state) pickup(target, replaces string) error {
	ln := s.selected
	l := s.lineN(ln)
	if l == nil {
		return fmt.Errorf("line %d has no account", ln)
	}
	ref := s.placeCall(ln, target)
	s.p.sig.Pickup(ref, ln, target, replaces)
	return nil
}

func (s *state) dssStatus() []DSSStatus {
	var out []DSSStatus
	for i, k := range s.p.cfg.DSS {
		if k.Kind == "" {
			continue
		}
		st := DSSStatus{Key: i + 1, Kind: k.Kind, Value: k.Value, Label: k.Label}
		if k.Kind == DSSBLF {
			st.Lamp = s.blf[i+1]
			if st.Lamp == BLFNone {
				st.Lamp = BLFIdle
			}
			_, st.Pickup = s.pickups[i+1]
			st.Pickup = st.Pickup && st.Lamp == BLFRinging
		}
		out = append(out, st)
	}
	return out
}

// dssLEDs lights BLF keys: ringing blinks, busy is on.
func (s *state) dssLEDs(leds *[10]LED) {
	for key, st := range s.blf {
		if key < 1 || key > len(leds) {
			continue
		}
		switch st {
		case BLFRinging:
			leds[key-1] = LEDBlink
		case BLFBusy:
			leds[key-1] = LEDOn
		}
	}
}

// watchBLF subscribes every BLF key (after start, reboot or IP change).
func (s *state) watchBLF() {
	s.blf, s.pickups = nil, nil
	for i, k := range s.p.cfg.DSS {
		if k.Kind == DSSBLF {
			s.p.sig.Watch(i+1, s.selected, k.Value)
		}
	}
}
