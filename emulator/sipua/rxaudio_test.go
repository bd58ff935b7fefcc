package sipua_test

import (
	"context"
	"testing"
	"time"

	"github.com/phonesim/phonesim/emulator"
	"github.com/phonesim/phonesim/keypad"
)

// gather reads the stream's frames for d and returns them.
func gather(s *emulator.AudioStream, d time.Duration) []emulator.AudioFrame {
	var out []emulator.AudioFrame
	end := time.After(d)
	for {
		select {
		case f := <-s.Frames():
			out = append(out, f)
		case <-end:
			return out
		}
	}
}

// drain empties the stream's channel.
func drain(s *emulator.AudioStream) {
	for {
		select {
		case <-s.Frames():
		default:
			return
		}
	}
}

func samplesOf(frames []emulator.AudioFrame) []int16 {
	var pcm []int16
	for _, f := range frames {
		pcm = append(pcm, f.PCM...)
	}
	return pcm
}

// What a phone hears in a real call between two phones (alice plays
// 440 Hz, bob 700 Hz; G.711 over RTP on 127.0.0.1): alice's listener gets
// bob's tone decoded, 8 kHz, on alice's call, and not her own; when alice
// holds the call nothing more arrives, and it comes back on resume. A
// listener that never reads holds up neither the call nor the other
// listener: its frames are dropped and counted.
func TestListenAudioHearsTheFarEndUntilHold(t *testing.T) {
	alice, _ := startMediaPhone(t, "alice", "1001", "tone:440")
	bob, _ := startMediaPhone(t, "bob", "1002", "tone:700")

	ear := alice.ListenAudio(50) // 1 s of frames
	defer ear.Close()
	stuck := alice.ListenAudio(2) // never read
	defer stuck.Close()

	if f := gather(ear, 200*time.Millisecond); len(f) != 0 {
		t.Fatalf("before any call alice heard %d frames", len(f))
	}
	ref, _ := dialAndAnswer(t, alice, bob, "1002")

	gather(ear, 100*time.Millisecond) // the first packets
	frames := gather(ear, 600*time.Millisecond)
	if len(frames) < 15 { // 30 expected at 50 packets/s
		t.Fatalf("alice heard %d frames in 600 ms of a call, want about 30", len(frames))
	}
	for _, f := range frames {
		if f.Ref != ref || f.Rate != 8000 || len(f.PCM) != 160 {
			t.Fatalf("frame on call %s at %d Hz with %d samples, want call %s, 8000 Hz, 160 samples (20 ms of PCMU)",
				f.Ref, f.Rate, len(f.PCM), ref)
		}
	}
	expectTones(t, "alice's listener", samplesOf(frames), []float64{700}, []float64{440})
	if stuck.Dropped() == 0 {
		t.Error("the listener that never reads dropped no frames; want its overflow dropped and counted")
	}

	// HOLD: the held call is no longer heard.
	if err := alice.Do(context.Background(), emulator.PressKey{Key: keypad.Hold}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "alice's call held", 5*time.Second, func() bool {
		c, ok := callStatus(alice, bob.ua.Addr())
		return ok && c.State == emulator.CallHeld
	})
	gather(ear, 100*time.Millisecond) // frames decoded before the hold
	drain(ear)
	if f := gather(ear, 500*time.Millisecond); len(f) != 0 {
		t.Errorf("alice heard %d frames of a call she holds, want none", len(f))
	}
	dropped := stuck.Dropped()
	before, _ := callStatus(alice, bob.ua.Addr())

	// Resume: bob's tone is heard again.
	if err := alice.Do(context.Background(), emulator.PressKey{Key: keypad.Hold}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "alice's call resumed", 5*time.Second, func() bool {
		c, ok := callStatus(alice, bob.ua.Addr())
		return ok && c.State == emulator.CallTalking
	})
	gather(ear, 200*time.Millisecond)
	frames = gather(ear, 500*time.Millisecond)
	if len(frames) < 12 {
		t.Fatalf("alice heard %d frames in 500 ms after resuming, want about 25", len(frames))
	}
	expectTones(t, "alice's listener after resume", samplesOf(frames), []float64{700}, []float64{440})
	if after, _ := callStatus(alice, bob.ua.Addr()); after.RTPIn <= before.RTPIn {
		t.Errorf("alice's RTP in stopped at %d with a stuck listener", after.RTPIn)
	}
	if stuck.Dropped() <= dropped {
		t.Error("the stuck listener's drop count did not grow after resume")
	}

	// A closed stream gets nothing more.
	ear.Close()
	drain(ear)
	if f := gather(ear, 200*time.Millisecond); len(f) != 0 {
		t.Errorf("a closed stream got %d frames", len(f))
	}
}
