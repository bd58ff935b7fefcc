package emulator

import "time"

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

// SIPRefusedInDND reports calls the SIP side refused by itself under DND
// (RefuseNew), at most one input a second however many INVITEs came:
// Calls of them, the most recent of which are in Recent, oldest first (at
// most maxHistory). The phone logs them as missed, as it logs the calls it
// refuses in DND itself (onIncoming, recordRefusedInDND).
type SIPRefusedInDND struct {
	Calls  uint64
	Recent []RefusedCall
}

// RefusedCall is one call refused in DND, for the call history.
type RefusedCall struct {
	CallID        string
	RemoteURI     string // From URI
	RemoteDisplay string
	At            time.Time
}

func (SIPRefusedInDND) input() {}

// recordRefusedInDND logs calls refused in DND as a Yealink does: "All
// calls you receive while DND is enabled are logged to your missed calls
// list" (Yealink SIP-T48G user guide, "Do Not Disturb (DND)"): the missed
// count (LCD "Missed N") and a "missed" history entry each, newest first.
// No Missed Call event: the phone never rang, and a flood would otherwise
// send an Action URL per INVITE.
func (s *state) recordRefusedInDND(calls uint64, recent []RefusedCall) {
	s.counters.Missed += calls
	h := make([]HistoryEntry, 0, min(len(recent)+len(s.history), maxHistory))
	for i := len(recent) - 1; i >= 0 && len(h) < maxHistory; i-- {
		r := recent[i]
		h = append(h, HistoryEntry{Kind: "missed", Remote: r.RemoteURI, Display: r.RemoteDisplay, CallID: r.CallID, At: r.At})
	}
	s.history = append(h, s.history[:min(len(s.history), maxHistory-len(h))]...)
}
