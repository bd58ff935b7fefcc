package emulator

// A local three-way conference (F_CONFERENCE): the held call and the
// active call are joined and the phone mixes their audio, so each party
// hears the other two. The held call is resumed first, so that its audio
// flows both ways, and mixed when the resume succeeded.

// confPending is the pair waiting for a resume before they are mixed.
type confPending struct{ held, active *call }

func (s *state) conferenceKey() error {
	if s.confJoin != nil {
		return nil
	}
	active, held := s.talking(), s.held()
	if in := s.inConference(); len(in) > 0 && held != nil {
		// Add the held call to a running conference.
		s.confJoin = &confPending{held: held, active: in[0]}
		s.unholdForConference(held)
		return nil
	}
	if active == nil || held == nil {
		s.notice = "Conference needs a held and an active call"
		return nil
	}
	s.confJoin = &confPending{held: held, active: active}
	s.unholdForConference(held)
	return nil
}

// unholdForConference resumes c without holding the active call.
func (s *state) unholdForConference(c *call) {
	if c.holding {
		return
	}
	c.holding = true
	s.p.sig.Unhold(c.ref)
}

// mixPending mixes the pair once the held call is talking again.
func (s *state) mixPending(resumed *call) {
	j := s.confJoin
	if j == nil || j.held != resumed {
		return
	}
	s.confJoin = nil
	refs := []CallRef{j.held.ref, j.active.ref}
	if err := s.p.sig.Mix(refs...); err != nil {
		s.notice = "Conference failed: " + err.Error()
		s.p.log.Info("conference failed", "error", err)
		return
	}
	for _, c := range []*call{j.held, j.active} {
		fire(c.fsm, evJoin)
	}
}

func (s *state) inConference() []*call {
	var out []*call
	for _, c := range s.calls {
		if c.state() == CallConf {
			out = append(out, c)
		}
	}
	return out
}

// splitConference takes every call out of the conference: they go back to
// talking, each hearing only the phone.
func (s *state) splitConference() {
	for _, c := range s.inConference() {
		s.p.sig.Unmix(c.ref)
		fire(c.fsm, evSplit)
	}
}

// conferenceCallEnded: when a party leaves, a conference of one is over
// (the SIP side has already unmixed the leg that ended).
func (s *state) conferenceCallEnded(c *call) {
	if j := s.confJoin; j != nil && (j.held == c || j.active == c) {
		s.confJoin = nil
	}
	if rest := s.inConference(); len(rest) == 1 {
		fire(rest[0].fsm, evSplit)
	}
}
