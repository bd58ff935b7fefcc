package layout

import (
	"fmt"

	"github.com/phonesim/phonesim/keypad"
)

// Size of one phone body and of the console panel beside it.
const (
	PhoneW   = 540
	PhoneH   = 640
	ConsoleW = 280
	CellGap  = 10                          // between the phone and its console
	CellW    = PhoneW + CellGap + ConsoleW // one phone with its console
	CellH    = PhoneH
)

// Parts of the phone that are not keys.
var (
	Body   = Rect{0, 0, PhoneW, PhoneH}
	Cradle = Rect{12, 18, 80, 430} // the handset's place; a click lifts or replaces it
	LCD    = Rect{104, 18, 300, 196}
	// StatusBar is the top row of the LCD: time, line, DND, forward, counts.
	StatusBar = Rect{LCD.X, LCD.Y, LCD.W, 22}
	// Badge is where the phone's name, number and model are printed.
	Badge = Rect{414, 372, 114, 120}
)

// Button is one key on the phone.
type Button struct {
	Key   keypad.Key
	Rect  Rect
	Label string // printed on the key ("" for soft, line and DSS keys, whose text comes from the phone)
	Lamp  bool   // has an LED
}

// Buttons is every key of the phone, each once.
var Buttons = buildButtons()

func buildButtons() []Button {
	var b []Button
	add := func(k keypad.Key, r Rect, label string, lamp bool) {
		b = append(b, Button{Key: k, Rect: r, Label: label, Lamp: lamp})
	}
	const keyW, gap = 69, 8
	// F1–F4 under the LCD, one under each soft-key label.
	for i, k := range []keypad.Key{keypad.F1, keypad.F2, keypad.F3, keypad.F4} {
		add(k, Rect{LCD.X + float64(i)*(keyW+gap), 222, keyW, 24}, "", false)
	}
	// L1–L8: two rows of four line keys, each with a two-colour LED.
	for i := range 8 {
		add(keypad.L1+keypad.Key(i), Rect{LCD.X + float64(i%4)*(keyW+gap), 256 + float64(i/4)*32, keyW, 26}, "", true)
	}
	// D1–D10: the DSS column right of the LCD, each with a BLF lamp.
	for i := range 10 {
		add(keypad.D1+keypad.Key(i), Rect{414, 18 + float64(i)*34, 114, 30}, "", true)
	}
	// Left of the navigation cluster.
	add(keypad.Msg, Rect{104, 330, 70, 26}, "MSG", true)
	add(keypad.Headset, Rect{104, 362, 70, 26}, "HEADSET", true)
	add(keypad.Mute, Rect{104, 394, 70, 26}, "MUTE", true)
	// The navigation cluster with OK in the middle.
	add(keypad.Up, Rect{234, 328, 40, 24}, "▲", false)
	add(keypad.Down, Rect{234, 402, 40, 24}, "▼", false)
	add(keypad.Left, Rect{188, 359, 40, 36}, "◀", false)
	add(keypad.Right, Rect{280, 359, 40, 36}, "▶", false)
	add(keypad.OK, Rect{234, 357, 40, 40}, "OK", false)
	// Right of the navigation cluster.
	add(keypad.Redial, Rect{334, 330, 70, 26}, "RD", false)
	add(keypad.X, Rect{334, 362, 70, 26}, "X", false)
	add(keypad.VolumeDown, Rect{334, 394, 33, 26}, "VOL−", false)
	add(keypad.VolumeUp, Rect{371, 394, 33, 26}, "VOL+", false)
	// Function row.
	for i, f := range []struct {
		k     keypad.Key
		label string
	}{{keypad.Hold, "HOLD"}, {keypad.Transfer, "TRANSFER"}, {keypad.Conference, "CONF"}, {keypad.Speaker, "SPEAKER"}} {
		add(f.k, Rect{LCD.X + float64(i)*(keyW+gap), 436, keyW, 26}, f.label, f.k == keypad.Speaker)
	}
	// The keypad: 1 2 3 / 4 5 6 / 7 8 9 / * 0 #.
	pad := []keypad.Key{keypad.Digit1, keypad.Digit2, keypad.Digit3, keypad.Digit4, keypad.Digit5, keypad.Digit6,
		keypad.Digit7, keypad.Digit8, keypad.Digit9, keypad.Star, keypad.Digit0, keypad.Pound}
	for i, k := range pad {
		add(k, Rect{134 + float64(i%3)*84, 472 + float64(i/3)*40, 72, 34}, keyLabel(k), false)
	}
	return b
}

func keyLabel(k keypad.Key) string {
	if d, ok := k.Digit(); ok {
		return string(d)
	}
	return k.String()
}

// KeyLetters are the letters printed under the keypad digits, as on every
// desk phone (ITU-T E.161).
var KeyLetters = map[keypad.Key]string{
	keypad.Digit2: "ABC", keypad.Digit3: "DEF", keypad.Digit4: "GHI", keypad.Digit5: "JKL",
	keypad.Digit6: "MNO", keypad.Digit7: "PQRS", keypad.Digit8: "TUV", keypad.Digit9: "WXYZ",
}

// ButtonOf returns the button of key k.
func ButtonOf(k keypad.Key) (Button, bool) {
	for _, b := range Buttons {
		if b.Key == k {
			return b, true
		}
	}
	return Button{}, false
}

// Target is what a click on a phone hits: a key, or the handset.
type Target struct {
	Key     keypad.Key // keypad.None when not a key
	Handset bool
}

// Valid reports whether the target is something.
func (t Target) Valid() bool { return t.Key != keypad.None || t.Handset }

func (t Target) String() string {
	switch {
	case t.Handset:
		return "handset"
	case t.Key != keypad.None:
		return t.Key.String()
	}
	return "nothing"
}

// HitPhone is what a click at (x, y), relative to the phone's top-left
// corner, hits.
func HitPhone(x, y float64) Target {
	for _, b := range Buttons {
		if b.Rect.Contains(x, y) {
			return Target{Key: b.Key}
		}
	}
	if Cradle.Contains(x, y) {
		return Target{Handset: true}
	}
	return Target{}
}

// Point is where to click for t: the middle of its key or of the cradle.
func Point(t Target) (x, y float64, err error) {
	if t.Handset {
		x, y = Cradle.Center()
		return x, y, nil
	}
	b, ok := ButtonOf(t.Key)
	if !ok {
		return 0, 0, fmt.Errorf("no button for %v", t)
	}
	x, y = b.Rect.Center()
	return x, y, nil
}
