package emulator

import (
	"fmt"

	"github.com/phonesim/phonesim/keypad"
)

// maxDialDigits bounds the predial buffer like a real LCD does.
const maxDialDigits = 64

// pressKey applies one key (spec §3.2); docs/events.md (Keys) says what
// each does. A key with nothing to do in the current state (F_HOLD with no
// call, VOLUME_UP at 9) is accepted and changes nothing, as on the phone.
func (s *state) pressKey(k keypad.Key) error {
	if !k.Valid() {
		return fmt.Errorf("invalid key %d", int(k))
	}
	s.notice = ""
	if s.menu != nil && len(s.calls) == 0 {
		if handled, err := s.menuKey(k); handled {
			return err
		}
	}
	if d, ok := k.Digit(); ok {
		return s.digit(d)
	}
	if n, ok := k.Line(); ok {
		return s.lineKey(n)
	}
	if n, ok := k.SoftKey(); ok {
		return s.softKey(n)
	}
	if n, ok := k.DSS(); ok {
		return s.dssKey(n)
	}
	switch k {
	case keypad.OK:
		return s.confirm()
	case keypad.Reboot:
		return s.reboot()
	case keypad.AutoP:
		return s.autoProvision()
	case keypad.Hold:
		s.toggleHold()
	case keypad.Conference:
		return s.conferenceKey()
	case keypad.Transfer:
		return s.transferKey()
	case keypad.Speaker:
		return s.handsFree(PathSpeaker)
	case keypad.Headset:
		return s.handsFree(PathHeadset)
	case keypad.X:
		s.cancel()
	case keypad.Redial:
		if s.lastDialed == "" {
			return fmt.Errorf("nothing to redial")
		}
		return s.dial(s.lastDialed, s.lastDialLn)
	case keypad.DNDOn:
		s.setDND(true)
	case keypad.DNDOff:
		s.setDND(false)
	case keypad.VolumeUp:
		s.volume = min(s.volume+1, 9)
	case keypad.VolumeDown:
		s.volume = max(s.volume-1, 0)
	case keypad.Mute:
		s.muted = !s.muted
		if s.p.sig != nil {
			s.p.sig.Mute(s.muted)
		}
	case keypad.Msg:
		if l := s.lineN(s.selected); l != nil && l.cfg.Voicemail != "" && len(s.calls) == 0 {
			return s.dial(l.cfg.Voicemail, l.n)
		}
	}
	return nil
}

func (s *state) ringing() *call {
	for _, c := range s.calls {
		if c.state() == CallRinging {
			return c
		}
	}
	return nil
}

func (s *state) talking() *call {
	for i := len(s.calls) - 1; i >= 0; i-- {
		if s.calls[i].state() == CallTalking {
			return s.calls[i]
		}
	}
	return nil
}

// digit: in a call it is an RFC 4733 DTMF digit; otherwise it goes into the
// predial buffer.
func (s *state) digit(d rune) error {
	if s.transferDialling() {
		// typing the transfer target; '#' sends it, as OK does
		if d == '#' && s.dialing != "" {
			return s.consultCall()
		}
		if len(s.dialing) < maxDialDigits {
			s.dialing += string(d)
		}
		return nil
	}
	if c := s.talking(); c != nil {
		s.p.sig.SendDTMF(c.ref, d)
		return nil
	}
	if s.busyDialling() {
		return nil
	}
	if len(s.dialing) >= maxDialDigits {
		return fmt.Errorf("number longer than %d digits", maxDialDigits)
	}
	s.dialing += string(d)
	return nil
}

// confirm is OK/Enter: answer a ringing call, or send the typed number.
func (s *state) confirm() error {
	if c := s.ringing(); c != nil {
		s.answerWaiting(c)
		return nil
	}
	if s.transferDialling() {
		// F_TRANSFER, digits, OK: the consultation call (blind is
		// F_TRANSFER again)
		return s.consultCall()
	}
	if s.dialing != "" && !s.busyDialling() {
		// a new call; calls on hold stay on hold
		return s.dial(s.dialing, s.selected)
	}
	if len(s.calls) == 0 && s.hookState() == HookOn {
		s.openMenu()
	}
	return nil
}

// handsFree is the SPEAKER or HEADSET key (path says which). It answers a
// ringing call on that path; in a call it moves the audio to that path, or
// hangs up when the call is already there (pressing SPEAKER again ends a
// hands-free call); idle it toggles the hook (dial tone). Typed digits wait
// for OK, as on the real phone.
func (s *state) handsFree(path AudioPath) error {
	if c := s.ringing(); c != nil {
		s.audioPath = path
		s.answerWaiting(c)
		return nil
	}
	if len(s.calls) > 0 {
		if s.audioPath != path {
			s.audioPath = path
			return nil
		}
		if c := s.focus(); c != nil {
			s.hangup(c)
		}
		return nil
	}
	if s.hookState() == HookOn {
		s.audioPath = path
		fire(s.hook, evLift)
	} else {
		s.dialing = ""
		fire(s.hook, evHang)
	}
	return nil
}

// cancel is X: reject a ringing call, end the call in focus, or clear the
// typed number and go back on hook.
func (s *state) cancel() {
	if c := s.ringing(); c != nil {
		s.hangup(c)
		return
	}
	if s.xfer != nil {
		s.cancelTransfer()
		return
	}
	if conf := s.inConference(); len(conf) > 0 {
		// X ends the whole conference.
		for _, c := range conf {
			s.hangup(c)
		}
		return
	}
	if c := s.focus(); c != nil {
		s.hangup(c)
		return
	}
	s.dialing = ""
	fire(s.hook, evHang)
}

// lineKey selects the line for the next call; idle, it also lifts the hook
// on that line like a real line key.
func (s *state) lineKey(n int) error {
	if s.lineN(n) == nil {
		return fmt.Errorf("line L%d has no account", n)
	}
	// A call on this line: answer it if it rings, resume it if held.
	for _, c := range s.calls {
		if c.line != n {
			continue
		}
		switch c.state() {
		case CallRinging:
			s.answerWaiting(c)
			return nil
		case CallHeld:
			s.resume(c)
			return nil
		}
	}
	s.selected = n
	if len(s.calls) == 0 {
		fire(s.hook, evLift)
	}
	return nil
}

// forwardTarget is where the ringing soft key Forward sends a call: the
// no-answer target, else the always or busy one.
func (s *state) forwardTarget() string {
	for _, k := range []ForwardKind{ForwardNoAnswer, ForwardAlways, ForwardBusy} {
		if r := s.fwd.rule[k]; r.On {
			return r.Target
		}
	}
	return ""
}

// busyDialling reports a call that leaves no room for a new one: ringing,
// being placed, or in a conference. Held calls do not count: with a call
// on hold the user can dial another, as on a real phone.
func (s *state) busyDialling() bool {
	for _, c := range s.calls {
		switch c.state() {
		case CallHeld:
		default:
			return true
		}
	}
	return false
}
