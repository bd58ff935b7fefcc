package emulator

import (
	"fmt"
	"time"
)

// ForwardKind is one of the three call-forwarding conditions of spec §2.4.
type ForwardKind int

// The forwarding conditions.
const (
	ForwardAlways   ForwardKind = iota // every call
	ForwardBusy                        // calls arriving while the phone is busy
	ForwardNoAnswer                    // calls not answered within the ring timeout
)

func (k ForwardKind) String() string {
	switch k {
	case ForwardAlways:
		return "always"
	case ForwardBusy:
		return "busy"
	case ForwardNoAnswer:
		return "no_answer"
	}
	return fmt.Sprintf("ForwardKind(%d)", int(k))
}

// SetForward turns one forwarding condition on (to Target) or off. For
// ForwardNoAnswer, RingTimeout (default 20 s) is how long a call rings
// before it is forwarded.
type SetForward struct {
	Kind        ForwardKind
	On          bool
	Target      string
	RingTimeout time.Duration
}

func (SetForward) input() {}

// ForwardStatus is one condition as the status API shows it.
type ForwardStatus struct {
	On     bool   `json:"on"`
	Target string `json:"target,omitempty"`
}

// forwarding holds the three conditions.
type forwarding struct {
	rule        [3]ForwardStatus
	ringTimeout time.Duration
}

// DefaultRingTimeout is how long a call rings before no-answer forwarding.
const DefaultRingTimeout = 20 * time.Second

var forwardEvents = [3][2]EventType{
	ForwardAlways:   {EventAlwaysForwardOff, EventAlwaysForwardOn},
	ForwardBusy:     {EventBusyForwardOff, EventBusyForwardOn},
	ForwardNoAnswer: {EventNoAnswerForwardOff, EventNoAnswerForwardOn},
}

func (s *state) setForward(in SetForward) error {
	if in.Kind < ForwardAlways || in.Kind > ForwardNoAnswer {
		return fmt.Errorf("unknown forwarding kind %d", int(in.Kind))
	}
	if in.On && in.Target == "" {
		return fmt.Errorf("forwarding %s needs a target", in.Kind)
	}
	r := &s.fwd.rule[in.Kind]
	was := r.On
	r.On = in.On
	if in.On {
		r.Target = in.Target
	}
	if in.Kind == ForwardNoAnswer && in.RingTimeout > 0 {
		s.fwd.ringTimeout = in.RingTimeout
	}
	if was != in.On {
		s.emit(forwardEvents[in.Kind][b2i(in.On)], 0, nil)
	}
	return nil
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// forwardIncoming decides, before an incoming call rings, whether it is
// forwarded at once: always, or busy while another call exists.
func (s *state) forwardIncoming(in SIPIncoming) bool {
	if r := s.fwd.rule[ForwardAlways]; r.On {
		s.redirect(in.Ref, r.Target, "always")
		return true
	}
	if r := s.fwd.rule[ForwardBusy]; r.On && len(s.calls) > 0 {
		s.redirect(in.Ref, r.Target, "busy")
		return true
	}
	return false
}

func (s *state) redirect(ref CallRef, target, why string) {
	s.p.log.Info("forwarding call", "call", ref, "to", target, "rule", why)
	s.p.sig.Redirect(ref, target)
}

// ringTimeout is posted by the no-answer timer.
type ringTimeout struct{ ref CallRef }

func (ringTimeout) input() {}

// armNoAnswer starts the no-answer timer of a ringing call.
func (s *state) armNoAnswer(c *call) {
	if !s.fwd.rule[ForwardNoAnswer].On {
		return
	}
	d := s.fwd.ringTimeout
	if d <= 0 {
		d = DefaultRingTimeout
	}
	s.p.after(d, ringTimeout{ref: c.ref})
}

func (s *state) onRingTimeout(in ringTimeout) {
	c := s.call(in.ref)
	r := s.fwd.rule[ForwardNoAnswer]
	if c == nil || !r.On || c.fsm.Current() != CallRinging || c.answering {
		return
	}
	c.endCode, c.endReason = 302, "forwarded on no answer"
	s.redirect(c.ref, r.Target, "no_answer")
}
