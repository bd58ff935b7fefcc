package emulator

import (
	"context"
	"encoding/json"
	"iter"
	"maps"
	"strconv"
	"time"

	"github.com/phonesim/phonesim/keypad"
)

// Device is what every front end (headless CLI, Active URI server, GUI, web
// pages, scenario runner) drives. *Phone implements it.
type Device interface {
	// Post queues an input without blocking; safe from any goroutine,
	// including ebiten's Update and SIP handlers.
	Post(in Input)
	// Do queues an input and waits until the loop has applied it.
	Do(ctx context.Context, in Input) error
	// Snapshot returns an immutable copy of the phone's visible state.
	Snapshot() Snapshot
	// Subscribe registers fn for every event from now on. fn runs on a
	// goroutine of its own per subscriber, in event order, never on the
	// loop. cancel stops delivery.
	Subscribe(fn func(Event)) (cancel func())
}

// Input is something the phone's loop applies: a key press, a dial request,
// or a report from the SIP side. The set is closed.
type Input interface{ input() }

// PressKey presses one key (spec §3.2).
type PressKey struct{ Key keypad.Key }

// DialNumber dials a whole number (spec §3.4: number=N&outgoing_uri=user@host).
// Account, if set, picks the line whose "user@server-host" (or user alone)
// matches; otherwise the selected line is used.
type DialNumber struct {
	Number  string
	Account string
}

// SetDND turns do-not-disturb on or off.
type SetDND struct{ On bool }

func (PressKey) input()   {}
func (DialNumber) input() {}
func (SetDND) input()     {}

// Snapshot is an immutable copy of what a user of the phone can see.
type Snapshot struct {
	Identity Identity
	Seq      uint64 // Seq of the last event published
	Hook     Hook
	Busy     bool // at least one call appearance
	DND      bool
	Dialing  string // digits typed before a call is placed
	Selected int    // 1-based line used for the next call
	Volume   int    // 0..9
	Muted    bool
	// AudioPath is where call audio goes: speaker, headset or handset.
	AudioPath AudioPath
	// Voicemail is each line's message-waiting state (RFC 3842).
	Voicemail []VoicemailStatus
	// DSS lists the programmed DSS keys D1..D10.
	DSS []DSSStatus
	// Provision is the last auto-provisioning run (key=AutoP).
	Provision ProvisionStatus
	Lines     []LineStatus
	Calls     []CallStatus
	LCD       LCD
	Counters  Counters
	// Forward is each forwarding condition, indexed by ForwardKind.
	Forward [3]ForwardStatus
	// History is the call history, newest first (at most 100 calls).
	History []HistoryEntry
	// Pending is what the phone waits for from the network ("" when it
	// has settled); see WaitSettled.
	Pending string
}

// Identity is what $mac, $ip, $model and $firmware expand to.
type Identity struct {
	Name     string `json:"name"`
	MAC      string `json:"mac"`
	IP       string `json:"ip"`
	Model    string `json:"model"`
	Firmware string `json:"firmware"`
}

// LineStatus is one line key's account and registration.
type LineStatus struct {
	Line         int      `json:"line"`
	User         string   `json:"user"`
	Server       string   `json:"server"`
	URI          string   `json:"uri"`
	DisplayName  string   `json:"display_name"`
	Registration RegState `json:"registration"`
	LastCode     int      `json:"last_code,omitempty"`
	LastError    string   `json:"last_error,omitempty"`
}

// CallStatus is one call appearance.
type CallStatus struct {
	Ref           CallRef   `json:"ref"`
	Line          int       `json:"line"`
	Direction     string    `json:"direction"` // "incoming" or "outgoing"
	State         CallState `json:"state"`     // call FSM state
	CallID        string    `json:"call_id"`
	LocalURI      string    `json:"local_uri"`
	LocalDisplay  string    `json:"local_display,omitempty"`
	RemoteURI     string    `json:"remote_uri"`
	RemoteDisplay string    `json:"remote_display,omitempty"`
	Started       time.Time `json:"started"`
	Answered      time.Time `json:"answered,omitzero"`
	RemoteHeld    bool      `json:"remote_held"` // the far end holds this call
	RTPIn         uint64    `json:"rtp_in"`
	RTPOut        uint64    `json:"rtp_out"`
	DTMFIn        uint64    `json:"dtmf_in"`
	DTMFOut       uint64    `json:"dtmf_out"`
	Codec         string    `json:"codec,omitempty"`
	media         *MediaStats
}

