package emulator

// Colour lamps: what a desk phone's two-colour key LEDs show. The spec is
// silent on lamps; they follow the Yealink T4x user guide, "LED
// instructions": "Line key LED: solid green - the line is in conversation;
// fast-flashing green - incoming call; slow-flashing green - the call is
// placed on hold", and for a BLF key "solid green - idle; fast-flashing red
// - ringing; solid red - busy", with what the issue asks a screen to tell
// apart (registered, ringing, busy, failed): registered and idle is steady
// green, a call (dialling, ringing out, talking) steady red, a held call
// slow-flashing red, a failed registration amber. The LCD's LED fields
// (LineKeys, DSSKeys) keep the older on/off/blink view the status JSON has.

// LampColor is the colour a two-colour LED shows (red and green together
// are amber); LampDark is off.
type LampColor int

// Lamp colours.
const (
	LampDark LampColor = iota
	LampGreen
	LampRed
	LampAmber
)

var colorNames = names{"dark", "green", "red", "amber"}

func (c LampColor) String() string               { return colorNames.str(int(c)) }
func (c LampColor) MarshalText() ([]byte, error) { return colorNames.marshal(int(c)) }

// LampBlink is how a lamp flashes: steady, fast (200 ms, ringing) or slow
// (1 s, held), the two rates of Yealink T4x LEDs.
type LampBlink int

// Blink rates.
const (
	BlinkSteady LampBlink = iota
	BlinkFast
	BlinkSlow
)

var blinkNames = names{"steady", "fast", "slow"}

func (b LampBlink) String() string               { return blinkNames.str(int(b)) }
func (b LampBlink) MarshalText() ([]byte, error) { return blinkNames.marshal(int(b)) }

// Lamp is one key's LED in colour.
type Lamp struct {
	Color LampColor
	Blink LampBlink
}

// LineLampOf is line key n's lamp given the lines and the calls.
func LineLampOf(lines []LineStatus, calls []CallStatus, n int) Lamp {
	var l Lamp
	for _, ln := range lines {
		if ln.Line != n {
			continue
		}
		switch ln.Registration {
		case RegRegistered:
			l = Lamp{Color: LampGreen}
		case RegFailed:
			l = Lamp{Color: LampAmber}
		}
	}
	for _, c := range calls {
		if c.Line != n {
			continue
		}
		switch c.State {
		case CallRinging: // a waiting call shows over a held one
			return Lamp{Color: LampGreen, Blink: BlinkFast}
		case CallHeld:
			l = Lamp{Color: LampRed, Blink: BlinkSlow}
		case CallEnded:
		default:
			l = Lamp{Color: LampRed}
		}
	}
	return l
}

// DSSLampOf is a DSS key's lamp: a BLF key shows the watched extension,
// other kinds are dark.
func DSSLampOf(d DSSStatus) Lamp {
	if d.Kind != DSSBLF {
		return Lamp{}
	}
	switch d.Lamp {
	case BLFRinging:
		return Lamp{Color: LampRed, Blink: BlinkFast}
	case BLFBusy:
		return Lamp{Color: LampRed}
	}
	return Lamp{Color: LampGreen}
}

// colourLamps fills the LCD's colour lamps from the snapshot's lines,
// calls and DSS keys.
func colourLamps(snap *Snapshot) {
	for n := 1; n <= MaxLines; n++ {
		snap.LCD.LineLamps[n-1] = LineLampOf(snap.Lines, snap.Calls, n)
	}
	for _, d := range snap.DSS {
		if d.Key >= 1 && d.Key <= MaxDSS {
			snap.LCD.DSSLamps[d.Key-1] = DSSLampOf(d)
		}
	}
}
