package emulator

// BusyHere is implemented by a Signaling that refuses new calls by itself
// while the phone would refuse them anyway: emulator/sipua answers them 486
// Busy Here statelessly, below its transaction layer (RFC 3261 §8.2.7), so
// a flood of INVITEs against a phone at its limit costs no transaction,
// goroutine or input (issue 7).
//
// The phone's loop calls SetBusyHere(true) once every call appearance is
// taken and a new incoming call would get 486 from refuseOverLimit, and
// SetBusyHere(false) once that stops; only on a change. It must not block.
type BusyHere interface {
	SetBusyHere(full bool)
}

// busyHere reports whether onIncoming would answer a new incoming call 486
// because of the call-appearance limit. It follows onIncoming's order: DND
// answers with its own code (RejectCode) and an always or busy forward
// with 302 before the limit is looked at, so with either on the SIP side
// must pass new INVITEs to the loop.
func (s *state) busyHere() bool {
	if s.dnd.Current() == DNDOn || s.fwd.rule[ForwardAlways].On {
		return false
	}
	if s.fwd.rule[ForwardBusy].On && len(s.calls) > 0 {
		return false
	}
	return len(s.calls) >= s.p.cfg.CallAppearances
}

// tellBusyHere runs in the loop after every job: it tells a BusyHere
// Signaling when busyHere changed.
func (p *Phone) tellBusyHere() {
	b, ok := p.sig.(BusyHere)
	if !ok {
		return
	}
	if full := p.st.busyHere(); full != p.toldBusyHere {
		p.toldBusyHere = full
		b.SetBusyHere(full)
	}
}
