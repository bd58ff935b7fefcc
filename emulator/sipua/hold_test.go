package sipua_test

import (
	"strings"
	"testing"
	"time"

	"github.com/phonesim/phonesim/emulator"
)

// Hold and resume with re-INVITEs, from the caller's dialog (UAC) and the
// callee's (UAS): the side that holds gets SIPHold{Remote: false}, the far
// end SIPHold{Remote: true}, and the held party stops sending RTP (it
// answered a=sendonly with a=recvonly) until the call is resumed.
func TestHoldAndResumeBothWays(t *testing.T) {
	a := startUA(t, "127.0.0.1", "1001", "127.0.0.1:9")
	b := startUA(t, "127.0.0.1", "1002", "127.0.0.1:9")
	c := establish(t, a, b)
	flowing(t, "a hears b", &c.outMedia.RTPIn)

	steps := []struct {
		name        string
		by          *ua
		ref, farRef emulator.CallRef
		far         *ua
		hold        bool
		heldHears   *emulator.MediaStats // the holder's counters: what the held party sends
	}{
		{name: "caller holds", by: a, ref: c.out, far: b, farRef: c.in, hold: true, heldHears: c.outMedia},
		{name: "caller resumes", by: a, ref: c.out, far: b, farRef: c.in, hold: false, heldHears: c.outMedia},
		{name: "callee holds", by: b, ref: c.in, far: a, farRef: c.out, hold: true, heldHears: c.inMedia},
		{name: "callee resumes", by: b, ref: c.in, far: a, farRef: c.out, hold: false, heldHears: c.inMedia},
	}
	for _, s := range steps {
		from, farFrom := s.by.in.mark(), s.far.in.mark()
		if s.hold {
			s.by.Hold(s.ref)
		} else {
			s.by.Unhold(s.ref)
		}
		expect(t, s.by.in, from, s.name, is(emulator.SIPHold{Ref: s.ref, Held: s.hold}))
		expect(t, s.far.in, farFrom, s.name+" (far end)", is(emulator.SIPHold{Ref: s.farRef, Held: s.hold, Remote: true}))
		if s.hold {
			stalled(t, s.name+": the held party must stop sending", &s.heldHears.RTPIn)
		} else {
			flowing(t, s.name+": the resumed party sends again", &s.heldHears.RTPIn)
		}
	}
}

// Both ends hold the same call (RFC 3264 §8.4): the second hold succeeds
// and the first holder learns it is held too; each resume is reported
// apart, and after both the call carries audio both ways again.
func TestHoldWhileHeld(t *testing.T) {
	a := startUA(t, "127.0.0.1", "1001", "127.0.0.1:9")
	b := startUA(t, "127.0.0.1", "1002", "127.0.0.1:9")
	c := establish(t, a, b)

	b.Hold(c.in)
	expect(t, b.in, 0, "b holds", is(emulator.SIPHold{Ref: c.in, Held: true}))
	expect(t, a.in, 0, "a learns it is held", is(emulator.SIPHold{Ref: c.out, Held: true, Remote: true}))

	a.Hold(c.out)
	expect(t, a.in, 0, "a holds too", is(emulator.SIPHold{Ref: c.out, Held: true}))
	expect(t, b.in, 0, "b learns it is held", is(emulator.SIPHold{Ref: c.in, Held: true, Remote: true}))

	from, farFrom := a.in.mark(), b.in.mark()
	a.Unhold(c.out)
	expect(t, a.in, from, "a resumes", is(emulator.SIPHold{Ref: c.out, Held: false}))
	expect(t, b.in, farFrom, "b learns a resumed", is(emulator.SIPHold{Ref: c.in, Held: false, Remote: true}))

	from, farFrom = b.in.mark(), a.in.mark()
	b.Unhold(c.in)
	expect(t, b.in, from, "b resumes", is(emulator.SIPHold{Ref: c.in, Held: false}))
	expect(t, a.in, farFrom, "a learns b resumed", is(emulator.SIPHold{Ref: c.out, Held: false, Remote: true}))
	flowing(t, "a hears b again", &c.outMedia.RTPIn)
	flowing(t, "b hears a again", &c.inMedia.RTPIn)
}

