//go:build gui

package gui

import (
	"bytes"
	"encoding/binary"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/hajimehoshi/ebiten/v2/audio"

	"github.com/phonesim/phonesim/emulator"
	"github.com/phonesim/phonesim/gui/layout"
	"github.com/phonesim/phonesim/keypad"
)

// sampleRate of the GUI's audio context.
const sampleRate = 48000

// tone is one of the phone's call-progress tones.
type tone int

const (
	toneRing     tone = iota // the phone's own ringer: a call waits to be answered
	toneDial                 // off hook, nothing typed
	toneRingback             // our call rings at the far end
	numTones
)

// sound plays the phones' tones through ebiten's audio package, a click
// per key, and what the phone with the keyboard hears in its call (the
// window is that phone's earpiece: one listening position, as a trainer
// holding that handset). A nil *sound is silent: --no-sound, or no sound
// device.
type sound struct {
	ctx     *audio.Context
	players [numTones]*audio.Player
	click   *audio.Player
	busy    *audio.Player // three cycles, when a call ends busy
	mu      sync.Mutex

	// Touched by ebiten's goroutine only (update, close).
	ear       *layout.Earpiece // the call's received audio, resampled
	earPlayer *audio.Player
	heard     *emulator.AudioStream // the focused phone's, while it hears a call
	heardFrom *emulator.Phone
}

// soundDevice reports whether the machine has an ALSA playback device.
// Without one, ebiten's audio context starts but RunGame then ends with an
// ALSA error (field notes): the GUI does not open audio at all instead.
func soundDevice() bool {
	m, _ := filepath.Glob("/dev/snd/pcmC*D*p")
	return len(m) > 0
}

// newSound opens audio, or says once that the GUI runs silent.
func newSound(log *slog.Logger) *sound {
	if !soundDevice() || os.Getenv("PHONESIM_NO_SOUND") != "" {
		log.Info("no sound device: the GUI runs silent")
		return nil
	}
	s := &sound{ctx: audio.NewContext(sampleRate)}
	// North American precise tones (ITU-T E.180 Supplement 2, USA), the
	// default tone set of Fanvil and Yealink phones: dial 350+440 Hz
	// steady; ringback 440+480 Hz, 2 s on 4 s off; busy 480+620 Hz, 0.5 s
	// on 0.5 s off. The ringer: a 2 s warble of 1000/1200 Hz every 6 s.
	s.players[toneDial] = s.loop(cadence(dual(350, 440), 1, 0))
	s.players[toneRingback] = s.loop(cadence(dual(440, 480), 2, 4))
	s.players[toneRing] = s.loop(cadence(warble(1000, 1200, 16), 2, 4))
	// Busy: 480+620 Hz, 0.5 s on 0.5 s off, three times.
	var busy []byte
	for range 3 {
		busy = append(busy, cadence(dual(480, 620), 0.5, 0.5)...)
	}
	s.busy = s.ctx.NewPlayerFromBytes(busy)
	s.click = s.ctx.NewPlayerFromBytes(pcm(0.012, func(t float64) float64 {
		return 0.3 * math.Sin(2*math.Pi*2000*t) * math.Exp(-t*400)
	}))
	s.ear = layout.NewEarpiece(sampleRate)
	if p, err := s.ctx.NewPlayer(s.ear); err == nil {
		p.SetBufferSize(80 * time.Millisecond) // ebiten's default adds more delay
		s.earPlayer = p
	}
	return s
}

func (s *sound) loop(b []byte) *audio.Player {
	p, err := s.ctx.NewPlayer(audio.NewInfiniteLoop(bytes.NewReader(b), int64(len(b))))
	if err != nil {
		return nil
	}
	return p
}

// update starts and stops the tones for the phones' state (Update calls
// it each frame; layout.TonesOf decides), and the received audio of the
// phone with the keyboard (focus, a fleet index) while it hears a call.
func (s *sound) update(snaps []emulator.Snapshot, phones []*emulator.Phone, focus int) {
	if s == nil {
		return
	}
	s.listen(snaps, phones, focus)
	t := layout.TonesOf(snaps)
	want := [numTones]bool{toneRing: t.Ring, toneDial: t.Dial, toneRingback: t.Ringback}
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, p := range s.players {
		switch {
		case p == nil:
		case want[i] && !p.IsPlaying():
			_ = p.Rewind()
			p.Play()
		case !want[i] && p.IsPlaying():
			p.Pause()
		}
	}
}

// listen plays what phones[focus] hears while layout.Hears says it hears
// a call (talking or in a conference; emulator.Phone.ListenAudio delivers
// nothing for a held call), and stops listening otherwise, so the SIP
// side decodes only while someone hears it. Muting does not silence it: a
// desk phone's MUTE mutes the microphone.
func (s *sound) listen(snaps []emulator.Snapshot, phones []*emulator.Phone, focus int) {
	if s.earPlayer == nil {
		return
	}
	var want *emulator.Phone
	if focus >= 0 && focus < len(snaps) && layout.Hears(snaps[focus]) {
		want = phones[focus]
	}
	if want == s.heardFrom {
		return
	}
	s.stopListening()
	if want == nil {
		return
	}
	s.heard, s.heardFrom = want.ListenAudio(earFrames), want
	s.ear.Listen(s.heard.Frames())
	s.earPlayer.Play()
}

// earFrames is the depth of the received-audio channel: 0.5 s of 20 ms
// frames, drained by the player every buffer (80 ms).
const earFrames = 25

func (s *sound) stopListening() {
	if s.heard == nil {
		return
	}
	s.earPlayer.Pause()
	s.heard.Close()
	s.heard, s.heardFrom = nil, nil
	s.ear.Listen(nil)
}

// close stops listening (the window closes).
func (s *sound) close() {
	if s == nil || s.earPlayer == nil {
		return
	}
	s.stopListening()
}

// event plays the busy tone when a call ends busy (layout.Busy); it runs
// on the phone's subscriber goroutine.
func (s *sound) event(ev emulator.Event) {
	if s == nil || !layout.Busy(ev) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	_ = s.busy.Rewind()
	s.busy.Play()
}

// keyClick clicks for a key pressed in the GUI.
func (s *sound) keyClick(keypad.Key) {
	if s == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	_ = s.click.Rewind()
	s.click.Play()
}

// pcm renders f over d seconds as 16-bit little-endian stereo.
func pcm(d float64, f func(t float64) float64) []byte {
	n := int(d * sampleRate)
	b := make([]byte, 4*n)
	for i := range n {
		v := int16(math.Max(-1, math.Min(1, f(float64(i)/sampleRate))) * math.MaxInt16)
		binary.LittleEndian.PutUint16(b[4*i:], uint16(v))
		binary.LittleEndian.PutUint16(b[4*i+2:], uint16(v))
	}
	return b
}

func dual(f1, f2 float64) func(float64) float64 {
	return func(t float64) float64 { return 0.15*math.Sin(2*math.Pi*f1*t) + 0.15*math.Sin(2*math.Pi*f2*t) }
}

func warble(f1, f2, rate float64) func(float64) float64 {
	return func(t float64) float64 {
		f := f1
		if int(t*rate)%2 == 1 {
			f = f2
		}
		return 0.25 * math.Sin(2*math.Pi*f*t)
	}
}

// cadence is on seconds of f, then off seconds of silence (off 0: on only).
func cadence(f func(float64) float64, on, off float64) []byte {
	return pcm(on+off, func(t float64) float64 {
		if t < on {
			return f(t)
		}
		return 0
	})
}
