package emulator

import (
	"fmt"
	"strconv"
)

// The snapshot's vocabulary is typed: small int types whose String is the
// word the status JSON, the Action URL variables and the scenarios have
// always used, so front ends switch on values, never on text, and the
// bytes of /api/status stay the same (activeuri TestStatusJSONGolden).

// names is an enum's words, indexed by value.
type names []string

func (n names) str(v int) string {
	if v < 0 || v >= len(n) {
		return "unknown(" + strconv.Itoa(v) + ")"
	}
	return n[v]
}

func (n names) parse(kind, text string) (int, error) {
	for i, w := range n {
		if w == text {
			return i, nil
		}
	}
	return 0, fmt.Errorf("%s %q: want one of %q", kind, text, []string(n))
}

func (n names) marshal(v int) ([]byte, error) {
	if v < 0 || v >= len(n) {
		return nil, fmt.Errorf("no word for value %d", v)
	}
	return []byte(n[v]), nil
}

// LED is one lamp of the phone: off, on or blinking.
type LED int

// LED states.
const (
	LEDOff LED = iota
	LEDOn
	LEDBlink
)

var ledNames = names{"off", "on", "blink"}

func (l LED) String() string                   { return ledNames.str(int(l)) }
func (l LED) MarshalText() ([]byte, error)     { return ledNames.marshal(int(l)) }
func (l *LED) UnmarshalText(text []byte) error { return unmarshal(ledNames, "LED", text, (*int)(l)) }

// Lit reports whether the LED shows anything (on or blinking).
func (l LED) Lit() bool { return l == LEDOn || l == LEDBlink }

// CallState is the state of one call appearance (the call FSM; see
// docs/fsm.md).
type CallState int

// Call appearance states.
const (
	CallNew      CallState = iota // created, INVITE not sent yet
	CallCalling                   // outgoing INVITE sent
	CallRingback                  // outgoing, 180/183 received
	CallRinging                   // incoming, 180 sent, waiting for the user
	CallTalking                   // established
	CallHeld                      // established, put on hold by this phone
	CallConf                      // established, mixed into a local conference
	CallEnded
)

var callNames = names{"new", "calling", "ringback", "ringing", "talking", "held", "conference", "ended"}

func (c CallState) String() string               { return callNames.str(int(c)) }
func (c CallState) MarshalText() ([]byte, error) { return callNames.marshal(int(c)) }
func (c *CallState) UnmarshalText(text []byte) error {
	return unmarshal(callNames, "call state", text, (*int)(c))
}

// Hook is the phone's hook switch.
type Hook int

// Hook states.
const (
	HookOn Hook = iota
	HookOff
)

var hookNames = names{"on_hook", "off_hook"}

func (h Hook) String() string                   { return hookNames.str(int(h)) }
func (h Hook) MarshalText() ([]byte, error)     { return hookNames.marshal(int(h)) }
func (h *Hook) UnmarshalText(text []byte) error { return unmarshal(hookNames, "hook", text, (*int)(h)) }

// AudioPath is where call audio goes.
type AudioPath int

// Audio paths.
const (
	PathSpeaker AudioPath = iota
	PathHeadset
	PathHandset
)

var pathNames = names{"speaker", "headset", "handset"}

func (a AudioPath) String() string               { return pathNames.str(int(a)) }
func (a AudioPath) MarshalText() ([]byte, error) { return pathNames.marshal(int(a)) }
func (a *AudioPath) UnmarshalText(text []byte) error {
	return unmarshal(pathNames, "audio path", text, (*int)(a))
}

// BLFLamp is what a BLF key shows of the extension it watches (RFC 4235
// dialog state, as Yealink T4x BLF keys): idle, ringing or busy. BLFNone
// is a key that watches nothing; it marshals as "" (omitted in the JSON).
type BLFLamp int

// BLF lamp states.
const (
	BLFNone BLFLamp = iota
	BLFIdle
	BLFRinging
	BLFBusy
)

var blfNames = names{"", "idle", "ringing", "busy"}

func (b BLFLamp) String() string               { return blfNames.str(int(b)) }
func (b BLFLamp) MarshalText() ([]byte, error) { return blfNames.marshal(int(b)) }
func (b *BLFLamp) UnmarshalText(text []byte) error {
	return unmarshal(blfNames, "BLF lamp", text, (*int)(b))
}

var regNames = names{"unregistered", "registering", "registered", "failed"}

func (s RegState) MarshalText() ([]byte, error) { return regNames.marshal(int(s)) }
func (s *RegState) UnmarshalText(text []byte) error {
	return unmarshal(regNames, "registration", text, (*int)(s))
}

func unmarshal(n names, kind string, text []byte, into *int) error {
	v, err := n.parse(kind, string(text))
	if err != nil {
		return err
	}
	*into = v
	return nil
}

// The looplab/fsm machines keep their states as text; these read them back
// as values.

func (c *call) state() CallState {
	v, _ := callNames.parse("", c.fsm.Current())
	return CallState(v)
}

func (l *line) state() RegState {
	v, _ := regNames.parse("", l.fsm.Current())
	return RegState(v)
}

func (s *state) hookState() Hook {
	v, _ := hookNames.parse("", s.hook.Current())
	return Hook(v)
}
