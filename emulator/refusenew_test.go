package emulator_test

import (
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/phonesim/phonesim/emulator"
)

// refusingSignaling records what the loop tells a RefuseNew Signaling.
type refusingSignaling struct {
	*recordingSignaling
	mu   sync.Mutex
	told []emulator.NewCallRefusal
}

func (b *refusingSignaling) RefuseNewCalls(r emulator.NewCallRefusal) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.told = append(b.told, r)
}

func (b *refusingSignaling) history() []emulator.NewCallRefusal {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.told)
}

var (
	takes  = emulator.NewCallRefusal{}
	limit  = emulator.NewCallRefusal{Code: 486}
	dnd603 = emulator.NewCallRefusal{Code: 603, DND: true}
)

// The phone tells its SIP side "refuse new calls with code N" exactly while
// onIncoming would answer a new incoming call N without the loop's help,
// and only on a change: 486 at the call-appearance limit, reject_code in
// DND (before any forwarding, as onIncoming), nothing while an always or
// busy forward would answer 302 (its Contact is the loop's), and nothing
// once a call ends below the limit (issue 7: the SIP side refuses such
// INVITEs statelessly on this word).
func TestPhoneTellsSignalingWhenItRefusesNewCalls(t *testing.T) {
	sig := &refusingSignaling{recordingSignaling: &recordingSignaling{}}
	cfg := emulator.Config{
		Identity:        emulator.Identity{Name: "bob", IP: "127.0.0.1"},
		Lines:           []emulator.LineConfig{{User: "1001", Server: "127.0.0.1:5060"}},
		CallAppearances: 2,
		RejectCode:      603,
	}
	p := emulator.New(cfg, sig)
	if err := p.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close(t.Context()) })
	var told []emulator.NewCallRefusal
	want := func(step string, next ...emulator.NewCallRefusal) {
		t.Helper()
		told = append(told, next...)
		if got := sig.history(); !slices.Equal(got, told) {
			t.Fatalf("after %s: told %v, want %v", step, got, told)
		}
	}

	feed(t, p, emulator.SIPIncoming{Ref: "i1", Line: 1, CallID: "c1"})
	want("one call of two")
	feed(t, p, emulator.SIPIncoming{Ref: "i2", Line: 1, CallID: "c2"})
	want("two calls of two", limit)
	// What the SIP side was told is what the loop does with one more.
	feed(t, p, emulator.SIPIncoming{Ref: "i3", Line: 1, CallID: "c3"})
	if !sig.did("Reject i3 486") {
		t.Fatalf("the call beyond the limit was not refused 486: %q", sig.snapshot())
	}
	want("a call refused at the limit")

	feed(t, p, emulator.SetForward{Kind: emulator.ForwardBusy, On: true, Target: "1003"})
	want("busy forward on", takes)
	feed(t, p, emulator.SIPIncoming{Ref: "i4", Line: 1, CallID: "c4"})
	if !sig.did("Redirect i4 1003") {
		t.Fatalf("with busy forward on, the call beyond the limit was not forwarded: %q", sig.snapshot())
	}
	// DND comes before forwarding in onIncoming: its code, forward or not.
	feed(t, p, emulator.SetDND{On: true})
	want("DND on with busy forward on", dnd603)
	feed(t, p, emulator.SIPIncoming{Ref: "i5", Line: 1, CallID: "c5"})
	if !sig.did("Reject i5 603") {
		t.Fatalf("in DND with busy forward on, a new call was not refused 603: %q", sig.snapshot())
	}
	feed(t, p, emulator.SetDND{On: false})
	want("DND off", takes)
	feed(t, p, emulator.SetForward{Kind: emulator.ForwardBusy, On: false})
	want("busy forward off", limit)
	feed(t, p, emulator.SetForward{Kind: emulator.ForwardAlways, On: true, Target: "1003"},
		emulator.SetForward{Kind: emulator.ForwardAlways, On: false})
	want("always forward on and off", takes, limit)
	feed(t, p, emulator.SetDND{On: true})
	want("DND on at the limit", dnd603)

	feed(t, p, emulator.SIPEnded{Ref: "i1", Code: 487, ByRemote: true, Cancelled: true})
	want("a call ended in DND") // still DND: nothing changed for a new call
	feed(t, p, emulator.SetDND{On: false})
	want("DND off below the limit", takes)
	if n := len(p.Snapshot().Calls); n != 1 {
		t.Fatalf("%d calls, want 1", n)
	}
}

