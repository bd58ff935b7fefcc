package emulator

import (
	"context"
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
	Hook     string // "on_hook" or "off_hook"
	Busy     bool   // at least one call appearance
	DND      bool
	Dialing  string // digits typed before a call is placed
	Selected int    // 1-based line used for the next call
	Volume   int    // 0..9
	Muted    bool
	// AudioPath is where call audio goes: "speaker", "headset" or
	// "handset".
	AudioPath string
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
	Line         int    `json:"line"`
	User         string `json:"user"`
	Server       string `json:"server"`
	URI          string `json:"uri"`
	DisplayName  string `json:"display_name"`
	Registration string `json:"registration"` // RegState.String()
	LastCode     int    `json:"last_code,omitempty"`
	LastError    string `json:"last_error,omitempty"`
}

// CallStatus is one call appearance.
type CallStatus struct {
	Ref           CallRef   `json:"ref"`
	Line          int       `json:"line"`
	Direction     string    `json:"direction"` // "incoming" or "outgoing"
	State         string    `json:"state"`     // call FSM state
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

// LED states.
const (
	LEDOff   = "off"
	LEDOn    = "on"
	LEDBlink = "blink"
)

// LCD is the screen model shared by every front end: a few lines of text,
// the four soft-key labels and the LEDs.
type LCD struct {
	Title    string            `json:"title"`
	Lines    []string          `json:"lines"`
	SoftKeys [4]string         `json:"soft_keys"`
	LEDs     map[string]string `json:"leds"` // "L1".."L8", "MSG", "POWER", "D1".. -> LED state
}
