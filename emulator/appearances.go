package emulator

import (
	"time"
)

// DefaultCallAppearances is how many calls a phone holds at once when the
// configuration does not say. Yealink desk phones take
// phone_setting.call_appearance.calls_per_linekey as an "Integer from 0 to
// 24" (T2/T4/T5 administrator's guides, "Multiple Call Appearances"): 24 is
// the most the hardware offers, and "the additional incoming calls will be
// rejected".
const DefaultCallAppearances = 24

// DefaultIncomingRingTimeout is how long an incoming call rings before the
// phone gives up on it with 480 and logs it as missed (issue 7). No-answer
// forwarding, when on, takes the call earlier (DefaultRingTimeout).
const DefaultIncomingRingTimeout = 120 * time.Second

// statusTemporarilyUnavailable is 480 (RFC 3261 §21.4.18: "the callee's end
// system was contacted successfully but the callee is currently
// unavailable"), the answer to a call nobody picked up.
const statusTemporarilyUnavailable = 480

// statusBusyHere is 486 (RFC 3261 §21.4.24: "the callee's end system was
// contacted successfully, but the callee is currently not willing or able
// to take additional calls at this end system").
const statusBusyHere = 486

// refuseOverLimit answers an incoming call 486 Busy Here, without an
// appearance or an Incoming Call event, when every call appearance is
// taken. It reports whether it did.
func (s *state) refuseOverLimit(in SIPIncoming) bool {
	if len(s.calls) < s.p.cfg.CallAppearances {
		return false
	}
	s.p.sig.Reject(in.Ref, statusBusyHere)
	// Debug, not Info: a flood would write one line per INVITE.
	s.p.log.Debug("incoming call rejected: every call appearance is taken",
		"from", in.RemoteURI, "appearances", s.p.cfg.CallAppearances)
	return true
}

// ringExpired is posted by a ringing call's ring timer.
type ringExpired struct{ ref CallRef }

func (ringExpired) input() {}

// armRingTimeout starts the timer that ends c if it still rings after the
// phone's ring timeout.
func (s *state) armRingTimeout(c *call) {
	s.p.after(s.p.cfg.RingTimeout, ringExpired{ref: c.ref})
}

// onRingExpired ends a call that rang out: 480 to the caller, and for the
// phone a call the user missed (Missed Call, then Terminated), as a desk
// phone logs an unanswered call under Missed Calls. The call ends for the
// phone now; the SIP side's own report of the 480 finds no call and is
// ignored.
func (s *state) onRingExpired(in ringExpired) {
	c := s.call(in.ref)
	if c == nil || c.fsm.Current() != CallRinging || c.answering {
		return
	}
	s.p.log.Info("incoming call not answered: ring timeout", "call", c.ref, "after", s.p.cfg.RingTimeout)
	s.p.sig.Reject(c.ref, statusTemporarilyUnavailable)
	// ByRemote marks it missed in onEnded: the user never took it.
	s.onEnded(SIPEnded{Ref: c.ref, Code: statusTemporarilyUnavailable,
		Reason: "Temporarily Unavailable (ring timeout)", ByRemote: true})
}
