package emulator

import (
	"context"
	"errors"
	"flag"
	"os"
	"testing"

	"github.com/looplab/fsm"
)

var update = flag.Bool("update", false, "rewrite docs/fsm.md")

func TestFSMTransitions(t *testing.T) {
	for _, tc := range []struct {
		machine, from, event, want string
		wantErr                    bool
	}{
		{"call", CallNew.String(), evInvite, CallCalling.String(), false},
		{"call", CallNew.String(), evIncoming, CallRinging.String(), false},
		{"call", CallCalling.String(), evProgress, CallRingback.String(), false},
		{"call", CallRingback.String(), evConnected, CallTalking.String(), false},
		{"call", CallCalling.String(), evConnected, CallTalking.String(), false}, // 200 without 180
		{"call", CallRinging.String(), evConnected, CallTalking.String(), false},
		{"call", CallRinging.String(), evEnd, CallEnded.String(), false},
		{"call", CallTalking.String(), evEnd, CallEnded.String(), false},
		{"call", CallNew.String(), evEnd, CallEnded.String(), false}, // INVITE never sent
		{"call", CallRinging.String(), evProgress, CallRinging.String(), true},
		{"call", CallEnded.String(), evConnected, CallEnded.String(), true},
		{"call", CallTalking.String(), evIncoming, CallTalking.String(), true},
		{"call", CallTalking.String(), evHold, CallHeld.String(), false},
		{"call", CallHeld.String(), evUnhold, CallTalking.String(), false},
		{"call", CallHeld.String(), evEnd, CallEnded.String(), false},
		{"call", CallRinging.String(), evHold, CallRinging.String(), true},
		{"call", CallHeld.String(), evHold, CallHeld.String(), true},
		{"call", CallTalking.String(), evJoin, CallConf.String(), false},
		{"call", CallConf.String(), evSplit, CallTalking.String(), false},
		{"call", CallConf.String(), evEnd, CallEnded.String(), false},
		{"call", CallHeld.String(), evJoin, CallHeld.String(), true},
		{"hook", HookOn.String(), evLift, HookOff.String(), false},
		{"hook", HookOff.String(), evHang, HookOn.String(), false},
		{"hook", HookOff.String(), evLift, HookOff.String(), true},
		{"activity", ActivityIdle, evBusy, ActivityBusy, false},
		{"activity", ActivityBusy, evIdle, ActivityIdle, false},
		{"activity", ActivityBusy, evBusy, ActivityBusy, true},
		{"dnd", DNDOff, evDNDOn, DNDOn, false},
		{"dnd", DNDOn, evDNDOff, DNDOff, false},
		{"dnd", DNDOn, evDNDOn, DNDOn, true},
		{"line", "unregistered", evRegister, "registering", false},
		{"line", "registering", evRegistered, "registered", false},
		{"line", "registering", evRegFailed, "failed", false},
		{"line", "failed", evRegistered, "registered", false},
		{"line", "registered", evRegFailed, "failed", false},
		{"line", "registered", evUnregister, "unregistered", false},
		{"line", "failed", evRegFailed, "failed", true},
		{"line", "unregistered", evUnregister, "unregistered", true},
	} {
		m := Machines()[tc.machine]
		m.SetState(tc.from)
		err := m.Event(context.Background(), tc.event)
		if (err != nil) != tc.wantErr {
			t.Errorf("%s %s --%s--> err %v, wantErr %v", tc.machine, tc.from, tc.event, err, tc.wantErr)
		}
		if err != nil {
			var inv fsm.InvalidEventError
			if !errors.As(err, &inv) {
				t.Errorf("%s %s --%s--> %T, want InvalidEventError", tc.machine, tc.from, tc.event, err)
			}
		}
		if got := m.Current(); got != tc.want {
			t.Errorf("%s %s --%s--> %s, want %s", tc.machine, tc.from, tc.event, got, tc.want)
		}
	}
}

func TestFSMDocIsCurrent(t *testing.T) {
	want, err := FSMMarkdown()
	if err != nil {
		t.Fatal(err)
	}
	const path = "../docs/fsm.md"
	if *update {
		if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run: go test ./emulator -run TestFSMDocIsCurrent -update)", err)
	}
	if string(got) != want {
		t.Fatal("docs/fsm.md is stale: run go test ./emulator -run TestFSMDocIsCurrent -update")
	}
}
