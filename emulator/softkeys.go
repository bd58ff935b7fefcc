package emulator

import (
	"errors"

	"github.com/phonesim/phonesim/keypad"
)

var errUnhandledSoftAction = errors.New("soft key without a handler")

// SoftAction is what a soft key F1..F4 does. The phone decides, per state,
// which action each key has (softKeyActions); the label drawn above the key
// and the handler that runs when it is pressed both come from the action,
// so renaming a label cannot break a key.
type SoftAction int

// Soft-key actions.
const (
	SoftNone     SoftAction = iota // a blank key: pressing it does nothing
	SoftAnswer                     // answer the ringing call
	SoftReject                     // reject the ringing call (486)
	SoftForward                    // redirect the ringing call (302) to the forward target
	SoftHold                       // hold the call in focus
	SoftResume                     // resume the held call
	SoftTransfer                   // start a transfer, or complete the consultation
	SoftConf                       // join the talking and held calls
	SoftSplit                      // split the conference
	SoftEnd                        // hang up the call in focus
	SoftCancel                     // leave what is under way (dialling, transfer, edit)
	SoftBlind                      // REFER the held call to the typed number at once
	SoftCall                       // call the transfer target first (consultation)
	SoftSend                       // place the call to the typed number
	SoftDelete                     // delete the last typed digit
	SoftRedial                     // redial the last dialled number
	SoftDND                        // toggle do-not-disturb
	SoftSelect                     // menu: open the item under the cursor
	SoftBack                       // menu: up one level
	SoftSave                       // menu edit field: save
)

// softKeyTable is the one table of soft keys: each action's label, as
// Yealink T4x / Fanvil X-series phones print them above F1..F4.
var softKeyTable = [...]struct{ name, label string }{
	SoftNone:     {"none", ""},
	SoftAnswer:   {"answer", "Answer"},
	SoftReject:   {"reject", "Reject"},
	SoftForward:  {"forward", "Forward"},
	SoftHold:     {"hold", "Hold"},
	SoftResume:   {"resume", "Resume"},
	SoftTransfer: {"transfer", "Transfer"},
	SoftConf:     {"conference", "Conf"},
	SoftSplit:    {"split", "Split"},
	SoftEnd:      {"end", "End"},
	SoftCancel:   {"cancel", "Cancel"},
	SoftBlind:    {"blind", "Blind"},
	SoftCall:     {"call", "Call"},
	SoftSend:     {"send", "Send"},
	SoftDelete:   {"delete", "Delete"},
	SoftRedial:   {"redial", "Redial"},
	SoftDND:      {"dnd", "DND"},
	SoftSelect:   {"select", "Select"},
	SoftBack:     {"back", "Back"},
	SoftSave:     {"save", "Save"},
}

// SoftActions lists every soft-key action but SoftNone.
func SoftActions() []SoftAction {
	out := make([]SoftAction, 0, len(softKeyTable)-1)
	for a := SoftNone + 1; int(a) < len(softKeyTable); a++ {
		out = append(out, a)
	}
	return out
}

// Label is the text drawn above a key with this action ("" for SoftNone).
func (a SoftAction) Label() string {
	if a < 0 || int(a) >= len(softKeyTable) {
		return ""
	}
	return softKeyTable[a].label
}

func (a SoftAction) String() string {
	if a < 0 || int(a) >= len(softKeyTable) {
		return "unknown"
	}
	return softKeyTable[a].name
}

// SoftKey is the key (keypad.F1..F4) that shows action a, or false when no
// soft key does: front ends press it with PressKey, the input Active URI
// uses (key=F3), instead of looking for a label.
func (l LCD) SoftKey(a SoftAction) (keypad.Key, bool) {
	for i, b := range l.SoftActions {
		if b == a && a != SoftNone {
			return keypad.F1 + keypad.Key(i), true
		}
	}
	return 0, false
}

