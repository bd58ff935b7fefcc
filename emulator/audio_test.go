package emulator_test

import (
	"testing"

	"github.com/phonesim/phonesim/emulator"
)

// heardNow hands one frame to the call's media, as the SIP side's reader
// does for each packet, and returns what the listener got.
func heardNow(m *emulator.MediaStats, s *emulator.AudioStream) []emulator.AudioFrame {
	m.Heard(8000, []int16{1, -2, 3})
	var out []emulator.AudioFrame
	for {
		select {
		case f := <-s.Frames():
			out = append(out, f)
		default:
			return out
		}
	}
}

// Which call's received audio a listener hears, by the call's state: the
// talking call, a call the far end holds (music on hold) and a muted call
// are heard; a ringing call, a call this phone holds and an ended call are
// not. Without a listener the SIP side is told not to decode.
func TestListenAudioFollowsTheTalkingCall(t *testing.T) {
	p, _, _ := phoneWithRecordingSignaling(t)
	m := &emulator.MediaStats{}
	feed(t, p, emulator.SIPIncoming{Ref: "i1", Line: 1, CallID: "c1", RemoteURI: "sip:1002@127.0.0.1"})
	if m.Listening() {
		t.Fatal("Listening before the call is answered")
	}
	keys(t, p, "OK")
	feed(t, p, emulator.SIPAnswered{Ref: "i1", Media: m})
	if m.Listening() {
		t.Error("Listening with nobody listening: the SIP side would decode for nothing")
	}

	s := p.ListenAudio(4)
	defer s.Close()
	step := func(what string, want bool) {
		t.Helper()
		if got := m.Listening(); got != want {
			t.Errorf("%s: Listening() = %v, want %v", what, got, want)
		}
		got := heardNow(m, s)
		switch {
		case want && len(got) != 1:
			t.Errorf("%s: %d frames heard, want 1", what, len(got))
		case want && (got[0].Ref != "i1" || got[0].Rate != 8000 || len(got[0].PCM) != 3 || got[0].PCM[1] != -2):
			t.Errorf("%s: frame %+v, want call i1 at 8000 Hz with the 3 samples", what, got[0])
		case !want && len(got) != 0:
			t.Errorf("%s: %d frames heard, want none", what, len(got))
		}
	}
	step("talking", true)
	feed(t, p, emulator.SIPHold{Ref: "i1", Held: true, Remote: true})
	step("held by the far end (music on hold)", true)
	feed(t, p, emulator.SIPHold{Ref: "i1", Held: false, Remote: true})
	keys(t, p, "MUTE")
	if !p.Snapshot().Muted {
		t.Fatal("MUTE did not mute")
	}
	step("muted (the far end still heard)", true)
	keys(t, p, "MUTE;F_HOLD")
	feed(t, p, emulator.SIPHold{Ref: "i1", Held: true})
	step("held by this phone", false)
	keys(t, p, "F_HOLD")
	feed(t, p, emulator.SIPHold{Ref: "i1", Held: false})
	step("resumed", true)

	// A full channel drops, never blocks: 4 fit, the rest are counted.
	for range 10 {
		m.Heard(8000, []int16{0})
	}
	if d := s.Dropped(); d != 6 {
		t.Errorf("Dropped() = %d after 10 frames into a channel of 4, want 6", d)
	}
	heardNow(m, s)

	feed(t, p, emulator.SIPEnded{Ref: "i1", Code: 200})
	step("ended", false)
}

// A closed stream is no longer a listener.
func TestListenAudioClose(t *testing.T) {
	p, _, _ := phoneWithRecordingSignaling(t)
	m := &emulator.MediaStats{}
	feed(t, p, emulator.SIPIncoming{Ref: "i1", Line: 1, CallID: "c1", RemoteURI: "sip:1002@127.0.0.1"})
	keys(t, p, "OK")
	feed(t, p, emulator.SIPAnswered{Ref: "i1", Media: m})
	a, b := p.ListenAudio(1), p.ListenAudio(1)
	a.Close()
	a.Close() // twice is harmless
	if !m.Listening() {
		t.Error("Listening() = false with one stream open")
	}
	if got := heardNow(m, a); len(got) != 0 {
		t.Errorf("the closed stream got %d frames", len(got))
	}
	b.Close()
	if m.Listening() {
		t.Error("Listening() = true after every stream closed")
	}
}

// In a local conference the phone's user hears both parties: each leg's
// frames reach the listener, tagged with their call.
func TestListenAudioHearsEveryConferenceLeg(t *testing.T) {
	p, _, _ := phoneWithRecordingSignaling(t)
	m1, m2 := &emulator.MediaStats{}, &emulator.MediaStats{}
	started := func(ref emulator.CallRef, user string, m *emulator.MediaStats) {
		t.Helper()
		feed(t, p, emulator.SIPCallStarted{Ref: ref, CallID: string(ref) + "-call", RemoteURI: "sip:" + user + "@127.0.0.1:5060"},
			emulator.SIPAnswered{Ref: ref, Media: m})
	}
	keys(t, p, "1;0;0;2;OK")
	started("o1", "1002", m1)
	keys(t, p, "F_HOLD")
	feed(t, p, emulator.SIPHold{Ref: "o1", Held: true})
	keys(t, p, "1;0;0;3;OK")
	started("o2", "1003", m2)
	s := p.ListenAudio(4)
	defer s.Close()
	if m1.Listening() || !m2.Listening() {
		t.Fatalf("before the conference: held call heard %v, talking call heard %v; want false, true", m1.Listening(), m2.Listening())
	}
	keys(t, p, "F_CONFERENCE")
	feed(t, p, emulator.SIPHold{Ref: "o1", Held: false})
	for _, c := range p.Snapshot().Calls {
		if c.State != emulator.CallConf {
			t.Fatalf("call %s is %s, want conference", c.Ref, c.State)
		}
	}
	m1.Heard(8000, []int16{1})
	got := heardNow(m2, s)
	if len(got) != 2 || got[0].Ref != "o1" || got[1].Ref != "o2" {
		t.Errorf("conference: heard %+v, want a frame of o1 then one of o2", got)
	}
}

// Mix and Unmix let the recording SIP side host a local conference.
func (r *recordingSignaling) Mix(refs ...emulator.CallRef) error {
	r.record("Mix %v", refs)
	return nil
}

func (r *recordingSignaling) Unmix(ref emulator.CallRef) { r.record("Unmix %s", ref) }
