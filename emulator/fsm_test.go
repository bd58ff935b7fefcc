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
		{"call", CallNew, evInvite, CallCalling, false},
		{"call", CallNew, evIncoming, CallRinging, false},
		{"call", CallCalling, evProgress, CallRingback, false},
		{"call", CallRingback, evConnected, CallTalking, false},
		{"call", CallCalling, evConnected, CallTalking, false}, // 200 without 180
		{"call", CallRinging, evConnected, CallTalking, false},
		{"call", CallRinging, evEnd, CallEnded, false},
		{"call", CallTalking, evEnd, CallEnded, false},
		{"call", CallNew, evEnd, CallEnded, false}, // INVITE never sent
		{"call", CallRinging, evProgress, CallRinging, true},
		{"call", CallEnded, evConnected, CallEnded, true},
		{"call", CallTalking, evIncoming, CallTalking, true},
		{"call", CallTalking, evHold, CallHeld, false},
		{"call", CallHeld, evUnhold, CallTalking, false},
		{"call", CallHeld, evEnd, CallEnded, false},
		{"call", CallRinging, evHold, CallRinging, true},
		{"call", CallHeld, evHold, CallHeld, true},
		{"call", CallTalking, evJoin, CallConf, false},
		{"call", CallConf, evSplit, CallTalking, false},
		{"call", CallConf, evEnd, CallEnded, false},
		{"call", CallHeld, evJoin, CallHeld, true},
		{"hook", HookOn, evLift, HookOff, false},
		{"hook", HookOff, evHang, HookOn, false},
		{"hook", HookOff, evLift, HookOff, true},
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
