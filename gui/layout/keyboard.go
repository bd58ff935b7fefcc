package layout

import (
	"strings"

	"github.com/phonesim/phonesim/keypad"
)

// Action is what a keyboard key does to the phone the keyboard drives.
type Action struct {
	Key       keypad.Key // press this key of the phone
	Handset   bool       // lift or replace the handset
	Backspace bool       // delete the last typed digit
	Help      bool       // show or hide the help overlay
	NextPhone bool       // the keyboard drives the next shown phone
}

// Binding is one row of the keyboard map: the keys, and what they do. The
// help overlay prints this table, so it cannot drift from what the keys do.
type Binding struct {
	Keys   string // as printed in the help overlay
	Does   string
	Action Action
	// chars typed, and named keys (ebiten's key names: "Enter", "F1"),
	// that trigger it
	chars []rune
	named []string
}

// Bindings is the keyboard map. Letters are case-insensitive.
var Bindings = []Binding{
	{Keys: "0–9 * #", Does: "keypad digits", chars: []rune("0123456789*#")},
	{Keys: "Enter", Does: "OK", Action: Action{Key: keypad.OK}, named: []string{"Enter", "NumpadEnter"}},
	{Keys: "Escape", Does: "X (cancel, hang up)", Action: Action{Key: keypad.X}, named: []string{"Escape"}},
	{Keys: "Backspace", Does: "delete the last digit", Action: Action{Backspace: true}, named: []string{"Backspace"}},
	{Keys: "F1–F4", Does: "soft keys under the LCD", named: []string{"F1", "F2", "F3", "F4"}},
	{Keys: "arrows", Does: "navigation", named: []string{"ArrowUp", "ArrowDown", "ArrowLeft", "ArrowRight"}},
	{Keys: "Space", Does: "lift / replace the handset", Action: Action{Handset: true}, named: []string{"Space"}},
	{Keys: "H", Does: "HOLD", Action: Action{Key: keypad.Hold}, chars: []rune("hH")},
	{Keys: "T", Does: "TRANSFER", Action: Action{Key: keypad.Transfer}, chars: []rune("tT")},
	{Keys: "C", Does: "CONFERENCE", Action: Action{Key: keypad.Conference}, chars: []rune("cC")},
	{Keys: "M", Does: "MUTE", Action: Action{Key: keypad.Mute}, chars: []rune("mM")},
	{Keys: "S", Does: "SPEAKER", Action: Action{Key: keypad.Speaker}, chars: []rune("sS")},
	{Keys: "E", Does: "HEADSET (earpiece)", Action: Action{Key: keypad.Headset}, chars: []rune("eE")},
	{Keys: "V", Does: "MSG (voicemail)", Action: Action{Key: keypad.Msg}, chars: []rune("vV")},
	{Keys: "R", Does: "RD (redial)", Action: Action{Key: keypad.Redial}, chars: []rune("rR")},
	{Keys: "+ −", Does: "VOL+ / VOL−", chars: []rune("+-")},
	{Keys: "Ctrl+1–8", Does: "line keys L1–L8", named: ctrlDigits("Ctrl+", 8)},
	{Keys: "Alt+1–0", Does: "DSS keys D1–D10", named: ctrlDigits("Alt+", 10)},
	{Keys: "Tab", Does: "drive the next phone", Action: Action{NextPhone: true}, named: []string{"Tab"}},
	{Keys: "?", Does: "this help", Action: Action{Help: true}, chars: []rune("?")},
}

func ctrlDigits(prefix string, n int) []string {
	var out []string
	for i := 1; i <= n; i++ {
		out = append(out, prefix+"Digit"+string(rune('0'+i%10)))
	}
	return out
}

var (
	byChar  = map[rune]Action{}
	byNamed = map[string]Action{}
)

func init() {
	for _, b := range Bindings {
		for _, r := range b.chars {
			byChar[r] = actionFor(b, string(r))
		}
		for _, n := range b.named {
			byNamed[n] = actionFor(b, n)
		}
	}
}

// actionFor resolves the rows whose action depends on which key of the row
// was used (digits, F1–F4, arrows, volume, line and DSS keys).
func actionFor(b Binding, key string) Action {
	if b.Action != (Action{}) {
		return b.Action
	}
	name := key
	if d, ok := strings.CutPrefix(key, "Ctrl+Digit"); ok {
		name = "L" + d
	} else if d, ok := strings.CutPrefix(key, "Alt+Digit"); ok {
		if d == "0" {
			d = "10"
		}
		name = "D" + d
	} else {
		name = map[string]string{"ArrowUp": "UP", "ArrowDown": "DOWN", "ArrowLeft": "LEFT", "ArrowRight": "RIGHT",
			"+": "VOLUME_UP", "-": "VOLUME_DOWN", "#": "POUND"}[key] + ""
		if name == "" {
			name = key
		}
	}
	k, err := keypad.Parse(name)
	if err != nil {
		panic("layout: binding " + b.Keys + ": " + err.Error())
	}
	return Action{Key: k}
}

// CharAction is what typing r does (typed characters follow the keyboard
// layout, so '*' and '#' work wherever they are).
func CharAction(r rune) (Action, bool) {
	a, ok := byChar[r]
	return a, ok
}

// NamedAction is what pressing the named key does, with Ctrl or Alt held;
// name is ebiten's key name ("Enter", "F1", "ArrowUp", "Digit3").
func NamedAction(name string, ctrl, alt bool) (Action, bool) {
	switch {
	case ctrl:
		name = "Ctrl+" + name
	case alt:
		name = "Alt+" + name
	}
	a, ok := byNamed[name]
	return a, ok
}

// NamedKeys lists every key name NamedAction knows (without modifiers), so
// the GUI polls only these.
func NamedKeys() []string {
	seen := map[string]bool{}
	var out []string
	for n := range byNamed {
		_, n2, ok := strings.Cut(n, "+")
		if !ok {
			n2 = n
		}
		if !seen[n2] {
			seen[n2] = true
			out = append(out, n2)
		}
	}
	return out
}