// A phone that boots in DND (dnd: true) has told its SIP side by the time
// Start returns, before any call can reach it; one that boots out of DND
// says nothing.
func TestPhoneBootingInDNDRefusesNewCalls(t *testing.T) {
	for _, c := range []struct {
		dnd  bool
		want []emulator.NewCallRefusal
	}{{true, []emulator.NewCallRefusal{{Code: 480, DND: true}}}, {false, nil}} {
		sig := &refusingSignaling{recordingSignaling: &recordingSignaling{}}
		p := emulator.New(emulator.Config{
			Identity: emulator.Identity{Name: "bob", IP: "127.0.0.1"},
			Lines:    []emulator.LineConfig{{User: "1001", Server: "127.0.0.1:5060"}},
			DND:      c.dnd,
		}, sig)
		if err := p.Start(t.Context()); err != nil {
			t.Fatal(err)
		}
		if got := sig.history(); !slices.Equal(got, c.want) {
			t.Errorf("dnd %v: told %v, want %v (480: the default reject_code)", c.dnd, got, c.want)
		}
		_ = p.Close(t.Context())
	}
}

// Calls refused in DND are logged as missed, as on a Yealink ("All calls
// you receive while DND is enabled are logged to your missed calls list"):
// one the loop refuses itself, and those the SIP side refused statelessly
// and reports together (SIPRefusedInDND); each counts in the missed count
// and gets a "missed" history entry, newest first, the history kept at
// 100; none fires Missed Call (the phone never rang).
func TestCallsRefusedInDNDAreLoggedAsMissed(t *testing.T) {
	sig := &recordingSignaling{}
	p := emulator.New(emulator.Config{
		Identity:   emulator.Identity{Name: "bob", IP: "127.0.0.1"},
		Lines:      []emulator.LineConfig{{User: "1001", Server: "127.0.0.1:5060"}},
		DND:        true,
		RejectCode: 480,
	}, sig)
	ev := &events{}
	ev.record(p)
	if err := p.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close(t.Context()) })

	feed(t, p, emulator.SIPIncoming{Ref: "i1", Line: 1, CallID: "c1", RemoteURI: "sip:1002@127.0.0.1", RemoteDisplay: "Carol"})
	if !sig.did("Reject i1 480") {
		t.Fatalf("the call in DND was not refused 480: %q", sig.snapshot())
	}
	s := p.Snapshot()
	if s.Counters.Missed != 1 || len(s.History) != 1 ||
		s.History[0] != (emulator.HistoryEntry{Kind: "missed", Remote: "sip:1002@127.0.0.1", Display: "Carol", CallID: "c1", At: s.History[0].At}) ||
		s.History[0].At.IsZero() {
		t.Fatalf("after a call refused in DND: missed %d, history %+v; want 1 and its missed entry", s.Counters.Missed, s.History)
	}

	recent := make([]emulator.RefusedCall, 100)
	for i := range recent {
		recent[i] = emulator.RefusedCall{CallID: "r" + strconv.Itoa(i), RemoteURI: "sip:flood@127.0.0.1", At: time.Now()}
	}
	feed(t, p, emulator.SIPRefusedInDND{Calls: 150, Recent: recent})
	s = p.Snapshot()
	if s.Counters.Missed != 151 || len(s.History) != 100 || s.History[0].CallID != "r99" || s.History[99].CallID != "r0" ||
		s.History[0].Kind != "missed" {
		t.Fatalf("after 150 calls refused statelessly: missed %d, %d history entries from %q to %q; want 151 and r99..r0",
			s.Counters.Missed, len(s.History), s.History[0].CallID, s.History[len(s.History)-1].CallID)
	}
	settle(t, p, ev)
	if slices.Contains(ev.types(), emulator.EventMissedCall) {
		t.Errorf("a call refused in DND fired Missed Call: %v", ev.types())
	}
}
