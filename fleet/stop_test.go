package fleet

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"
)

// Stopping a 200-phone block: every phone unregisters (the registrar keeps
// no binding), within StopBudget, and the report says so in one line.
func TestCloseUnregistersEveryPhoneOfABlock(t *testing.T) {
	fl, _ := startBlock(t, 200, "")
	if n := len(fl.Registrar.Bindings()); n != 200 {
		t.Fatalf("%d bindings before the stop, want 200", n)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := fl.Close(ctx); err != nil {
		t.Fatalf("Close: %v", err)
	}
	r := fl.Stopped()
	if r.Phones != 200 || r.Registered != 200 || r.Unregistered != 200 || len(r.Failed) != 0 {
		t.Errorf("report %+v, want 200 phones registered and unregistered", r)
	}
	if r.Took > StopBudget+time.Second {
		t.Errorf("phones took %v to stop, budget %v", r.Took, StopBudget)
	}
	if n := len(fl.Registrar.Bindings()); n != 0 {
		t.Errorf("%d bindings left after the stop", n)
	}
	if l := r.Lines(); len(l) != 1 || l[0] != fmt.Sprintf("unregistered 200 of 200 phones in %v", r.Took.Round(10*time.Millisecond)) {
		t.Errorf("summary %q", l)
	}
}

// The summary groups phones by the innermost cause, most phones first,
// names them when there are at most three, and counts add up.
func TestStopReportLines(t *testing.T) {
	late := fmt.Errorf("unregister line 1 (100): %w", fmt.Errorf("fail to get response req=%q : %w", "REGISTER sip:x SIP/2.0", context.DeadlineExceeded))
	refused := fmt.Errorf("unregister line 1 (7): %w", errors.New("SIP/2.0 403 Forbidden"))
	var outcomes []phoneStop
	for i := range 10 {
		o := phoneStop{name: fmt.Sprint("p", i), registered: i < 9}
		switch {
		case i < 5: // unregistered
		case i < 9:
			o.err = late
		default: // never registered, and stopping it failed
			o.err = errors.Join(refused, errors.New("close: socket"))
		}
		outcomes = append(outcomes, o)
	}
	r := summarise(outcomes, 1500*time.Millisecond, 1234*time.Millisecond)
	want := []string{
		"unregistered 5 of 10 phones in 1.23s (1 had no line registered)",
		"4 not confirmed within 1.5s: context deadline exceeded",
		"1 failed (p9): SIP/2.0 403 Forbidden",
	}
	if got := r.Lines(); !reflect.DeepEqual(got, want) {
		t.Errorf("lines\n%q\nwant\n%q", got, want)
	}
	total := r.Unregistered
	for _, f := range r.Failed {
		total += len(f.Phones)
	}
	if total != r.Phones {
		t.Errorf("counts add up to %d of %d", total, r.Phones)
	}
}
