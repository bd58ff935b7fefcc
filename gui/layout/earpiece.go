package layout

import (
	"encoding/binary"
	"math"
	"sync"

	"github.com/phonesim/phonesim/emulator"
)

// Earpiece turns what a phone hears (emulator.AudioStream: 20 ms frames of
// 8 kHz mono PCM per call) into the 16-bit little-endian stereo PCM at the
// window's audio rate that an ebiten audio.Player reads. Read never
// blocks and never runs short: where no audio has arrived it plays
// silence, so a late packet is a gap, as on a desk phone.
//
// Each call has a small jitter buffer: playback of a call starts once
// EarPrime of its audio is queued (packets arrive on the far end's clock,
// in bursts of the scheduler; the player reads on the sound card's), and
// audio older than EarMax is dropped, so the delay stays bounded when the
// player was paused or falls behind. The calls of a local conference are
// mixed (summed and clipped, as mixer.go's bridge does). Each call is
// resampled on its own by linear interpolation.
type Earpiece struct {
	rate int // output samples per second

	mu      sync.Mutex
	src     <-chan emulator.AudioFrame
	calls   map[emulator.CallRef]*earCall
	dropped int // samples dropped for age
}

// Jitter buffer bounds of each call (see Earpiece).
const (
	EarPrime = 60  // ms queued before a call's audio starts
	EarMax   = 200 // ms queued at most; older audio is dropped
)

// earCall is one call's queued audio and its resampler.
type earCall struct {
	rate   int
	q      []int16 // queued samples at rate
	primed bool
	phase  float64 // position between prev and q[0], 0..1
	prev   int16   // the sample before q[0]
	step   float64 // rate / output rate
}

// NewEarpiece plays at rate samples per second.
func NewEarpiece(rate int) *Earpiece {
	return &Earpiece{rate: rate, calls: map[emulator.CallRef]*earCall{}}
}

// Listen switches to the frames of a stream (AudioStream.Frames; nil:
// none); what was queued is dropped.
func (e *Earpiece) Listen(frames <-chan emulator.AudioFrame) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.src = frames
	clear(e.calls)
}

// Reset drops what is queued (the player was paused: what it missed is
// not played late).
func (e *Earpiece) Reset() {
	e.mu.Lock()
	defer e.mu.Unlock()
	clear(e.calls)
}

// Dropped is how many samples (at the calls' rates) were dropped for age.
func (e *Earpiece) Dropped() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.dropped
}

// Read implements io.Reader for the player: len(p)/4 stereo samples.
func (e *Earpiece) Read(p []byte) (int, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.take()
	n := len(p) / 4
	for i := range n {
		var sum int32
		for _, c := range e.calls {
			sum += int32(c.next())
		}
		v := uint16(clip(sum))
		binary.LittleEndian.PutUint16(p[4*i:], v)
		binary.LittleEndian.PutUint16(p[4*i+2:], v)
	}
	for ref, c := range e.calls {
		if !c.primed && len(c.q) == 0 {
			delete(e.calls, ref) // ended, or dry: a new frame starts it again
		}
	}
	return 4 * n, nil
}

// take moves the frames that arrived into the calls' queues.
func (e *Earpiece) take() {
	if e.src == nil {
		return
	}
	for {
		select {
		case f := <-e.src:
			e.queue(f)
		default:
			return
		}
	}
}

func (e *Earpiece) queue(f emulator.AudioFrame) {
	if f.Rate <= 0 {
		return
	}
	c := e.calls[f.Ref]
	if c == nil || c.rate != f.Rate {
		c = &earCall{rate: f.Rate, step: float64(f.Rate) / float64(e.rate)}
		e.calls[f.Ref] = c
	}
	c.q = append(c.q, f.PCM...)
	if limit := f.Rate * EarMax / 1000; len(c.q) > limit {
		drop := len(c.q) - limit
		e.dropped += drop
		c.q = append(c.q[:0], c.q[drop:]...)
	}
	if len(c.q) >= f.Rate*EarPrime/1000 {
		c.primed = true
	}
}

// next is the call's next output sample: silence until primed, and again
// from when its queue runs dry until it is primed anew.
func (c *earCall) next() int16 {
	if !c.primed {
		return 0
	}
	if len(c.q) == 0 {
		c.primed, c.prev, c.phase = false, 0, 0
		return 0
	}
	v := float64(c.prev) + (float64(c.q[0])-float64(c.prev))*c.phase
	c.phase += c.step
	for c.phase >= 1 && len(c.q) > 0 {
		c.phase--
		c.prev, c.q = c.q[0], c.q[1:]
	}
	return int16(math.Round(v))
}

func clip(v int32) int16 {
	return int16(min(max(v, math.MinInt16), math.MaxInt16))
}

// Hears reports whether the phone's earpiece carries a call: one is up
// (talking, or in a local conference). The GUI plays received audio only
// then; emulator.Phone.ListenAudio delivers it only then too.
func Hears(s emulator.Snapshot) bool {
	for _, c := range s.Calls {
		if c.State == emulator.CallTalking || c.State == emulator.CallConf {
			return true
		}
	}
	return false
}
