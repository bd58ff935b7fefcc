package emulator

import (
	"strconv"
	"strings"
)

// renderLCD draws the screen model from the state: a title, a few lines of
// text, the soft-key labels and the LEDs. Every front end shows this.
func (s *state) renderLCD() LCD {
	var lcd LCD
	lcd.LineKeys = make([]LED, len(s.lines))
	for i, l := range s.lines {
		if l.state() == RegRegistered {
			lcd.LineKeys[i] = LEDOn
		}
	}
	for _, c := range s.calls {
		if c.line < 1 || c.line > len(lcd.LineKeys) {
			continue
		}
		switch c.state() {
		case CallRinging, CallCalling, CallRingback:
			lcd.LineKeys[c.line-1] = LEDBlink
		case CallTalking:
			lcd.LineKeys[c.line-1] = LEDOn
		}
	}
	if s.dnd.Current() == DNDOn {
		lcd.DND = LEDOn
	}
	newMsgs, waiting := s.messagesWaiting()
	if waiting {
		lcd.MSG = LEDBlink
	}
	s.dssLEDs(&lcd.DSSKeys)
	if s.audioPath == PathHeadset {
		lcd.Headset = LEDOn
	}
	lcd.SoftActions = s.softKeyActions()
	for i, a := range lcd.SoftActions {
		lcd.SoftKeys[i] = a.Label()
	}

	switch c := s.focus(); {
	case s.menu != nil && len(s.calls) == 0:
		s.renderMenu(&lcd)
	case s.transferDialling():
		lcd.Title = "Transfer to"
		lcd.Lines = append(lcd.Lines, s.dialing)
	case c != nil:
		who := c.remoteDisplay
		if who == "" {
			who = c.remoteURI
		}
		lcd.Title = callTitle(c)
		lcd.Lines = append(lcd.Lines, who, strings.TrimPrefix(c.remoteURI, "sip:"))
		if len(s.calls) > 1 {
			lcd.Lines = append(lcd.Lines, strconv.Itoa(len(s.calls))+" calls")
		}
	case s.dialing != "" || s.hookState() == HookOff:
		lcd.Title = "Dial"
		lcd.Lines = append(lcd.Lines, s.dialing)
	default:
		lcd.Title = s.identity.Name
		for _, l := range s.lines {
			lcd.Lines = append(lcd.Lines, "L"+strconv.Itoa(l.n)+" "+l.cfg.User+" "+l.state().String())
		}
		if s.dnd.Current() == DNDOn {
			lcd.Lines = append(lcd.Lines, "DND")
		}
		if waiting && newMsgs > 0 {
			lcd.Lines = append(lcd.Lines, newMessagesLine(newMsgs))
		}
	}
	if x := s.xfer; x != nil && x.semi && !x.sent {
		lcd.Lines = append(lcd.Lines, "Transfer when answered")
	}
	if c := s.focus(); c != nil && c.remoteHeld {
		lcd.Lines = append(lcd.Lines, "Held by remote")
	}
	if s.muted {
		lcd.Lines = append(lcd.Lines, "Muted")
	}
	if s.notice != "" {
		lcd.Lines = append(lcd.Lines, s.notice)
	}
	return lcd
}

func callTitle(c *call) string {
	switch c.state() {
	case CallRinging:
		return "Incoming call"
	case CallCalling, CallNew:
		return "Calling"
	case CallRingback:
		return "Ringing"
	case CallTalking:
		return "Talking"
	case CallHeld:
		return "On hold"
	case CallConf:
		return "Conference"
	}
	return "Call ended"
}
