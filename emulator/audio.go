package emulator

import (
	"sync"
	"sync/atomic"
)

// The audio a phone hears: the decoded received audio of its talking call,
// for front ends that play it (the GUI's speaker). The Signaling adapter
// decodes each received packet and hands it to the call's MediaStats
// (Listening, Heard); the loop decides which calls are heard (routeAudio);
// listeners (ListenAudio) get the frames on a bounded channel each.
//
// Which calls are heard is what a desk phone's earpiece plays: the call
// that is up (talking, or every leg of a local conference), never a call
// this phone holds (RFC 3264 §8.4: a held stream is sendonly from us, and a
// phone plays nothing for it). A call the far end holds is still heard: its
// a=sendonly carries music on hold. MUTE does not silence it: mute "is so
// that you can hear the other person, but they cannot hear you" (Yealink's
// user guide, "Muting/Unmuting Audio").

// AudioFrame is one received packet's audio, decoded.
type AudioFrame struct {
	Ref  CallRef // the call it was heard on
	Rate int     // samples per second (8000 for G.711)
	PCM  []int16 // mono linear PCM; the listener owns it
}

// AudioStream delivers the frames a phone hears, from ListenAudio. A slow
// or absent reader never holds up a call: a frame that finds the channel
// full is dropped and counted.
type AudioStream struct {
	frames  chan AudioFrame
	dropped atomic.Uint64
	hub     *audioHub
	once    sync.Once
	mu      sync.Mutex // held while a frame is offered, so Close is final
	closed  bool
}

// Frames is the channel the frames arrive on, in order per call. Close
// does not close it: frames already in it stay there, and none is added
// once Close has returned.
func (s *AudioStream) Frames() <-chan AudioFrame { return s.frames }

// Dropped is how many frames were dropped because the channel was full.
func (s *AudioStream) Dropped() uint64 { return s.dropped.Load() }

// Close stops delivery to the stream: once it returns, no frame is added.
func (s *AudioStream) Close() {
	s.once.Do(func() {
		s.mu.Lock()
		s.closed = true
		s.mu.Unlock()
		s.hub.remove(s)
	})
}

// offer adds f unless the stream is closed or full (then it is counted);
// it never blocks.
func (s *AudioStream) offer(f AudioFrame) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	select {
	case s.frames <- f:
	default:
		s.dropped.Add(1)
	}
}

// ListenAudio starts delivering what the phone hears to a new stream
// holding up to depth frames (at least 1; a frame is 20 ms of G.711).
func (p *Phone) ListenAudio(depth int) *AudioStream {
	s := &AudioStream{frames: make(chan AudioFrame, max(depth, 1)), hub: &p.audio}
	p.audio.add(s)
	return s
}

// audioHub is a phone's set of listeners, copy-on-write: the media
// goroutines read it without a lock on every packet.
type audioHub struct {
	mu      sync.Mutex
	streams atomic.Pointer[[]*AudioStream]
}

func (h *audioHub) add(s *AudioStream) {
	h.mu.Lock()
	defer h.mu.Unlock()
	var l []*AudioStream
	if p := h.streams.Load(); p != nil {
		l = append(l, *p...)
	}
	l = append(l, s)
	h.streams.Store(&l)
}

func (h *audioHub) remove(s *AudioStream) {
	h.mu.Lock()
	defer h.mu.Unlock()
	p := h.streams.Load()
	if p == nil {
		return
	}
	var l []*AudioStream
	for _, o := range *p {
		if o != s {
			l = append(l, o)
		}
	}
	h.streams.Store(&l)
}

func (h *audioHub) listeners() []*AudioStream {
	if p := h.streams.Load(); p != nil {
		return *p
	}
	return nil
}

// audioTap is set on a call's MediaStats while the loop has that call
// heard.
type audioTap struct {
	hub *audioHub
	ref CallRef
}

// Listening reports whether the call's received audio is wanted now: the
// call is heard and someone listens. The adapter decodes only then.
func (m *MediaStats) Listening() bool {
	t := m.tap.Load()
	return t != nil && len(t.hub.listeners()) > 0
}

// Heard hands one decoded frame of the call's received audio to the
// phone's listeners; it copies pcm and never blocks. The adapter's reader
// calls it from the call's media goroutine.
func (m *MediaStats) Heard(rate int, pcm []int16) {
	t := m.tap.Load()
	if t == nil || len(pcm) == 0 {
		return
	}
	for _, s := range t.hub.listeners() {
		s.offer(AudioFrame{Ref: t.ref, Rate: rate, PCM: append([]int16(nil), pcm...)})
	}
}

// heard reports whether a call's received audio goes to the earpiece.
func (c *call) heard() bool {
	switch c.state() {
	case CallTalking, CallConf:
		return true
	}
	return false
}

// routeAudio points the heard calls' media at the phone's listeners and
// takes every other call's away; the loop runs it after each input.
func (s *state) routeAudio() {
	if len(s.calls) == 0 && len(s.heard) == 0 {
		return
	}
	was := s.heard
	s.heard = nil
	for _, c := range s.calls {
		if c.media == nil || !c.heard() {
			continue
		}
		s.heard = append(s.heard, c.media)
		if t := c.media.tap.Load(); t == nil || t.ref != c.ref {
			c.media.tap.Store(&audioTap{hub: &s.p.audio, ref: c.ref})
		}
	}
	for _, m := range was {
		still := false
		for _, h := range s.heard {
			still = still || h == m
		}
		if !still {
			m.tap.Store(nil)
		}
	}
}
