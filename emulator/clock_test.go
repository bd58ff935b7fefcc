package emulator_test

import (
	"context"
	"testing"
	"time"

	"github.com/phonesim/phonesim/emulator"
	"github.com/phonesim/phonesim/internal/fakeclock"
)

// The phone's timers and timestamps run on the clock of its Config: these
// tests move a fake clock by hand, so a 20 s no-answer forward and a 120 s
// ring timeout take no real time.

var clockStart = time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)

func withClock(c *fakeclock.Clock) func(*emulator.Config) {
	return func(cfg *emulator.Config) { cfg.Clock = c }
}

// armed waits until n timers in all were armed on c.
func armed(t *testing.T, c *fakeclock.Clock, n int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.WaitArmed(ctx, n); err != nil {
		t.Fatalf("%d timers armed, want %d: %v", c.Armed(), n, err)
	}
}

func callState(p *emulator.Phone, ref emulator.CallRef) string {
	for _, c := range p.Snapshot().Calls {
		if c.Ref == ref {
			return c.State
		}
	}
	return ""
}

// A call ringing with no-answer forwarding on (20 s) is redirected when the
// clock reaches 20 s, not a moment before; its events carry the clock's time.
func TestNoAnswerForwardAfter20SecondsOfVirtualTime(t *testing.T) {
	clock := fakeclock.New(clockStart)
	p, ev, sig := phoneWithRecordingSignaling(t, withClock(clock), func(c *emulator.Config) {
		c.Forward = []emulator.SetForward{{Kind: emulator.ForwardNoAnswer, On: true, Target: "1003", RingTimeout: 20 * time.Second}}
	})
	feed(t, p, emulator.SIPIncoming{Ref: "i1", Line: 1, CallID: "c1", RemoteURI: "sip:1002@127.0.0.1"})
	armed(t, clock, 2) // the no-answer forward and the ring timeout

	clock.Advance(20*time.Second - time.Millisecond)
	// Nothing was due, so no timer goroutine started: what the phone has
	// asked for so far is final.
	if sig.did("Redirect i1 1003") {
		t.Fatal("forwarded before the 20 s ring time")
	}
	if got := callState(p, "i1"); got != emulator.CallRinging {
		t.Fatalf("call state %q before 20 s, want ringing", got)
	}
	clock.Advance(time.Millisecond)
	sig.waitDid(t, "Redirect i1 1003")

	incoming := ev.waitEvent(t, emulator.EventIncomingCall)
	if !incoming.At.Equal(clockStart) {
		t.Errorf("Incoming Call at %v, want the clock's %v", incoming.At, clockStart)
	}
	if s := p.Snapshot(); len(s.Calls) == 1 && !s.Calls[0].Started.Equal(clockStart) {
		t.Errorf("call started %v, want the clock's %v", s.Calls[0].Started, clockStart)
	}
	// The SIP side reports the 302 sent: the call ends at the clock's time.
	feed(t, p, emulator.SIPEnded{Ref: "i1", Code: 302})
	settle(t, p, ev)
	l := ev.list()
	if last := l[len(l)-1]; !last.At.Equal(clockStart.Add(20 * time.Second)) {
		t.Errorf("%v at %v, want %v", last.Type, last.At, clockStart.Add(20*time.Second))
	}
}

// An unanswered incoming call rings 120 s (the default ring timeout), then
// gets 480 and is logged as missed.
func TestRingTimeoutAfter120SecondsOfVirtualTime(t *testing.T) {
	clock := fakeclock.New(clockStart)
	p, ev, sig := phoneWithRecordingSignaling(t, withClock(clock))
	feed(t, p, emulator.SIPIncoming{Ref: "i1", Line: 1, CallID: "c1", RemoteURI: "sip:1002@127.0.0.1"})
	armed(t, clock, 1)

	clock.Advance(119 * time.Second)
	if got := callState(p, "i1"); got != emulator.CallRinging {
		t.Fatalf("call state %q after 119 s, want ringing", got)
	}
	if n := countOf(ev, emulator.EventMissedCall); n != 0 {
		t.Fatalf("Missed Call before the ring timeout")
	}
	clock.Advance(time.Second)
	sig.waitDid(t, "Reject i1 480")
	missed := ev.waitEvent(t, emulator.EventMissedCall)
	ev.waitEvent(t, emulator.EventTerminated)
	if n := len(p.Snapshot().Calls); n != 0 {
		t.Errorf("%d calls after the ring timeout, want none", n)
	}
	if want := clockStart.Add(120 * time.Second); !missed.At.Equal(want) {
		t.Errorf("Missed Call at %v, want %v", missed.At, want)
	}
}

// After a successful attended transfer, a target that ignored Replaces
// keeps the consultation call: the phone ends it itself once the
// consultation grace has passed on its clock.
func TestConsultationCallEndedAfterTheGraceInVirtualTime(t *testing.T) {
	clock := fakeclock.New(clockStart)
	p, _, sig := consultedTransfer(t, withClock(clock))
	before := clock.Armed()
	feed(t, p, emulator.SIPTransfer{Ref: "o1", Code: 202}, emulator.SIPTransfer{Ref: "o1", Notify: 200})
	armed(t, clock, before+1)
	if sig.did("Hangup o2") {
		t.Fatal("the consultation call was ended before the grace time")
	}
	clock.Advance(time.Minute)
	sig.waitDid(t, "Hangup o2")
}
