package emulator

// RefuseNew is implemented by a Signaling that refuses new calls by itself
// while the phone would refuse them anyway: emulator/sipua answers them
// statelessly, below its transaction layer (RFC 3261 §8.2.7), so a flood of
// INVITEs against a phone at its call-appearance limit or in DND costs no
// transaction, goroutine or input (issue 7).
//
// The phone's loop calls RefuseNewCalls after a job that changed what
// onIncoming would answer a new incoming call, and only then. It must not
// block.
type RefuseNew interface {
	RefuseNewCalls(r NewCallRefusal)
}

// NewCallRefusal is what onIncoming answers a new incoming call with right
// now. The zero value: the call reaches the loop (it rings, or is
// forwarded with 302, which needs the loop's target for its Contact).
type NewCallRefusal struct {
	Code int  // SIP status: RejectCode under DND, 486 at the limit; 0 none
	DND  bool // refused because DND is on (else the call-appearance limit)
}

// newCallRefusal is what onIncoming would answer a new incoming call with,
// in onIncoming's order: DND first (RejectCode, whatever forwarding says),
// then an always forward, or a busy forward with a call up (302: not a
// refusal), then the call-appearance limit (refuseOverLimit: 486).
func (s *state) newCallRefusal() NewCallRefusal {
	if s.dnd.Current() == DNDOn {
		return NewCallRefusal{Code: s.p.cfg.RejectCode, DND: true}
	}
	if s.fwd.rule[ForwardAlways].On || (s.fwd.rule[ForwardBusy].On && len(s.calls) > 0) {
		return NewCallRefusal{}
	}
	if len(s.calls) >= s.p.cfg.CallAppearances {
		return NewCallRefusal{Code: statusBusyHere}
	}
	return NewCallRefusal{}
}

// tellRefusal runs in the loop after every job: it tells a RefuseNew
// Signaling when newCallRefusal changed.
func (p *Phone) tellRefusal() {
	r, ok := p.sig.(RefuseNew)
	if !ok {
		return
	}
	if now := p.st.newCallRefusal(); now != p.toldRefusal {
		p.toldRefusal = now
		r.RefuseNewCalls(now)
	}
}
