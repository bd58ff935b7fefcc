package emulator

import (
	"strconv"
	"strings"
)

// renderLCD draws the screen model from the state: a title, a few lines of
// text, the soft-key labels and the LEDs. Every front end shows this.
func (s *state) renderLCD() LCD {
	lcd := LCD{LEDs: map[string]string{}}
	for _, l := range s.lines {
		led := LEDOff
		if l.fsm.Current() == RegRegistered.String() {
			led = LEDOn
		}
		lcd.LEDs["L"+strconv.Itoa(l.n)] = led
	}
	for _, c := range s.calls {
		key := "L" + strconv.Itoa(c.line)
		switch c.fsm.Current() {
		case CallRinging, CallCalling, CallRingback:
			lcd.LEDs[key] = LEDBlink
		case CallTalking:
			lcd.LEDs[key] = LEDOn
		}
	}
	if s.dnd.Current() == DNDOn {
		lcd.LEDs["DND"] = LEDOn
	}
	newMsgs, waiting := s.messagesWaiting()
	if waiting {
		lcd.LEDs["MSG"] = LEDBlink
	}
	s.dssLEDs(lcd.LEDs)
	if s.audioPath == PathHeadset {
		lcd.LEDs["HEADSET"] = LEDOn
	}
	lcd.SoftKeys = s.softKeyLabels()

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
	case s.dialing != "" || s.hook.Current() == HookOff:
		lcd.Title = "Dial"
		lcd.Lines = append(lcd.Lines, s.dialing)
	default:
		lcd.Title = s.identity.Name
		for _, l := range s.lines {
			lcd.Lines = append(lcd.Lines, "L"+strconv.Itoa(l.n)+" "+l.cfg.User+" "+l.fsm.Current())
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
	switch c.fsm.Current() {
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

// softKeyLabels are F1..F4 for the current state.
func (s *state) softKeyLabels() [4]string {
	switch c := s.focus(); {
	case s.menu != nil && len(s.calls) == 0:
		if s.menu.edit != nil {
			return [4]string{"Save", "", "Delete", "Cancel"}
		}
		return [4]string{"Select", "", "", "Back"}
	case c != nil && c.fsm.Current() == CallRinging:
		fwd := ""
		if s.forwardTarget() != "" {
			fwd = "Forward"
		}
		return [4]string{"Answer", "", fwd, "Reject"}
	case s.transferDialling():
		// F1 REFERs at once, F2 (or OK, POUND) calls the target first,
		// F4 (or X) returns to the held call
		return [4]string{"Blind", "Call", "Delete", "Cancel"}
	case s.xfer != nil && s.xfer.semi:
		// the REFER goes when the target answers
		return [4]string{"", "", "", "Cancel"}
	case s.xfer != nil && s.xfer.consult != nil && !s.xfer.sent:
		// F2 (or F_TRANSFER): attended while the target talks,
		// semi-attended while it rings
		return [4]string{"", "Transfer", "", "Cancel"}
	case c != nil && c.fsm.Current() == CallConf:
		return [4]string{"Split", "", "", "End"}
	case c != nil && c.fsm.Current() == CallTalking:
		conf := ""
		if s.held() != nil {
			conf = "Conf"
		}
		return [4]string{"Hold", "Transfer", conf, "End"}
	case c != nil && c.fsm.Current() == CallHeld:
		return [4]string{"Resume", "Transfer", "", "End"}
	case c != nil:
		return [4]string{"", "", "", "Cancel"}
	case s.dialing != "":
		return [4]string{"Send", "", "Delete", "Cancel"}
	case s.hook.Current() == HookOff:
		return [4]string{"", "", "Redial", "Cancel"}
	}
	return [4]string{"", "", "Redial", "DND"}
}