// Hold of a call that does not exist or is still ringing reports an error
// (the phone must not wait for a re-INVITE that never goes out).
func TestHoldErrors(t *testing.T) {
	a := startUA(t, "127.0.0.1", "1001", "127.0.0.1:9")
	b := startUA(t, "127.0.0.1", "1002", "127.0.0.1:9")

	a.Hold("o99")
	h, _ := expect(t, a.in, 0, "hold of an unknown call", func(h emulator.SIPHold) bool { return h.Ref == "o99" })
	if !h.Held || h.Err == "" {
		t.Fatalf("hold of an unknown call = %+v, want Held with an error", h)
	}

	ref, callID := a.dial(t, b.uri())
	b.incoming(t, callID)
	a.Unhold(ref)
	h, _ = expect(t, a.in, 0, "resume of a ringing call", func(h emulator.SIPHold) bool { return h.Ref == ref })
	if h.Held || h.Err == "" {
		t.Fatalf("resume of a ringing call = %+v, want an error", h)
	}
}

// The far end's hold as a plain SIP peer words it: a=sendonly, a=inactive,
// or the RFC 2543 address 0.0.0.0. Each change is reported once; an SDP
// with a broken c= line is refused with 400 and the call still ends
// cleanly.
func TestRemoteHoldOffers(t *testing.T) {
	b := startUA(t, "127.0.0.1", "1002", "127.0.0.1:9")
	peer := newRawSIP(t).invite(t, b.Addr(), "1002", "")
	in, _ := expect(t, b.in, 0, "raw call rings", func(s emulator.SIPIncoming) bool { return s.CallID == peer.callID })
	b.Answer(in.Ref)
	if res := peer.final(t); !strings.HasPrefix(res, "SIP/2.0 200 ") {
		t.Fatalf("answer: %s", status(res))
	}
	b.answered(t, in.Ref)

	sdp := func(version int, dir, addr string) string {
		return strings.Replace(rawSDP(version, dir), "c=IN IP4 127.0.0.1", "c=IN IP4 "+addr, 1)
	}
	for i, step := range []struct {
		name, sdp, status string
		report            *emulator.SIPHold // nil: nothing new reported
	}{
		{"sendonly", sdp(2, "sendonly", "127.0.0.1"), "SIP/2.0 200 ", &emulator.SIPHold{Ref: in.Ref, Held: true, Remote: true}},
		{"inactive, still held", sdp(3, "inactive", "127.0.0.1"), "SIP/2.0 200 ", nil},
		{"resume", sdp(4, "sendrecv", "127.0.0.1"), "SIP/2.0 200 ", &emulator.SIPHold{Ref: in.Ref, Held: false, Remote: true}},
		{"RFC 2543 hold", sdp(5, "sendrecv", "0.0.0.0"), "SIP/2.0 200 ", &emulator.SIPHold{Ref: in.Ref, Held: true, Remote: true}},
		{"broken c= line", strings.Replace(rawSDP(6, "sendrecv"), "c=IN IP4 127.0.0.1", "c=IN", 1), "SIP/2.0 400 ", nil},
		{"resume again", sdp(7, "sendrecv", "127.0.0.1"), "SIP/2.0 200 ", &emulator.SIPHold{Ref: in.Ref, Held: false, Remote: true}},
	} {
		from := b.in.mark()
		peer.send(t, "INVITE", "", step.sdp)
		if res := peer.final(t); !strings.HasPrefix(res, step.status) {
			t.Fatalf("step %d (%s): re-INVITE answered %q, want %q", i, step.name, status(res), step.status)
		}
		if step.report != nil {
			expect(t, b.in, from, step.name, is(*step.report))
		} else {
			time.Sleep(50 * time.Millisecond)
			none[emulator.SIPHold](t, b.in, from, step.name)
		}
	}
	b.Hangup(in.Ref)
	peer.waitRequest(t, "BYE")
	b.ended(t, in.Ref)
}
