package emulator

// Hold, resume and call waiting. A hold is asked of the SIP side
// (re-INVITE with a=sendonly, RFC 3264 §8.4) and the call enters held only
// when it succeeded, so Hold and Unhold fire for what really happened.

// hold asks the SIP side to hold c, unless a re-INVITE is under way.
func (s *state) hold(c *call) {
	if c == nil || c.holding || c.state() != CallTalking {
		return
	}
	c.holding = true
	s.p.sig.Hold(c.ref)
}

func (s *state) resume(c *call) {
	if c == nil || c.holding || c.state() != CallHeld {
		return
	}
	// Only one call talks at a time: hold the other first.
	for _, o := range s.calls {
		if o != c && o.state() == CallTalking {
			s.hold(o)
		}
	}
	c.holding = true
	s.p.sig.Unhold(c.ref)
}

// toggleHold is F_HOLD: hold the talking call, or resume the held one.
func (s *state) toggleHold() {
	if c := s.talking(); c != nil {
		s.hold(c)
		return
	}
	if c := s.held(); c != nil {
		s.resume(c)
	}
}

func (s *state) held() *call {
	for i := len(s.calls) - 1; i >= 0; i-- {
		if s.calls[i].state() == CallHeld {
			return s.calls[i]
		}
	}
	return nil
}

func (s *state) onHold(in SIPHold) {
	c := s.call(in.Ref)
	if c == nil {
		return
	}
	if in.Remote {
		c.remoteHeld = in.Held
		return
	}
	c.holding = false
	if in.Err != "" {
		verb := "Hold"
		if !in.Held {
			verb = "Resume"
		}
		s.notice = verb + " failed: " + in.Err
		s.p.log.Info("hold/resume failed", "call", c.ref, "held", in.Held, "error", in.Err)
		return
	}
	if in.Held {
		fire(c.fsm, evHold)
	} else {
		fire(c.fsm, evUnhold)
		s.mixPending(c)
	}
}

// answerWaiting answers a ringing call; a call already talking is put on
// hold first, as call waiting does on a real phone.
func (s *state) answerWaiting(c *call) {
	for _, o := range s.calls {
		if o != c && o.state() == CallTalking {
			s.hold(o)
		}
	}
	s.answer(c)
}
