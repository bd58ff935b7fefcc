package emulator

import (
	"strconv"
	"strings"
	"time"

	"github.com/phonesim/phonesim/keypad"
)

// The LCD menu: OK in idle opens it; UP/DOWN move, OK/RIGHT select,
// LEFT/X go back, digits fill an edit field. It holds call history
// (missed, received, dialled), DND, forwarding and status.

// HistoryEntry is one call in the phone's call history.
type HistoryEntry struct {
	Kind    string    `json:"kind"` // "missed", "received" or "dialled"
	Remote  string    `json:"remote"`
	Display string    `json:"display,omitempty"`
	CallID  string    `json:"call_id"`
	At      time.Time `json:"at"`
}

// maxHistory is how many calls the history keeps, newest first.
const maxHistory = 100

func (s *state) recordHistory(c *call) {
	e := HistoryEntry{Remote: c.remoteURI, Display: c.remoteDisplay, CallID: c.callID, At: c.started}
	switch {
	case !c.incoming:
		e.Kind = "dialled"
	case !c.answered.IsZero():
		e.Kind = "received"
	default:
		e.Kind = "missed"
	}
	s.history = append([]HistoryEntry{e}, s.history...)
	if len(s.history) > maxHistory {
		s.history = s.history[:maxHistory]
	}
}

// menu levels
const (
	menuRoot    = "Menu"
	menuHistory = "Call history"
	menuDND     = "DND"
	menuForward = "Forward"
	menuStatus  = "Status"
)

var historyKinds = []string{"Missed", "Received", "Dialled"}

type menuLevel struct {
	name   string // one of the menu* names, or a history kind
	cursor int
}

type menu struct {
	stack []menuLevel
	// edit is set while the user types a forwarding target.
	edit *ForwardKind
	text string
}

func (m *menu) top() *menuLevel { return &m.stack[len(m.stack)-1] }

func (s *state) openMenu() {
	s.menu = &menu{stack: []menuLevel{{name: menuRoot}}}
}

// menuItems are the lines the current level lists.
func (s *state) menuItems() []string {
	lv := s.menu.top()
	switch lv.name {
	case menuRoot:
		return []string{menuHistory, menuDND + ": " + onOff(s.dnd.Current() == DNDOn), menuForward, menuStatus}
	case menuHistory:
		return historyKinds
	case menuForward:
		out := make([]string, 3)
		for k, name := range []string{"Always", "Busy", "No answer"} {
			r := s.fwd.rule[k]
			out[k] = name + ": " + onOff(r.On)
			if r.On {
				out[k] += " " + r.Target
			}
		}
		return out
	case menuStatus:
		id := s.identity
		out := []string{"IP " + id.IP, "MAC " + id.MAC, id.Model + " " + id.Firmware}
		for _, l := range s.lines {
			out = append(out, "L"+strconv.Itoa(l.n)+" "+l.cfg.User+" "+l.state().String())
		}
		return out
	}
	// a history list
	kind := strings.ToLower(lv.name)
	var out []string
	for _, e := range s.history {
		if e.Kind == kind {
			out = append(out, strings.TrimPrefix(e.Remote, "sip:"))
		}
	}
	if len(out) == 0 {
		out = []string{"(empty)"}
	}
	return out
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}

// menuKey handles a key while the menu is open; it reports false for keys
// the menu does not take.
func (s *state) menuKey(k keypad.Key) (bool, error) {
	m := s.menu
	if m.edit != nil {
		return s.editKey(k)
	}
	lv := m.top()
	n := len(s.menuItems())
	switch k {
	case keypad.Up:
		lv.cursor = (lv.cursor + n - 1) % n
	case keypad.Down:
		lv.cursor = (lv.cursor + 1) % n
	case keypad.Left, keypad.X: // F4 is SoftBack (softkeys.go)
		s.menuBack()
	case keypad.OK, keypad.Right: // F1 is SoftSelect
		return true, s.menuSelect()
	default:
		// Digits outside an edit field do nothing: they must not leak
		// into the dialling buffer behind the menu.
		_, digit := k.Digit()
		return digit, nil
	}
	return true, nil
}

func (s *state) menuSelect() error {
	m := s.menu
	lv := m.top()
	switch lv.name {
	case menuRoot:
		switch lv.cursor {
		case 0:
			m.stack = append(m.stack, menuLevel{name: menuHistory})
		case 1:
			s.setDND(s.dnd.Current() != DNDOn)
		case 2:
			m.stack = append(m.stack, menuLevel{name: menuForward})
		case 3:
			m.stack = append(m.stack, menuLevel{name: menuStatus})
		}
	case menuHistory:
		m.stack = append(m.stack, menuLevel{name: historyKinds[lv.cursor]})
	case menuForward:
		kind := ForwardKind(lv.cursor)
		if s.fwd.rule[kind].On {
			return s.setForward(SetForward{Kind: kind, On: false})
		}
		m.edit, m.text = &kind, ""
	case menuStatus:
	default: // a history list: call the entry back
		kind := strings.ToLower(lv.name)
		i := 0
		for _, e := range s.history {
			if e.Kind != kind {
				continue
			}
			if i == lv.cursor {
				s.menu = nil
				return s.dial(e.Remote, s.selected)
			}
			i++
		}
	}
	return nil
}

// editKey types a forwarding target: digits, OK saves, X/LEFT cancels,
// F3 deletes.
func (s *state) editKey(k keypad.Key) (bool, error) {
	m := s.menu
	if d, ok := k.Digit(); ok {
		if len(m.text) < maxDialDigits {
			m.text += string(d)
		}
		return true, nil
	}
	switch k {
	case keypad.OK: // F1 is SoftSave, F3 SoftDelete, F4 SoftCancel
		return true, s.editSave()
	case keypad.X, keypad.Left:
		m.edit = nil
	default:
		return false, nil
	}
	return true, nil
}

// menuBack goes up one menu level, out of the menu from the top.
func (s *state) menuBack() {
	m := s.menu
	m.stack = m.stack[:len(m.stack)-1]
	if len(m.stack) == 0 {
		s.menu = nil
	}
}

// editSave saves the forwarding target being typed (none typed: nothing).
func (s *state) editSave() error {
	m := s.menu
	kind := *m.edit
	m.edit = nil
	if m.text == "" {
		return nil
	}
	return s.setForward(SetForward{Kind: kind, On: true, Target: m.text})
}

// renderMenu draws the menu: the title, the items with a cursor mark.
func (s *state) renderMenu(lcd *LCD) {
	m := s.menu
	if m.edit != nil {
		lcd.Title = "Forward " + strings.ReplaceAll(m.edit.String(), "_", " ") + " to"
		lcd.Lines = []string{m.text}
		return
	}
	lv := m.top()
	lcd.Title = lv.name
	for i, it := range s.menuItems() {
		mark := "  "
		if i == lv.cursor {
			mark = "> "
		}
		lcd.Lines = append(lcd.Lines, mark+it)
	}
}
