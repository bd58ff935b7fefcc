package layout

import (
	"fmt"
	"strconv"
	"time"

	"github.com/phonesim/phonesim/emulator"
	"github.com/phonesim/phonesim/keypad"
)

// This file turns the core's typed snapshot (emulator.CallState, RegState,
// Hook, AudioPath, the LCD's LED fields) into what the screen draws: lamp
// colours and blink rates, the status bar, the LCD text.

// Color of a lamp. Line keys have two-colour LEDs (red and green; both
// together show amber).
type Color int

const (
	Dark Color = iota
	Green
	Red
	Amber
)

// Blink periods of emulator.BlinkFast and BlinkSlow, as Yealink T4x LEDs:
// fast 200 ms for ringing, slow 1 s for held.
const (
	Steady = 0
	Fast   = 200 * time.Millisecond
	Slow   = time.Second
)

// Lamp is one LED: its colour and blink period (0 steady).
type Lamp struct {
	Color Color
	Blink time.Duration
}

// Lit reports whether the lamp shows its colour at time t.
func (l Lamp) Lit(t time.Time) bool {
	if l.Color == Dark {
		return false
	}
	if l.Blink == 0 {
		return true
	}
	return (t.UnixMilli()/l.Blink.Milliseconds())%2 == 0
}

// LineLamp is line key n's LED as the core colours it
// (emulator.LineLampOf: registered green, ringing green fast, a call red,
// held red slow, failed amber, no account dark).
func LineLamp(s emulator.Snapshot, n int) Lamp {
	if n < 1 || n > len(s.LCD.LineLamps) {
		return Lamp{}
	}
	return lampOf(s.LCD.LineLamps[n-1])
}

// DSSLamp is DSS key n's lamp as the core colours it (emulator.DSSLampOf:
// BLF idle green, ringing red fast, busy red; other keys dark).
func DSSLamp(s emulator.Snapshot, n int) Lamp {
	if n < 1 || n > len(s.LCD.DSSLamps) {
		return Lamp{}
	}
	return lampOf(s.LCD.DSSLamps[n-1])
}

// lampOf draws a core lamp: its colour, and its blink rate as a period.
func lampOf(l emulator.Lamp) Lamp {
	out := Lamp{Color: map[emulator.LampColor]Color{emulator.LampGreen: Green, emulator.LampRed: Red, emulator.LampAmber: Amber}[l.Color]}
	if out.Color != Dark {
		out.Blink = map[emulator.LampBlink]time.Duration{emulator.BlinkFast: Fast, emulator.BlinkSlow: Slow}[l.Blink]
	}
	return out
}

// DSSLabel is the text beside DSS key n: its label, else its value.
func DSSLabel(s emulator.Snapshot, n int) string {
	for _, d := range s.DSS {
		if d.Key == n {
			if d.Label != "" {
				return d.Label
			}
			return d.Value
		}
	}
	return ""
}

// KeyLamp is the LED of a function key: MSG blinks red while messages wait
// (the core's "MSG" LED), HEADSET and SPEAKER are green on their audio
// path while off hook, MUTE red while muted.
func KeyLamp(s emulator.Snapshot, k keypad.Key) Lamp {
	switch k {
	case keypad.Msg:
		if s.LCD.MSG == emulator.LEDBlink {
			return Lamp{Color: Red, Blink: Slow}
		}
	case keypad.Headset:
		if s.LCD.Headset == emulator.LEDOn {
			return Lamp{Color: Green}
		}
	case keypad.Speaker:
		if s.Hook == emulator.HookOff && s.AudioPath == emulator.PathSpeaker {
			return Lamp{Color: Green}
		}
	case keypad.Mute:
		if s.Muted {
			return Lamp{Color: Red}
		}
	}
	if n, ok := k.Line(); ok {
		return LineLamp(s, n)
	}
	if n, ok := k.DSS(); ok {
		return DSSLamp(s, n)
	}
	return Lamp{}
}

// HandsetLifted reports whether the handset is out of its cradle: off hook
// with the audio on the handset.
func HandsetLifted(s emulator.Snapshot) bool {
	return s.Hook == emulator.HookOff && s.AudioPath == emulator.PathHandset
}

// Status is the LCD's status bar.
type Status struct {
	Time      string // "15:04"
	Line      string // the selected line: "L1 1001"
	LineState Color  // its registration: Green registered, Amber failed, Dark other
	DND       bool
	Forward   bool // any forwarding condition on
	Missed    int  // missed calls since start
	Voicemail int  // new voice messages, all lines
}

// StatusOf reads the status bar from a snapshot at time now.
func StatusOf(s emulator.Snapshot, now time.Time) Status {
	st := Status{Time: now.Format("15:04"), DND: s.DND, Missed: int(s.Counters.Missed)}
	for _, l := range s.Lines {
		if l.Line == s.Selected {
			st.Line = "L" + strconv.Itoa(l.Line) + " " + l.User
			switch l.Registration {
			case emulator.RegRegistered:
				st.LineState = Green
			case emulator.RegFailed:
				st.LineState = Amber
			}
		}
	}
	for _, f := range s.Forward {
		st.Forward = st.Forward || f.On
	}
	for _, v := range s.Voicemail {
		st.Voicemail += v.New
	}
	return st
}

// Screen text of the LCD below the status bar.
type LCDText struct {
	Title    string
	Lines    []string
	Duration string // the call's duration "01:23", when a call is up
	SoftKeys [4]string
}

// LCDOf is the LCD's text: the core's title, lines and soft keys, plus
// the duration of the call in focus once answered.
func LCDOf(s emulator.Snapshot, now time.Time) LCDText {
	t := LCDText{Title: s.LCD.Title, Lines: s.LCD.Lines, SoftKeys: s.LCD.SoftKeys}
	for _, c := range s.Calls {
		if c.Answered.IsZero() || c.State == emulator.CallEnded {
			continue
		}
		t.Duration = Duration(now.Sub(c.Answered))
	}
	return t
}

// Duration is "mm:ss", or "h:mm:ss" past an hour.
func Duration(d time.Duration) string {
	d = max(d, 0).Truncate(time.Second)
	h, m, sec := int(d.Hours()), int(d.Minutes())%60, int(d.Seconds())%60
	if h > 0 {
		return fmt.Sprintf("%d:%02d:%02d", h, m, sec)
	}
	return fmt.Sprintf("%02d:%02d", m, sec)
}

// Period is how often the picture of a phone changes with time alone:
// the fastest blinking lamp, or a second while a call's duration runs;
// 0 when only events change it (the GUI then draws nothing until one
// comes, apart from the status bar's clock each minute).
func Period(s emulator.Snapshot) time.Duration {
	var p time.Duration
	shorter := func(d time.Duration) {
		if d > 0 && (p == 0 || d < p) {
			p = d
		}
	}
	for _, c := range s.Calls {
		if !c.Answered.IsZero() && c.State != emulator.CallEnded {
			shorter(time.Second)
		}
	}
	for n := 1; n <= 8; n++ {
		shorter(LineLamp(s, n).Blink)
	}
	for n := 1; n <= 10; n++ {
		shorter(DSSLamp(s, n).Blink)
	}
	for _, k := range []keypad.Key{keypad.Msg, keypad.Headset, keypad.Speaker, keypad.Mute} {
		shorter(KeyLamp(s, k).Blink)
	}
	return p
}
