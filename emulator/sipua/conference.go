package sipua

import (
	"errors"
	"fmt"
	"sync"

	"github.com/phonesim/phonesim/emulator"
)

// A local conference: the phone itself is the mixer (a "three-way call" on
// a desk phone, as opposed to a conference server). Every leg keeps its own
// RTP session; what a leg sends is the phone's own audio (the configured
// tone or WAV, standing for the microphone) plus the decoded audio received
// on every other leg, so each party hears all the others but not itself.
//
// Each leg's player goroutine is that leg's mixer: on every 20 ms frame it
// takes the next frame of the phone's audio, adds what the other legs'
// receivers left in its pcmPipes, clips, encodes and writes, paced by
// diago's RTPPacketWriter clock like any other call. Receivers decode each
// packet and append it to one pipe per other leg. Who feeds whom is an
// immutable mixView per leg swapped atomically, so neither side takes a
// conference lock per packet, and no lock is held while writing to a socket.

// confMu serialises conference membership changes (Mix, Unmix, a leg
// ending), which are rare user actions; it guards callMedia.conf and the
// conference legs lists. It is never held during I/O.
var confMu sync.Mutex

// conference is a set of call legs whose audio is mixed.
type conference struct {
	legs []*callMedia
}

// mixView is one leg's wiring in a conference.
type mixView struct {
	in  []*pcmPipe // audio from each other leg, mixed into what this leg sends
	out []*pcmPipe // this leg's received audio, one pipe per other leg
}

// Errors of Mix.
var (
	ErrMixTooFew         = errors.New("a conference needs at least two calls")
	ErrMixUnknownCall    = errors.New("no such call")
	ErrMixNotEstablished = errors.New("call is not established")
)

// Mix joins the listed established calls into one local conference mixed
// by the phone: from then on every one of them receives the phone's own
// audio plus the audio received on each of the others. A listed call that
// is already in a conference brings that conference's other calls along
// (mixing a new call with a conference's call adds it to that conference).
// It fails, changing nothing, for fewer than two distinct calls, an unknown
// call or one that is not established (ringing, or already ended).
func (u *UA) Mix(refs ...emulator.CallRef) error {
	var legs []*callMedia
	seen := map[emulator.CallRef]bool{}
	for _, ref := range refs {
		if seen[ref] {
			continue
		}
		seen[ref] = true
		leg := u.leg(ref)
		if leg == nil {
			return fmt.Errorf("mix %s: %w", ref, ErrMixUnknownCall)
		}
		m := legMedia(leg)
		if m == nil {
			return fmt.Errorf("mix %s: %w", ref, ErrMixNotEstablished)
		}
		legs = append(legs, m)
	}
	if len(legs) < 2 {
		return fmt.Errorf("mix %v: %w", refs, ErrMixTooFew)
	}

	confMu.Lock()
	defer confMu.Unlock()
	for _, m := range legs {
		if m.ended() {
			return fmt.Errorf("mix %s: %w", m.ref, ErrMixNotEstablished)
		}
	}
	c := &conference{}
	add := func(m *callMedia) {
		for _, l := range c.legs {
			if l == m {
				return
			}
		}
		c.legs = append(c.legs, m)
	}
	for _, m := range legs {
		if old := m.conf; old != nil {
			for _, l := range old.legs {
				add(l)
			}
		}
		add(m)
	}
	for _, m := range c.legs {
		m.conf = c
	}
	c.rewire()
	return nil
}

// Unmix takes a call out of its conference: it goes back to hearing only
// the phone's audio. When a single call is left the conference dissolves.
// A call that is in no conference, or unknown, is left alone.
func (u *UA) Unmix(ref emulator.CallRef) {
	if leg := u.leg(ref); leg != nil {
		if m := legMedia(leg); m != nil {
			m.leaveConference()
		}
	}
}

// Mixed reports the calls in the same conference as ref (ref included), or
// nil when ref is in none.
func (u *UA) Mixed(ref emulator.CallRef) []emulator.CallRef {
	leg := u.leg(ref)
	if leg == nil {
		return nil
	}
	m := legMedia(leg)
	if m == nil {
		return nil
	}
	confMu.Lock()
	defer confMu.Unlock()
	if m.conf == nil {
		return nil
	}
	out := make([]emulator.CallRef, 0, len(m.conf.legs))
	for _, l := range m.conf.legs {
		out = append(out, l.ref)
	}
	return out
}

// leaveConference removes the leg from its conference, if any; the players
// pick up their new wiring on their next frame.
func (m *callMedia) leaveConference() {
	confMu.Lock()
	defer confMu.Unlock()
	c := m.conf
	if c == nil {
		return
	}
	m.conf = nil
	m.mix.Store(nil)
	for i, l := range c.legs {
		if l == m {
			c.legs = append(c.legs[:i:i], c.legs[i+1:]...)
			break
		}
	}
	if len(c.legs) < 2 {
		for _, l := range c.legs {
			l.conf = nil
			l.mix.Store(nil)
		}
		c.legs = nil
		return
	}
	c.rewire()
}

// rewire gives every ordered pair of legs a fresh pipe and publishes each
// leg's view. Called with confMu held.
func (c *conference) rewire() {
	views := make([]*mixView, len(c.legs))
	for i := range views {
		views[i] = &mixView{}
	}
	for i := range c.legs {
		for j, dst := range c.legs {
			if i == j {
				continue
			}
			p := newPCMPipe(dst.frameSamples)
			views[i].out = append(views[i].out, p)
			views[j].in = append(views[j].in, p)
		}
	}
	for i, l := range c.legs {
		l.mix.Store(views[i])
	}
}

// legMedia is the call's media once it is established, else nil.
func legMedia(l *callLeg) *callMedia {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.media
}
