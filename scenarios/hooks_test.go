package scenarios

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/phonesim/phonesim/emulator"
	"github.com/phonesim/phonesim/phonesimtest"
)

// The hooks a GUI uses: OnStart gets the very phones the steps drive
// before the first step, OnStep reports each step running and then its
// outcome with file:line and the tally, and OnEnd sees the result while
// those phones are still up (registered), before they close.
func TestHooksExposePhonesAndProgress(t *testing.T) {
	var (
		started *phonesimtest.Phones
		seen    []string
		ended   *Result
		endReg  string
	)
	res := Run(context.Background(), load(t, "basic_call.yaml"), Options{
		OnStart: func(_ context.Context, ps *phonesimtest.Phones) {
			started = ps
			if len(seen) != 0 {
				t.Errorf("OnStart after a step: %v", seen)
			}
		},
		OnStep: func(p Progress) { seen = append(seen, p.String()) },
		OnEnd: func(_ context.Context, r *Result) {
			ended = r
			endReg = started.Phone("1002").Snapshot().Lines[0].Registration.String()
		},
	})
	if !res.Passed {
		t.Fatalf("basic_call failed: %s", res.Message())
	}
	if started == nil || started.Phone("1001") == nil || started.Phone("1002") == nil {
		t.Fatalf("OnStart got %v, want the demo's 1001 and 1002", started)
	}
	if ended != res {
		t.Errorf("OnEnd got %p, want the result %p", ended, res)
	}
	if endReg != emulator.RegRegistered.String() {
		t.Errorf("bob's line in OnEnd: %q, want registered (phones still up)", endReg)
	}
	want := []string{
		"basic_call.yaml:4 step 1/8: alice (1001) gets an Active URI request: number=1002&outgoing_uri=1001@127.0.0.1 — running (0 passed, 0 failed)",
		"basic_call.yaml:4 step 1/8: alice (1001) gets an Active URI request: number=1002&outgoing_uri=1001@127.0.0.1 — passed (1 passed, 0 failed)",
		"basic_call.yaml:5 step 2/8: bob (1002) should send Incoming Call with $remote = *1001* — running (1 passed, 0 failed)",
	}
	if len(seen) != 16 {
		t.Fatalf("OnStep called %d times, want 16 (8 steps, before and after):\n%v", len(seen), seen)
	}
	for i, w := range want {
		if seen[i] != w {
			t.Errorf("OnStep #%d:\n got %s\nwant %s", i+1, seen[i], w)
		}
	}
	if last := seen[15]; last != "basic_call.yaml:11 step 8/8: bob (1002) should send Terminated — passed (8 passed, 0 failed)" {
		t.Errorf("last OnStep: %s", last)
	}
}

// A failing step is reported failed with the failure counted; the skipped
// steps after it are not reported as running.
func TestOnStepReportsTheFailure(t *testing.T) {
	var last Progress
	n := 0
	res := Run(context.Background(), load(t, "testdata/wrong_event.yaml"), Options{
		OnStep: func(p Progress) { last = p; n++ },
	})
	if res.Passed {
		t.Fatal("wrong_event passed")
	}
	got := fmt.Sprintf("%s %s, %d passed, %d failed", last.Where(), last.Status, last.Passed, last.Failed)
	if want := fmt.Sprintf("testdata/wrong_event.yaml:6 failed, %d passed, 1 failed", last.Index-1); got != want {
		t.Errorf("last progress: %s, want %s", got, want)
	}
	if n != 2*last.Index {
		t.Errorf("OnStep called %d times for %d steps run: the skipped ones were reported", n, last.Index)
	}
}

// With StepIn, OnStep says "waiting" before the step reads its Enter;
// once the input ends the run goes on without waiting.
func TestOnStepWaitsForEnter(t *testing.T) {
	var statuses []string
	res := Run(context.Background(), load(t, "basic_call.yaml"), Options{
		StepIn: strings.NewReader("\n"),
		OnStep: func(p Progress) { statuses = append(statuses, fmt.Sprintf("%d %s", p.Index, p.Status)) },
	})
	if !res.Passed {
		t.Fatalf("basic_call failed: %s", res.Message())
	}
	want := "1 waiting,1 running,1 passed,2 waiting,2 running,2 passed,3 running"
	if got := strings.Join(statuses[:7], ","); got != want {
		t.Errorf("OnStep:\n got %s\nwant %s", got, want)
	}
}
