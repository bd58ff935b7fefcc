// Package keypad names every key of the desk phone and parses the key names
// used by Active URI ("key=OK", "key=F_TRANSFER", "key=L3", ...).
//
// Spec §3.2 (the vendor's Action URL / Active URI document, see README.md)
// lists the commands; key names are case-insensitive but for "speaker"
// (ConfirmSpeaker). The package has no dependencies so that every front end
// (HTTP, GUI, scenarios) can share it.
package keypad

import (
	"fmt"
	"strings"
)

// Key is one physical key of the phone.
type Key int

// The keys of spec §3.2, in the order the spec lists them.
const (
	None     Key = iota
	OK           // "ok", "OK", "Enter": confirm key
	Speaker      // "Speaker": hands-free key; also answers a ringing call
	Transfer     // "F_TRANSFER"
	VolumeUp
	VolumeDown
	Mute
	Hold // "F_HOLD"
	X    // hang-up / cancel
	Conference
	F1
	F2
	F3
	F4
	Msg
	Headset
	Redial // "RD"
	Up
	Down
	Left
	Right
	Reboot
	AutoP
	DNDOn
	DNDOff
	Digit0
	Digit1
	Digit2
	Digit3
	Digit4
	Digit5
	Digit6
	Digit7
	Digit8
	Digit9
	Star  // "*"
	Pound // "POUND", the '#' key
	L1
	L2
	L3
	L4
	L5
	L6
	L7
	L8
	D1
	D2
	D3
	D4
	D5
	D6
	D7
	D8
	D9
	D10
	numKeys
)

// names holds the canonical Active URI spelling of each key.
var names = [numKeys]string{
	None: "", OK: "OK", Speaker: "SPEAKER", Transfer: "F_TRANSFER",
	VolumeUp: "VOLUME_UP", VolumeDown: "VOLUME_DOWN", Mute: "MUTE", Hold: "F_HOLD",
	X: "X", Conference: "F_CONFERENCE", F1: "F1", F2: "F2", F3: "F3", F4: "F4",
	Msg: "MSG", Headset: "HEADSET", Redial: "RD", Up: "UP", Down: "DOWN",
	Left: "LEFT", Right: "RIGHT", Reboot: "REBOOT", AutoP: "AUTOP",
	DNDOn: "DNDON", DNDOff: "DNDOFF",
	Digit0: "0", Digit1: "1", Digit2: "2", Digit3: "3", Digit4: "4",
	Digit5: "5", Digit6: "6", Digit7: "7", Digit8: "8", Digit9: "9",
	Star: "*", Pound: "POUND",
	L1: "L1", L2: "L2", L3: "L3", L4: "L4", L5: "L5", L6: "L6", L7: "L7", L8: "L8",
	D1: "D1", D2: "D2", D3: "D3", D4: "D4", D5: "D5", D6: "D6", D7: "D7",
	D8: "D8", D9: "D9", D10: "D10",
}

// aliases are the other spellings the spec (or common CTI software) uses.
var aliases = map[string]Key{
	"ENTER": OK,    // spec §3.2: key=Enter is the confirm key
	"#":     Pound, // a '#' that arrived %23-escaped
	"STAR":  Star,
}

var byName = func() map[string]Key {
	m := make(map[string]Key, len(names)+len(aliases))
	for k := OK; k < numKeys; k++ {
		m[names[k]] = k
	}
	for n, k := range aliases {
		m[n] = k
	}
	return m
}()

// All returns every key, in spec order.
func All() []Key {
	out := make([]Key, 0, numKeys-1)
	for k := OK; k < numKeys; k++ {
		out = append(out, k)
	}
	return out
}

// String returns the canonical Active URI name, e.g. "F_TRANSFER".
func (k Key) String() string {
	if k <= None || k >= numKeys {
		return fmt.Sprintf("Key(%d)", int(k))
	}
	return names[k]
}

// Valid reports whether k is a real key.
func (k Key) Valid() bool { return k > None && k < numKeys }

// ConfirmSpeaker is the one case-sensitive key name: spec §3.2 lists
// "key=ok|key=OK|key=Enter|key=speaker" as the confirm key and
// "key=Speaker" as the hands-free key, so "speaker" in lower case is OK and
// every other spelling (Speaker, SPEAKER) is SPEAKER.
const ConfirmSpeaker = "speaker"

// Parse turns an Active URI key name into a Key. Names are case-insensitive
// but for ConfirmSpeaker, and surrounding blanks are ignored.
func Parse(s string) (Key, error) {
	t := strings.TrimSpace(s)
	if t == ConfirmSpeaker {
		return OK, nil
	}
	n := strings.ToUpper(t)
	if n == "" {
		// key=# arrives as key= : the client cut the URL at '#', which
		// starts a fragment (RFC 3986 §3.5).
		return None, fmt.Errorf("empty key name (send '#' as POUND or %%23)")
	}
	if k, ok := byName[n]; ok {
		return k, nil
	}
	return None, fmt.Errorf("unknown key %q", s)
}

// ParseSequence parses several keys separated by ';' as in
// "key=SPEAKER;1;0;0;2;OK". It fails on the first unknown or empty name and
// says which position it was.
func ParseSequence(s string) ([]Key, error) {
	parts := strings.Split(s, ";")
	out := make([]Key, 0, len(parts))
	for i, p := range parts {
		k, err := Parse(p)
		if err != nil {
			if len(parts) == 1 {
				return nil, err
			}
			return nil, fmt.Errorf("key %d of %d: %w", i+1, len(parts), err)
		}
		out = append(out, k)
	}
	return out, nil
}

// Digit returns the dial character of a digit, '*' or '#' key.
func (k Key) Digit() (rune, bool) {
	switch {
	case k >= Digit0 && k <= Digit9:
		return rune('0' + int(k-Digit0)), true
	case k == Star:
		return '*', true
	case k == Pound:
		return '#', true
	}
	return 0, false
}

// Line returns the 1-based line number of L1..L8.
func (k Key) Line() (int, bool) {
	if k >= L1 && k <= L8 {
		return int(k-L1) + 1, true
	}
	return 0, false
}

// DSS returns the 1-based number of D1..D10.
func (k Key) DSS() (int, bool) {
	if k >= D1 && k <= D10 {
		return int(k-D1) + 1, true
	}
	return 0, false
}

// SoftKey returns the 1-based number of F1..F4.
func (k Key) SoftKey() (int, bool) {
	if k >= F1 && k <= F4 {
		return int(k-F1) + 1, true
	}
	return 0, false
}