// Counters are totals since the phone started.
type Counters struct {
	Events        uint64 `json:"events"`
	CallsIn       uint64 `json:"calls_in"`
	CallsOut      uint64 `json:"calls_out"`
	Missed        uint64 `json:"missed"`
	Registrations uint64 `json:"registrations"`
}

// LCD is the screen model shared by every front end: a few lines of text,
// the four soft keys and the LEDs.
type LCD struct {
	Title string   `json:"title"`
	Lines []string `json:"lines"`
	// SoftKeys are the labels above F1..F4 ("" for none); SoftActions
	// what each does (SoftNone for none). Both come from one table
	// (softKeyTable), so a label cannot drift from its action.
	SoftKeys    [4]string     `json:"soft_keys"`
	SoftActions [4]SoftAction `json:"-"`
	// LineKeys are the line keys' LEDs, L1 first, one per configured line:
	// on registered or talking, blinking ringing, off otherwise.
	LineKeys []LED `json:"-"`
	// DSSKeys are D1..D10's LEDs: a BLF key blinks while its extension
	// rings and is on while it is busy.
	DSSKeys [10]LED `json:"-"`
	// LineLamps and DSSLamps are the same keys in colour, as a desk phone
	// draws them (lamps.go): what the GUI shows.
	LineLamps [MaxLines]Lamp `json:"-"`
	DSSLamps  [MaxDSS]Lamp   `json:"-"`
	// MSG blinks while messages wait; DND and Headset are on while
	// do-not-disturb is on and while the audio is on the headset.
	MSG, DND, Headset LED `json:"-"`
}

// LEDs yields the LEDs as the status JSON has always named them: "L1"..
// for every configured line, "D1".., "MSG", "DND" and "HEADSET" while lit.
func (l LCD) LEDs() iter.Seq2[string, LED] {
	return func(yield func(string, LED) bool) {
		for i, led := range l.LineKeys {
			if !yield(lineNames[i], led) {
				return
			}
		}
		for i, led := range l.DSSKeys {
			if led.Lit() && !yield(dssNames[i], led) {
				return
			}
		}
		for _, f := range [...]struct {
			name string
			led  LED
		}{{"MSG", l.MSG}, {"DND", l.DND}, {"HEADSET", l.Headset}} {
			if f.led.Lit() && !yield(f.name, f.led) {
				return
			}
		}
	}
}

// lineNames and dssNames are the keys' names, "L1".. and "D1"...
var lineNames, dssNames = keyNames("L", MaxLines), keyNames("D", MaxDSS)

func keyNames(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = prefix + strconv.Itoa(i+1)
	}
	return out
}

// LEDMap is LEDs as a map.
func (l LCD) LEDMap() map[string]LED {
	return maps.Collect(l.LEDs())
}

// LED is the LED named as in LEDMap ("L1".."L8", "D1".."D10", "MSG",
// "DND", "HEADSET"); false for any other name. A line key without an
// account is off.
func (l LCD) LED(name string) (LED, bool) {
	switch name {
	case "MSG":
		return l.MSG, true
	case "DND":
		return l.DND, true
	case "HEADSET":
		return l.Headset, true
	}
	if len(name) < 2 || name[1] == '0' {
		return LEDOff, false
	}
	n, err := strconv.Atoi(name[1:])
	if err != nil {
		return LEDOff, false
	}
	switch {
	case name[0] == 'L' && n >= 1 && n <= MaxLines:
		if n <= len(l.LineKeys) {
			return l.LineKeys[n-1], true
		}
		return LEDOff, true
	case name[0] == 'D' && n >= 1 && n <= len(l.DSSKeys):
		return l.DSSKeys[n-1], true
	}
	return LEDOff, false
}

// MarshalJSON writes the LEDs as the map "leds" (see LEDMap).
func (l LCD) MarshalJSON() ([]byte, error) {
	type plain LCD
	return json.Marshal(struct {
		plain
		LEDs map[string]LED `json:"leds"`
	}{plain(l), l.LEDMap()})
}
