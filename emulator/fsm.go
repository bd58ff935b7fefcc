package emulator

import (
	"context"

	"github.com/looplab/fsm"
)

// The state machines of a phone. Each is a github.com/looplab/fsm machine;
// events are fired only from the phone's loop, and only enter_ callbacks
// publish (looplab/fsm deadlocks when Event is called from before_/leave_).

// Call FSM events; the states are CallState.String().
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
		{Name: evInvite, Src: []string{CallNew.String()}, Dst: CallCalling.String()},
		{Name: evIncoming, Src: []string{CallNew.String()}, Dst: CallRinging.String()},
		{Name: evProgress, Src: []string{CallCalling.String()}, Dst: CallRingback.String()},
		{Name: evConnected, Src: []string{CallCalling.String(), CallRingback.String(), CallRinging.String()}, Dst: CallTalking.String()},
		{Name: evHold, Src: []string{CallTalking.String()}, Dst: CallHeld.String()},
		{Name: evUnhold, Src: []string{CallHeld.String()}, Dst: CallTalking.String()},
		{Name: evJoin, Src: []string{CallTalking.String()}, Dst: CallConf.String()},
		{Name: evSplit, Src: []string{CallConf.String()}, Dst: CallTalking.String()},
		{Name: evEnd, Src: []string{CallNew.String(), CallCalling.String(), CallRingback.String(), CallRinging.String(), CallTalking.String(), CallHeld.String(), CallConf.String()}, Dst: CallEnded.String()},
	}
}

// Hook events; the states are Hook.String().
const (
	evLift = "lift"
	evHang = "hang"
)

func hookEvents() fsm.Events {
	return fsm.Events{
		{Name: evLift, Src: []string{HookOn.String()}, Dst: HookOff.String()},
		{Name: evHang, Src: []string{HookOff.String()}, Dst: HookOn.String()},
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
		"call":     fsm.NewFSM(CallNew.String(), callEvents(), nil),
		"hook":     fsm.NewFSM(HookOn.String(), hookEvents(), nil),
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
