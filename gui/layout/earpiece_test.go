package layout

import (
	"encoding/binary"
	"math"
	"testing"

	"github.com/phonesim/phonesim/emulator"
)

const outRate = 48000

// tone8k is n samples of an 8 kHz sine at hz, amplitude 8000, starting at
// sample from (so consecutive frames join without a click).
func tone8k(hz float64, from, n int) []int16 {
	out := make([]int16, n)
	for i := range out {
		out[i] = int16(8000 * math.Sin(2*math.Pi*hz*float64(from+i)/8000))
	}
	return out
}

// play reads ms of output and returns the left channel, checking that the
// right one is the same (the earpiece is mono on both sides).
func play(t *testing.T, e *Earpiece, ms int) []int16 {
	t.Helper()
	b := make([]byte, 4*outRate*ms/1000)
	n, err := e.Read(b)
	if err != nil || n != len(b) {
		t.Fatalf("Read = %d, %v; want %d, nil (never short)", n, err, len(b))
	}
	left := make([]int16, n/4)
	for i := range left {
		l, r := binary.LittleEndian.Uint16(b[4*i:]), binary.LittleEndian.Uint16(b[4*i+2:])
		if l != r {
			t.Fatalf("sample %d: left %d, right %d", i, int16(l), int16(r))
		}
		left[i] = int16(l)
	}
	return left
}

// level is the amplitude of the hz component of 48 kHz PCM (Goertzel).
func level(pcm []int16, hz float64) float64 {
	coeff := 2 * math.Cos(2*math.Pi*hz/outRate)
	var s1, s2 float64
	for _, x := range pcm {
		s1, s2 = float64(x)+coeff*s1-s2, s1
	}
	p := s1*s1 + s2*s2 - coeff*s1*s2
	return 2 * math.Sqrt(math.Max(p, 0)) / float64(len(pcm))
}

func peak(pcm []int16) int {
	m := 0
	for _, v := range pcm {
		m = max(m, int(math.Abs(float64(v))))
	}
	return m
}

// feed sends ms of hz on call ref, in 20 ms frames, from 8 kHz sample at.
func feed(ch chan emulator.AudioFrame, ref emulator.CallRef, hz float64, at, ms int) int {
	for range ms / 20 {
		ch <- emulator.AudioFrame{Ref: ref, Rate: 8000, PCM: tone8k(hz, at, 160)}
		at += 160
	}
	return at
}

// A call's 8 kHz tone comes out at 48 kHz, same pitch and level, after
// the jitter buffer has primed; gaps are silence; two calls of a
// conference are both heard; audio queued beyond EarMax is dropped so the
// delay stays bounded.
func TestEarpieceResamplesMixesAndBoundsDelay(t *testing.T) {
	e := NewEarpiece(outRate)
	if p := peak(play(t, e, 20)); p != 0 {
		t.Fatalf("no stream: peak %d, want silence", p)
	}
	ch := make(chan emulator.AudioFrame, 100)
	e.Listen(ch)

	// Less than EarPrime queued: not yet played.
	at := feed(ch, "o1", 1000, 0, EarPrime-20)
	if p := peak(play(t, e, 10)); p != 0 {
		t.Errorf("with %d ms queued (< EarPrime) peak %d, want silence", EarPrime-20, p)
	}
	at = feed(ch, "o1", 1000, at, 200)
	out := play(t, e, 200)
	t.Logf("1000 Hz level %.0f, 3000 Hz %.0f, peak %d", level(out, 1000), level(out, 3000), peak(out))
	if l := level(out, 1000); l < 7000 || l > 9000 {
		t.Errorf("1000 Hz at 48 kHz: level %.0f, want about 8000 (the level sent)", l)
	}
	if l := level(out, 3000); l > 400 {
		t.Errorf("3000 Hz (nobody sent it): level %.0f", l)
	}

	// The call's queue runs dry: silence, not a held sample.
	play(t, e, 100)
	if p := peak(play(t, e, 20)); p != 0 {
		t.Errorf("after the audio ran out: peak %d, want silence", p)
	}

	// A conference: two calls at once are both heard.
	feed(ch, "o2", 600, 0, 100)
	feed(ch, "o1", 1000, at, 100)
	play(t, e, 10)
	out = play(t, e, 80)
	if l1, l2 := level(out, 1000), level(out, 600); l1 < 6000 || l2 < 6000 {
		t.Errorf("conference: 1000 Hz level %.0f, 600 Hz %.0f; want both about 8000", l1, l2)
	}
	play(t, e, 100)

	// 1 s arrives while the player was not reading: only EarMax is kept.
	before := e.Dropped()
	feed(ch, "o1", 1000, 0, 1000)
	play(t, e, 1)
	if d, want := e.Dropped()-before, 8*(1000-EarMax); d < want-160 || d > want+160 {
		t.Errorf("Dropped() = %d samples, want about %d (all but the last %d ms)", d, want, EarMax)
	}
	out = play(t, e, EarMax+20)
	if p := peak(out[len(out)-outRate*15/1000:]); p != 0 {
		t.Errorf("%d ms after 1 s of backlog still playing (peak %d): the delay is not bounded", EarMax+20, p)
	}

	// Listen(nil) stops the source; Reset drops what is queued.
	feed(ch, "o1", 1000, 0, 100)
	e.Reset()
	e.Listen(nil)
	if p := peak(play(t, e, 100)); p != 0 {
		t.Errorf("after Listen(nil): peak %d, want silence", p)
	}
}

func TestHears(t *testing.T) {
	for _, c := range []struct {
		state emulator.CallState
		want  bool
	}{
		{emulator.CallTalking, true}, {emulator.CallConf, true},
		{emulator.CallHeld, false}, {emulator.CallRinging, false}, {emulator.CallRingback, false},
	} {
		s := emulator.Snapshot{Calls: []emulator.CallStatus{{State: c.state}}}
		if got := Hears(s); got != c.want {
			t.Errorf("Hears(a call %s) = %v, want %v", c.state, got, c.want)
		}
	}
	if Hears(emulator.Snapshot{}) {
		t.Error("Hears(no call) = true")
	}
}
