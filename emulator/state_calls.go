package emulator

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/looplab/fsm"
)

// ErrNoSIP is returned when a call is asked of a phone with no SIP side.
var ErrNoSIP = errors.New("phone has no SIP signaling")

// ErrUnknownAccount is returned when outgoing_uri names no line's account
// (spec §3.4); it is the request's fault, not the phone's.
var ErrUnknownAccount = errors.New("no line has that account")

func (s *state) onRegistration(in SIPRegistration) {
	l := s.lineN(in.Line)
	if l == nil {
		s.p.log.Warn("registration report for unknown line", "line", in.Line)
		return
	}
	l.code, l.err = in.Code, in.Err
	switch in.State {
	case RegRegistering:
		fire(l.fsm, evRegister)
	case RegRegistered:
		fire(l.fsm, evRegistered)
	case RegFailed:
		// A retry that fails again stays in failed without a second event.
		fire(l.fsm, evRegFailed)
	case RegUnregistered:
		fire(l.fsm, evUnregister)
	}
}

// newCall creates an appearance; init sets its fields (who, which line)
// before the phone becomes busy with its first, so that Idle to Busy
// carries them.
func (s *state) newCall(ref CallRef, ln int, incoming bool, init func(c *call)) *call {
	c := &call{ref: ref, line: ln, incoming: incoming, started: s.p.cfg.Clock.Now()}
	c.fsm = fsm.NewFSM(CallNew.String(), callEvents(), fsm.Callbacks{
		"enter_" + CallCalling.String(): func(context.Context, *fsm.Event) {
			s.counters.CallsOut++
			s.emit(EventOutgoingCall, 0, c)
		},
		"enter_" + CallRinging.String(): func(context.Context, *fsm.Event) {
			s.counters.CallsIn++
			s.emit(EventIncomingCall, 0, c)
		},
		"enter_" + CallTalking.String(): func(_ context.Context, e *fsm.Event) {
			switch e.Src {
			case CallHeld.String():
				s.emit(EventUnhold, 0, c)
				return
			case CallConf.String(): // split from a conference: still the same call
				return
			}
			c.answered = s.p.cfg.Clock.Now()
			s.emit(EventEstablished, 0, c)
		},
		"enter_" + CallHeld.String(): func(context.Context, *fsm.Event) { s.emit(EventHold, 0, c) },
		"enter_" + CallEnded.String(): func(context.Context, *fsm.Event) {
			s.recordHistory(c)
			if c.missed {
				s.counters.Missed++
				s.pushCause(EventMissedCall, c)
			}
			s.pushCause(EventTerminated, c)
		},
	})
	init(c)
	s.calls = append(s.calls, c)
	fire(s.activity, evBusy)
	return c
}

func (s *state) pushCause(t EventType, c *call) {
	ev := s.event(t, 0, c)
	if c.endCode != 0 {
		ev.Cause = strconv.Itoa(c.endCode) + " " + c.endReason
	} else {
		ev.Cause = c.endReason
	}
	s.push(ev)
}

// removeCall drops an ended appearance; the phone goes idle, and back on
// hook, with its last.
func (s *state) removeCall(c *call) {
	for i, x := range s.calls {
		if x == c {
			s.calls = append(s.calls[:i], s.calls[i+1:]...)
			break
		}
	}
	if len(s.calls) == 0 {
		fire(s.activity, evIdle)
		if s.dialing == "" {
			fire(s.hook, evHang)
		}
	}
}

func (s *state) onIncoming(in SIPIncoming) {
	if s.call(in.Ref) != nil {
		return
	}
	if s.dnd.Current() == DNDOn {
		// A phone in DND turns callers away at once (486 Busy Here by
		// default), shows no appearance and logs the call as missed.
		s.p.sig.Reject(in.Ref, s.p.cfg.RejectCode)
		s.p.log.Info("incoming call rejected: DND", "from", in.RemoteURI, "code", s.p.cfg.RejectCode)
		s.recordRefusedInDND(1, []RefusedCall{{CallID: in.CallID, RemoteURI: in.RemoteURI,
			RemoteDisplay: in.RemoteDisplay, At: s.p.cfg.Clock.Now()}})
		return
	}
	if s.forwardIncoming(in) || s.refuseOverLimit(in) {
		return
	}
	s.menu = nil // a ringing call takes the screen
	ln := in.Line
	if s.lineN(ln) == nil {
		ln = 1
	}
	c := s.newCall(in.Ref, ln, true, func(c *call) {
		c.callID = in.CallID
		c.localURI, c.localDisplay = in.LocalURI, in.LocalDisplay
		if l := s.lineN(ln); l != nil {
			if c.localURI == "" {
				c.localURI = l.cfg.URI()
			}
			if c.localDisplay == "" {
				c.localDisplay = l.cfg.DisplayName
			}
		}
		c.remoteURI, c.remoteDisplay = in.RemoteURI, in.RemoteDisplay
	})
	fire(c.fsm, evIncoming)
	s.p.sig.Ring(c.ref)
	if l := s.lineN(ln); l != nil && l.cfg.AutoAnswer && len(s.calls) == 1 {
		s.answer(c)
		return
	}
	s.armNoAnswer(c)
	s.armRingTimeout(c)
}

