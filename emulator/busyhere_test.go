package emulator_test

import (
	"slices"
	"sync"
	"testing"

	"github.com/phonesim/phonesim/emulator"
)

// busyHereSignaling records what the loop tells a BusyHere Signaling.
type busyHereSignaling struct {
	*recordingSignaling
	mu   sync.Mutex
	told []bool
}

func (b *busyHereSignaling) SetBusyHere(full bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.told = append(b.told, full)
}

func (b *busyHereSignaling) history() []bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.told)
}

// The phone tells its SIP side "busy here" exactly while a new incoming
// call would get 486 from the call-appearance limit, and only on a
// change: not while DND or an always/busy forward would answer it
// otherwise (those must still reach the loop), and no longer once a call
// ends (issue 7: the SIP side refuses INVITEs beyond the limit
// statelessly on this word).
func TestPhoneTellsSignalingWhenBusyHere(t *testing.T) {
	sig := &busyHereSignaling{recordingSignaling: &recordingSignaling{}}
	cfg := emulator.Config{
		Identity:        emulator.Identity{Name: "bob", IP: "127.0.0.1"},
		Lines:           []emulator.LineConfig{{User: "1001", Server: "127.0.0.1:5060"}},
		CallAppearances: 2,
	}
	p := emulator.New(cfg, sig)
	if err := p.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close(t.Context()) })
	want := func(step string, told ...bool) {
		t.Helper()
		if got := sig.history(); !slices.Equal(got, told) {
			t.Fatalf("after %s: told %v, want %v", step, got, told)
		}
	}

	feed(t, p, emulator.SIPIncoming{Ref: "i1", Line: 1, CallID: "c1"})
	want("one call of two")
	feed(t, p, emulator.SIPIncoming{Ref: "i2", Line: 1, CallID: "c2"})
	want("two calls of two", true)
	// What the SIP side was told is what the loop does with one more.
	feed(t, p, emulator.SIPIncoming{Ref: "i3", Line: 1, CallID: "c3"})
	if !sig.did("Reject i3 486") {
		t.Fatalf("the call beyond the limit was not refused 486: %q", sig.snapshot())
	}
	want("a call refused at the limit", true)

	feed(t, p, emulator.SetForward{Kind: emulator.ForwardBusy, On: true, Target: "1003"})
	want("busy forward on", true, false)
	feed(t, p, emulator.SIPIncoming{Ref: "i4", Line: 1, CallID: "c4"})
	if !sig.did("Redirect i4 1003") {
		t.Fatalf("with busy forward on, the call beyond the limit was not forwarded: %q", sig.snapshot())
	}
	feed(t, p, emulator.SetForward{Kind: emulator.ForwardBusy, On: false})
	want("busy forward off", true, false, true)
	feed(t, p, emulator.SetForward{Kind: emulator.ForwardAlways, On: true, Target: "1003"},
		emulator.SetForward{Kind: emulator.ForwardAlways, On: false})
	want("always forward on and off", true, false, true, false, true)
	feed(t, p, emulator.SetDND{On: true})
	want("DND on", true, false, true, false, true, false)
	feed(t, p, emulator.SetDND{On: false})
	want("DND off", true, false, true, false, true, false, true)

	feed(t, p, emulator.SIPEnded{Ref: "i1", Code: 487, ByRemote: true, Cancelled: true})
	want("a call ended", true, false, true, false, true, false, true, false)
	if n := len(p.Snapshot().Calls); n != 1 {
		t.Fatalf("%d calls, want 1", n)
	}
}
