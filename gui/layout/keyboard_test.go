package layout

import (
	"testing"

	"github.com/phonesim/phonesim/keypad"
)

func TestKeyboardMap(t *testing.T) {
	named := []struct {
		name      string
		ctrl, alt bool
		want      Action
	}{
		{"Enter", false, false, Action{Key: keypad.OK}},
		{"Escape", false, false, Action{Key: keypad.X}},
		{"Backspace", false, false, Action{Backspace: true}},
		{"F1", false, false, Action{Key: keypad.F1}},
		{"F4", false, false, Action{Key: keypad.F4}},
		{"ArrowUp", false, false, Action{Key: keypad.Up}},
		{"ArrowRight", false, false, Action{Key: keypad.Right}},
		{"Space", false, false, Action{Handset: true}},
		{"Tab", false, false, Action{NextPhone: true}},
		{"Digit3", true, false, Action{Key: keypad.L3}},
		{"Digit8", true, false, Action{Key: keypad.L8}},
		{"Digit1", false, true, Action{Key: keypad.D1}},
		{"Digit0", false, true, Action{Key: keypad.D10}},
	}
	for _, c := range named {
		if got, ok := NamedAction(c.name, c.ctrl, c.alt); !ok || got != c.want {
			t.Errorf("NamedAction(%q, ctrl %v, alt %v) = %+v %v, want %+v", c.name, c.ctrl, c.alt, got, ok, c.want)
		}
	}
	for _, name := range []string{"Digit9", "KeyQ"} {
		if a, ok := NamedAction(name, false, false); ok {
			t.Errorf("plain %s does %+v; digits come as typed characters", name, a)
		}
	}
	if a, ok := NamedAction("Digit9", true, false); ok {
		t.Errorf("Ctrl+9 does %+v; there are 8 line keys", a)
	}
	chars := map[rune]Action{
		'0': {Key: keypad.Digit0}, '7': {Key: keypad.Digit7}, '*': {Key: keypad.Star}, '#': {Key: keypad.Pound},
		'h': {Key: keypad.Hold}, 'H': {Key: keypad.Hold}, 't': {Key: keypad.Transfer}, 'c': {Key: keypad.Conference},
		'm': {Key: keypad.Mute}, 's': {Key: keypad.Speaker}, 'e': {Key: keypad.Headset}, 'v': {Key: keypad.Msg},
		'r': {Key: keypad.Redial}, '+': {Key: keypad.VolumeUp}, '-': {Key: keypad.VolumeDown}, '?': {Help: true},
	}
	for r, want := range chars {
		if got, ok := CharAction(r); !ok || got != want {
			t.Errorf("CharAction(%q) = %+v %v, want %+v", r, got, ok, want)
		}
	}
	if a, ok := CharAction('q'); ok {
		t.Errorf("q does %+v", a)
	}
}

// Every function key of the panel can be reached from the keyboard, and
// every row of the help table says what it does.
func TestEveryPanelKeyHasAKeyboardKey(t *testing.T) {
	reach := map[keypad.Key]bool{}
	for _, a := range byChar {
		reach[a.Key] = true
	}
	for _, a := range byNamed {
		reach[a.Key] = true
	}
	for _, b := range Buttons {
		if !reach[b.Key] {
			t.Errorf("no keyboard key for %v", b.Key)
		}
	}
	for _, b := range Bindings {
		if b.Keys == "" || b.Does == "" {
			t.Errorf("help row %+v is incomplete", b)
		}
	}
	if len(NamedKeys()) < 15 {
		t.Errorf("NamedKeys = %v", NamedKeys())
	}
}
