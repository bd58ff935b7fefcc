package emulator

import (
	"fmt"
	"time"
)

// EventType is one of the 27 Action URL events of spec §2.4, or an internal
// notification (Key() == "") that front ends use to redraw.
type EventType int

// The 27 events of spec §2.4. Key() is the YAML/config name of the event.
const (
	EventNone EventType = iota
	EventOffHook
	EventOnHook
	EventOutgoingCall
	EventIncomingCall
	EventEstablished
	EventTerminated
	EventMissedCall
	EventDNDOn
	EventDNDOff
	EventAlwaysForwardOn
	EventAlwaysForwardOff
	EventBusyForwardOn
	EventBusyForwardOff
	EventNoAnswerForwardOn
	EventNoAnswerForwardOff
	EventHold
	EventUnhold
	EventRegistered
	EventRegistrationFailed
	EventUnregistered
	EventTransferCall
	EventBlindTransfer
	EventAttendedTransfer
	EventIdleToBusy
	EventBusyToIdle
	EventSetupCompleted
	EventIPChanged
	numActionEvents

	// EventStateChanged is internal: the snapshot changed (LCD, digits,
	// LEDs) without one of the 27 events. Front ends redraw on it.
	EventStateChanged = numActionEvents
)

var eventInfo = [numActionEvents]struct{ key, name string }{
	EventOffHook:            {"off_hook", "Off-hook"},
	EventOnHook:             {"on_hook", "On-hook"},
	EventOutgoingCall:       {"outgoing_call", "Outgoing Call"},
	EventIncomingCall:       {"incoming_call", "Incoming Call"},
	EventEstablished:        {"established", "Established"},
	EventTerminated:         {"terminated", "Terminated"},
	EventMissedCall:         {"missed_call", "Missed Call"},
	EventDNDOn:              {"dnd_on", "Activate DND"},
	EventDNDOff:             {"dnd_off", "De-activate DND"},
	EventAlwaysForwardOn:    {"always_forward_on", "Activate Always Forward"},
	EventAlwaysForwardOff:   {"always_forward_off", "De-activate Always Forward"},
	EventBusyForwardOn:      {"busy_forward_on", "Activate Busy Forward"},
	EventBusyForwardOff:     {"busy_forward_off", "De-activate Busy Forward"},
	EventNoAnswerForwardOn:  {"no_answer_forward_on", "Activate No Answer Forward"},
	EventNoAnswerForwardOff: {"no_answer_forward_off", "De-activate No Answer Forward"},
	EventHold:               {"hold", "Hold"},
	EventUnhold:             {"unhold", "Unhold"},
	EventRegistered:         {"registered", "Registered"},
	EventRegistrationFailed: {"registration_failed", "Registration Failed"},
	EventUnregistered:       {"unregistered", "Unregistered"},
	EventTransferCall:       {"transfer_call", "Transfer Call"},
	EventBlindTransfer:      {"blind_transfer", "Blind Transfer"},
	EventAttendedTransfer:   {"attended_transfer", "Attended Transfer"},
	EventIdleToBusy:         {"idle_to_busy", "Idle to Busy"},
	EventBusyToIdle:         {"busy_to_idle", "Busy to Idle"},
	EventSetupCompleted:     {"setup_completed", "Setup Completed"},
	EventIPChanged:          {"ip_changed", "IP Changed"},
}

// ActionEvents returns the 27 Action URL events in spec order.
func ActionEvents() []EventType {
	out := make([]EventType, 0, numActionEvents-1)
	for t := EventOffHook; t < numActionEvents; t++ {
		out = append(out, t)
	}
	return out
}

// ParseEventKey maps a config key such as "incoming_call" to its event.
func ParseEventKey(key string) (EventType, error) {
	for t := EventOffHook; t < numActionEvents; t++ {
		if eventInfo[t].key == key {
			return t, nil
		}
	}
	return EventNone, fmt.Errorf("unknown event %q", key)
}

// Key is the config name ("incoming_call"); empty for internal events.
func (t EventType) Key() string {
	if t > EventNone && t < numActionEvents {
		return eventInfo[t].key
	}
	return ""
}

// String is the spec's name ("Incoming Call").
func (t EventType) String() string {
	if t > EventNone && t < numActionEvents {
		return eventInfo[t].name
	}
	if t == EventStateChanged {
		return "State Changed"
	}
	return fmt.Sprintf("EventType(%d)", int(t))
}

// Vars are the 12 Action URL variables of spec §2.5 as they stood when the
// event happened. A variable outside its condition is empty.
type Vars struct {
	MAC           string // $mac
	IP            string // $ip
	Model         string // $model
	Firmware      string // $firmware
	ActiveURL     string // $active_url: SIP URI of the active account, during calls
	ActiveUser    string // $active_user
	ActiveHost    string // $active_host
	Local         string // $local: SIP URI of the called party
	Remote        string // $remote: SIP URI of the calling party (incoming calls)
	DisplayLocal  string // $display_local
	DisplayRemote string // $display_remote
	CallID        string // $call_id
}

// VarNames lists the 12 variable names without '$', longest first so that a
// template scanner matching prefixes never takes "$local" for "$loc...".
var VarNames = []string{
	"display_remote", "display_local", "active_user", "active_host",
	"active_url", "firmware", "call_id", "remote", "model", "local", "mac", "ip",
}

// Lookup returns the value of a variable named without '$'.
func (v Vars) Lookup(name string) (string, bool) {
	switch name {
	case "mac":
		return v.MAC, true
	case "ip":
		return v.IP, true
	case "model":
		return v.Model, true
	case "firmware":
		return v.Firmware, true
	case "active_url":
		return v.ActiveURL, true
	case "active_user":
		return v.ActiveUser, true
	case "active_host":
		return v.ActiveHost, true
	case "local":
		return v.Local, true
	case "remote":
		return v.Remote, true
	case "display_local":
		return v.DisplayLocal, true
	case "display_remote":
		return v.DisplayRemote, true
	case "call_id":
		return v.CallID, true
	}
	return "", false
}

// Event is what the phone publishes on each state change.
type Event struct {
	Type  EventType
	Phone string    // the phone's configured name
	Seq   uint64    // 1, 2, 3... per phone, in the order the loop made them
	Line  int       // 1-based line the event concerns; 0 for phone-wide events
	Call  CallRef   // the call it concerns, if any
	Vars  Vars      // variables for URL expansion
	At    time.Time // when the loop made it
	Cause string    // human-readable reason (e.g. "401 Unauthorized")
}