// softKeyActions are F1..F4's actions in the current state.
func (s *state) softKeyActions() [4]SoftAction {
	switch c := s.focus(); {
	case s.menu != nil && len(s.calls) == 0:
		if s.menu.edit != nil {
			return [4]SoftAction{SoftSave, SoftNone, SoftDelete, SoftCancel}
		}
		return [4]SoftAction{SoftSelect, SoftNone, SoftNone, SoftBack}
	case c != nil && c.state() == CallRinging:
		fwd := SoftNone
		if s.forwardTarget() != "" {
			fwd = SoftForward
		}
		return [4]SoftAction{SoftAnswer, SoftNone, fwd, SoftReject}
	case s.transferDialling():
		// F1 REFERs at once, F2 (or OK, POUND) calls the target first,
		// F4 (or X) returns to the held call
		return [4]SoftAction{SoftBlind, SoftCall, SoftDelete, SoftCancel}
	case s.xfer != nil && s.xfer.semi:
		// the REFER goes when the target answers
		return [4]SoftAction{SoftNone, SoftNone, SoftNone, SoftCancel}
	case s.xfer != nil && s.xfer.consult != nil && !s.xfer.sent:
		// F2 (or F_TRANSFER): attended while the target talks,
		// semi-attended while it rings
		return [4]SoftAction{SoftNone, SoftTransfer, SoftNone, SoftCancel}
	case c != nil && c.state() == CallConf:
		return [4]SoftAction{SoftSplit, SoftNone, SoftNone, SoftEnd}
	case c != nil && c.state() == CallTalking:
		conf := SoftNone
		if s.held() != nil {
			conf = SoftConf
		}
		return [4]SoftAction{SoftHold, SoftTransfer, conf, SoftEnd}
	case c != nil && c.state() == CallHeld:
		return [4]SoftAction{SoftResume, SoftTransfer, SoftNone, SoftEnd}
	case c != nil:
		return [4]SoftAction{SoftNone, SoftNone, SoftNone, SoftCancel}
	case s.dialing != "":
		return [4]SoftAction{SoftSend, SoftNone, SoftDelete, SoftCancel}
	case s.hookState() == HookOff:
		return [4]SoftAction{SoftNone, SoftNone, SoftRedial, SoftCancel}
	}
	return [4]SoftAction{SoftNone, SoftNone, SoftRedial, SoftDND}
}

// softKey presses F1..F4: it runs the action the key has now.
func (s *state) softKey(n int) error {
	return s.softAction(s.softKeyActions()[n-1])
}

// softAction runs one soft-key action. The switch is on the action, never
// on its label; TestEverySoftActionHasAHandler checks no action falls
// through.
func (s *state) softAction(a SoftAction) error {
	editing := s.menu != nil && s.menu.edit != nil && len(s.calls) == 0
	switch a {
	case SoftNone:
	case SoftAnswer, SoftSend:
		return s.confirm()
	case SoftReject, SoftEnd:
		s.cancel()
	case SoftCancel:
		if editing {
			s.menu.edit = nil
			return nil
		}
		s.cancel()
	case SoftForward:
		if c := s.ringing(); c != nil {
			if t := s.forwardTarget(); t != "" {
				c.endCode, c.endReason = 302, "forwarded"
				s.redirect(c.ref, t, "soft key")
			}
		}
	case SoftHold, SoftResume:
		s.toggleHold()
	case SoftConf:
		return s.conferenceKey()
	case SoftSplit:
		s.splitConference()
	case SoftTransfer:
		return s.transferKey()
	case SoftBlind:
		return s.blindTransfer()
	case SoftCall:
		return s.consultCall()
	case SoftDelete:
		if editing {
			s.menu.text = dropLast(s.menu.text)
			return nil
		}
		s.dialing = dropLast(s.dialing)
	case SoftDND:
		s.setDND(s.dnd.Current() != DNDOn)
	case SoftRedial:
		return s.pressKey(keypad.Redial)
	case SoftSelect:
		if s.menu != nil {
			return s.menuSelect()
		}
	case SoftBack:
		if s.menu != nil {
			s.menuBack()
		}
	case SoftSave:
		if editing {
			return s.editSave()
		}
	default:
		return errUnhandledSoftAction
	}
	return nil
}

func dropLast(digits string) string {
	if digits == "" {
		return ""
	}
	return digits[:len(digits)-1]
}