func (s *state) onCallStarted(in SIPCallStarted) {
	c := s.call(in.Ref)
	if c == nil {
		return
	}
	// A CTI correlates a call's events by $call_id: the first Call-ID
	// stays the call's even if the SIP side reports another (a redirect
	// that, against RFC 3261 §8.1.3.4, changed it).
	if c.callID == "" {
		c.callID = in.CallID
	}
	s.releaseEarly(c)
	if in.RemoteURI != "" {
		c.remoteURI = in.RemoteURI
	}
	if in.RemoteDisplay != "" {
		c.remoteDisplay = in.RemoteDisplay
	}
	fire(c.fsm, evInvite)
}

func (s *state) onAnswered(in SIPAnswered) {
	c := s.call(in.Ref)
	if c == nil {
		return
	}
	c.media = in.Media
	if in.RemoteDisplay != "" && c.remoteDisplay == "" {
		c.remoteDisplay = in.RemoteDisplay
	}
	c.answering = false
	fire(c.fsm, evConnected)
	s.transferAnswered(c)
}

func (s *state) onEnded(in SIPEnded) {
	c := s.call(in.Ref)
	if c == nil {
		return
	}
	c.endCode, c.endReason = in.Code, in.Reason
	if c.endReason == "" {
		switch {
		case in.Cancelled:
			c.endReason = "cancelled by caller"
		case in.ByRemote:
			c.endReason = "remote hangup"
		default:
			c.endReason = "local hangup"
		}
	}
	// An incoming call that ends before it was answered, other than by the
	// user rejecting it, was missed.
	// A call the user answered is not missed even if the caller's BYE beat
	// the ACK and the SIP side could not confirm the answer.
	c.missed = c.incoming && c.answered.IsZero() && !c.answering && (in.Cancelled || in.ByRemote)
	s.releaseEarly(c) // a call that ended before its INVITE went out
	fire(c.fsm, evEnd)
	s.transferCallEnded(c)
	s.removeCall(c)
	s.conferenceCallEnded(c)
}

// answer asks the SIP side to answer a ringing call; Established fires when
// it reports the call up.
func (s *state) answer(c *call) {
	if c.state() != CallRinging || c.answering {
		return
	}
	c.answering = true
	fire(s.hook, evLift)
	s.p.sig.Answer(c.ref)
}

// hangup ends a call from the user's side.
func (s *state) hangup(c *call) {
	switch c.state() {
	case CallRinging:
		if !c.answering {
			s.p.sig.Reject(c.ref, 603)
			c.endCode, c.endReason = 603, "Decline"
			break
		}
		fallthrough
	default:
		s.p.sig.Hangup(c.ref)
	}
}

// dial places a call from line ln. The appearance is created now; Outgoing
// Call fires when the SIP side reports the INVITE sent.
func (s *state) dial(target string, ln int) error {
	target = strings.TrimSpace(target)
	if target == "" {
		return errors.New("nothing to dial")
	}
	if s.p.sig == nil {
		return ErrNoSIP
	}
	if s.lineN(ln) == nil {
		return fmt.Errorf("line %d has no account", ln)
	}
	ref := s.placeCall(ln, target)
	s.dialing = ""
	s.lastDialed, s.lastDialLn = target, ln
	s.p.sig.Dial(ref, ln, target)
	return nil
}

// placeCall creates the appearance of a call we place from line ln to
// target and lifts the hook for it. Its first events (Off-hook, Idle to
// Busy) wait for the INVITE's Call-ID (releaseEarly), so that every event
// of the call carries it.
func (s *state) placeCall(ln int, target string) CallRef {
	s.nextOut++
	ref := CallRef("o" + strconv.Itoa(s.nextOut))
	l := s.lineN(ln)
	s.outgoing(ref, ln, func(c *call) {
		c.localURI, c.localDisplay = l.cfg.URI(), l.cfg.DisplayName
		c.remoteURI = TargetURI(target, l.cfg.Server)
	})
	return ref
}

// outgoing creates an outgoing appearance whose events wait for its
// Call-ID, lifting the hook for it (Off-hook carries this call, not one
// ringing meanwhile).
func (s *state) outgoing(ref CallRef, ln int, init func(c *call)) *call {
	return s.newCall(ref, ln, false, func(c *call) {
		c.early = true
		init(c)
		s.hookCall = c
		fire(s.hook, evLift)
		s.hookCall = nil
	})
}

// releaseEarly publishes the events that waited for c's Call-ID, in order,
// now that it is known (or that the call ended without one).
func (s *state) releaseEarly(c *call) {
	if !c.early {
		return
	}
	c.early = false
	for _, t := range c.earlyEvents {
		s.emit(t, 0, c)
	}
	c.earlyEvents = nil
}

func (s *state) dialNumber(in DialNumber) error {
	ln := s.selected
	if in.Account != "" {
		n, err := s.lineForAccount(in.Account)
		if err != nil {
			return err
		}
		ln = n
	}
	// A number dialled during a call holds the call first, as a desk
	// phone does for a second call (and as a DSS speed dial does here):
	// one call talks at a time.
	if c := s.talking(); c != nil {
		s.hold(c)
	}
	return s.dial(in.Number, ln)
}

// lineForAccount finds the line of outgoing_uri "user@host" (spec §3.4).
func (s *state) lineForAccount(acct string) (int, error) {
	acct = strings.TrimPrefix(strings.TrimSpace(acct), "sip:")
	user, host, hasHost := strings.Cut(acct, "@")
	for _, l := range s.lines {
		if l.cfg.User != user {
			continue
		}
		if !hasHost || host == HostOf(l.cfg.Server) || host == l.cfg.Server {
			return l.n, nil
		}
	}
	return 0, fmt.Errorf("%w: %q", ErrUnknownAccount, acct)
}
