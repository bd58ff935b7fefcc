package emulator

import (
	"context"

	"github.com/looplab/fsm"
)

// The state machines of a phone. Each is a github.com/looplab/fsm machine;
// events are fired only from the phone's loop, and only enter_ callbacks
// publish (looplab/fsm deadlocks when Event is called from before_/leave_).

// Call appearance states.
const (
	CallNew      = "new"        // created, INVITE not sent yet
	CallCalling  = "calling"    // outgoing INVITE sent
	CallRingback = "ringback"   // outgoing, 180/183 received
	CallRinging  = "ringing"    // incoming, 180 sent, waiting for the user
	CallTalking  = "talking"    // established
	CallHeld     = "held"       // established, put on hold by this phone
	CallConf     = "conference" // established, mixed into a local conference
	CallEnded    = "ended"
)

// Call FSM events.
const (
	evInvite    = "invite"    // INVITE sent
	evIncoming  = "incoming"  // INVITE received
	evProgress  = "progress"  // 180/183 received
	evConnected = "connected" // 200 OK + ACK either way
	evEnd       = "end"       // BYE, CANCEL, error, reject
	evHold      = "hold"      // our hold re-INVITE succeeded
	evUnhold    = "unhold"    // our resume re-INVITE succeeded
	evJoin      = "join"      // mixed into the local conference
	evSplit     = "split"     // taken out of the conference
)

func callEvents() fsm.Events {
	return fsm.Events{
		{Name: evInvite, Src: []string{CallNew}, Dst: CallCalling},
		{Name: evIncoming, Src: []string{CallNew}, Dst: CallRinging},
		{Name: evProgress, Src: []string{CallCalling}, Dst: CallRingback},
		{Name: evConnected, Src: []string{CallCalling, CallRingback, CallRinging}, Dst: CallTalking},
		{Name: evHold, Src: []string{CallTalking}, Dst: CallHeld},
		{Name: evUnhold, Src: []string{CallHeld}, Dst: CallTalking},
		{Name: evJoin, Src: []string{CallTalking}, Dst: CallConf},
		{Name: evSplit, Src: []string{CallConf}, Dst: CallTalking},
		{Name: evEnd, Src: []string{CallNew, CallCalling, CallRingback, CallRinging, CallTalking, CallHeld, CallConf}, Dst: CallEnded},
	}
}

// Hook states and events.
const (
	HookOn  = "on_hook"
	HookOff = "off_hook"
	evLift  = "lift"
	evHang  = "hang"
)

func hookEvents() fsm.Events {
	return fsm.Events{
		{Name: evLift, Src: []string{HookOn}, Dst: HookOff},
		{Name: evHang, Src: []string{HookOff}, Dst: HookOn},
	}
}

// Activity states and events: busy while any call appearance exists.
const (
	ActivityIdle = "idle"
	ActivityBusy = "busy"
	evBusy       = "busy"
	evIdle       = "idle"
)

func activityEvents() fsm.Events {
	return fsm.Events{
		{Name: evBusy, Src: []string{ActivityIdle}, Dst: ActivityBusy},
		{Name: evIdle, Src: []string{ActivityBusy}, Dst: ActivityIdle},
	}
}

// DND states and events.
const (
	DNDOff   = "dnd_off"
	DNDOn    = "dnd_on"
	evDNDOn  = "activate"
	evDNDOff = "deactivate"
)

func dndEvents() fsm.Events {
	return fsm.Events{
		{Name: evDNDOn, Src: []string{DNDOff}, Dst: DNDOn},
		{Name: evDNDOff, Src: []string{DNDOn}, Dst: DNDOff},
	}
}

// Line registration events; states are RegState.String().
const (
	evRegister   = "register"
	evRegistered = "registered"
	evRegFailed  = "failed"
	evUnregister = "unregister"
)

func lineEvents() fsm.Events {
	un, ing, ok, bad := RegUnregistered.String(), RegRegistering.String(), RegRegistered.String(), RegFailed.String()
	return fsm.Events{
		{Name: evRegister, Src: []string{un}, Dst: ing},
		{Name: evRegistered, Src: []string{un, ing, bad}, Dst: ok},
		{Name: evRegFailed, Src: []string{un, ing, ok}, Dst: bad},
		{Name: evUnregister, Src: []string{ing, ok, bad}, Dst: un},
	}
}

// Machines returns a fresh instance of each state machine, by name, for
// documentation (docs/fsm.md is generated from them).
func Machines() map[string]*fsm.FSM {
	return map[string]*fsm.FSM{
		"call":     fsm.NewFSM(CallNew, callEvents(), nil),
		"hook":     fsm.NewFSM(HookOn, hookEvents(), nil),
		"activity": fsm.NewFSM(ActivityIdle, activityEvents(), nil),
		"dnd":      fsm.NewFSM(DNDOff, dndEvents(), nil),
		"line":     fsm.NewFSM(RegUnregistered.String(), lineEvents(), nil),
	}
}

// fire runs an FSM event from the loop. A transition that does not apply in
// the current state (InvalidEventError, NoTransitionError) is not a failure:
// it reports false.
func fire(m *fsm.FSM, event string) bool {
	return m.Event(context.Background(), event) == nil
}
