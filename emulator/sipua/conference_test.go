package sipua_test

import (
	"context"
	"encoding/binary"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/phonesim/phonesim/emulator"
	"github.com/phonesim/phonesim/emulator/sipua"
	"github.com/phonesim/phonesim/keypad"
)

// startMediaPhone starts a phone on 127.0.0.1 that plays play into its
// calls and records what it hears into a fresh directory (returned).
func startMediaPhone(t *testing.T, name, user, play string) (*testPhone, string) {
	t.Helper()
	dir := t.TempDir()
	return startPhoneMedia(t, name, "127.0.0.1", user, "127.0.0.1:9", sipua.MediaOptions{Play: play, RecordDir: dir}), dir
}

// callStatus finds the phone's call to or from the phone at addr.
func callStatus(p *testPhone, addr string) (emulator.CallStatus, bool) {
	for _, c := range p.Snapshot().Calls {
		if strings.Contains(c.RemoteURI, addr) {
			return c, true
		}
	}
	return emulator.CallStatus{}, false
}

// heard is the decoded audio a phone recorded so far on call ref: the WAV
// file grows by one write per packet, after a 44-byte header.
func heard(t *testing.T, dir string, ref emulator.CallRef) []int16 {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, string(ref)+".wav"))
	if errors.Is(err, os.ErrNotExist) || len(b) < 44 {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	b = b[44:]
	out := make([]int16, len(b)/2)
	for i := range out {
		out[i] = int16(binary.LittleEndian.Uint16(b[2*i:]))
	}
	return out
}

// toneLevel is the amplitude of the hz component of 8 kHz PCM (Goertzel
// algorithm): about 8191 for a phone's -12 dBFS tone heard without gaps,
// near 0 for a frequency nobody sends.
func toneLevel(pcm []int16, hz float64) float64 {
	if len(pcm) == 0 {
		return 0
	}
	coeff := 2 * math.Cos(2*math.Pi*hz/8000)
	var s1, s2 float64
	for _, x := range pcm {
		s1, s2 = float64(x)+coeff*s1-s2, s1
	}
	power := s1*s1 + s2*s2 - coeff*s1*s2
	return 2 * math.Sqrt(math.Max(power, 0)) / float64(len(pcm))
}

// Levels with a wide margin: a tone is heard when its level is above a
// quarter of the sent amplitude, absent below a twentieth.
const (
	heardLevel  = 2000
	absentLevel = 400
)

// recordedCall is where a phone records one call.
type recordedCall struct {
	who string
	dir string
	ref emulator.CallRef
}

// listen waits until each recording has secs seconds more audio, skipping
// the first 100 ms (the conference's pipes fill), and returns that audio.
func listen(t *testing.T, secs float64, recs ...recordedCall) [][]int16 {
	t.Helper()
	from := make([]int, len(recs))
	for i, r := range recs {
		from[i] = len(heard(t, r.dir, r.ref)) + 800
	}
	want := int(secs * 8000)
	out := make([][]int16, len(recs))
	for i, r := range recs {
		waitFor(t, r.who+"'s recording to grow", 10*time.Second, func() bool { return len(heard(t, r.dir, r.ref)) >= from[i]+want })
		out[i] = heard(t, r.dir, r.ref)[from[i] : from[i]+want]
	}
	return out
}

func expectTones(t *testing.T, who string, pcm []int16, present, absent []float64) {
	t.Helper()
	for _, hz := range append(present, absent...) {
		t.Logf("%s: %v Hz level %.0f", who, hz, toneLevel(pcm, hz))
	}
	for _, hz := range present {
		if l := toneLevel(pcm, hz); l < heardLevel {
			t.Errorf("%s: %v Hz level %.0f, want >= %d (should be heard)", who, hz, l, heardLevel)
		}
	}
	for _, hz := range absent {
		if l := toneLevel(pcm, hz); l > absentLevel {
			t.Errorf("%s: %v Hz level %.0f, want <= %d (should not be heard)", who, hz, l, absentLevel)
		}
	}
}

// dialAndAnswer makes from call to and waits until both sides talk; it
// returns the ref of the call on each side.
func dialAndAnswer(t *testing.T, from, to *testPhone, toUser string) (emulator.CallRef, emulator.CallRef) {
	t.Helper()
	ctx := context.Background()
	addr := to.ua.Addr()
	if err := from.Do(ctx, emulator.DialNumber{Number: "sip:" + toUser + "@" + addr}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "call ringing at "+toUser, 5*time.Second, func() bool {
		s := to.Snapshot()
		return len(s.Calls) == 1
	})
	if err := to.Do(ctx, emulator.PressKey{Key: keypad.OK}); err != nil {
		t.Fatal(err)
	}
	var fromRef, toRef emulator.CallRef
	waitFor(t, "RTP both ways with "+toUser, 5*time.Second, func() bool {
		a, ok := callStatus(from, addr)
		bs := to.Snapshot().Calls
		if !ok || len(bs) != 1 {
			return false
		}
		fromRef, toRef = a.Ref, bs[0].Ref
		return a.RTPIn > 5 && a.RTPOut > 5 && bs[0].RTPIn > 5 && bs[0].RTPOut > 5
	})
	return fromRef, toRef
}

// A three-way conference hosted by phone A: B and C each hear A's tone and
// the other's tone, never their own; leaving the conference (Unmix, or a
// party hanging up) brings a leg back to hearing A alone.
func TestLocalThreeWayConference(t *testing.T) {
	a, _ := startMediaPhone(t, "alice", "1001", "tone:440")
	b, bDir := startMediaPhone(t, "bob", "1002", "tone:700")
	c, cDir := startMediaPhone(t, "carol", "1003", "tone:1100")

	aToB, bRef := dialAndAnswer(t, a, b, "1002")

	// While C's call is still ringing it cannot be mixed.
	if err := a.Do(context.Background(), emulator.DialNumber{Number: "sip:1003@" + c.ua.Addr()}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "call ringing at carol", 5*time.Second, func() bool { return len(c.Snapshot().Calls) == 1 })
	ringing, ok := callStatus(a, c.ua.Addr())
	if !ok {
		t.Fatal("alice has no call to carol")
	}
	if err := a.ua.Mix(aToB, ringing.Ref); !errors.Is(err, sipua.ErrMixNotEstablished) {
		t.Errorf("Mix with a ringing call: %v, want ErrMixNotEstablished", err)
	}
	if err := c.Do(context.Background(), emulator.PressKey{Key: keypad.OK}); err != nil {
		t.Fatal(err)
	}
	var aToC, cRef emulator.CallRef
	waitFor(t, "RTP both ways with carol", 5*time.Second, func() bool {
		ac, ok := callStatus(a, c.ua.Addr())
		cs := c.Snapshot().Calls
		if !ok || len(cs) != 1 {
			return false
		}
		aToC, cRef = ac.Ref, cs[0].Ref
		return ac.RTPIn > 5 && cs[0].RTPIn > 5
	})
	// Dialling carol held bob first (a number dialled during a call holds
	// it, docs/events.md); resume him so that both calls are up, as Mix
	// wants them.
	a.ua.Unhold(aToB)
	waitFor(t, "bob resumed", 5*time.Second, func() bool {
		bs := b.Snapshot().Calls
		return len(bs) == 1 && !bs[0].RemoteHeld
	})

	// Before the conference, each hears only A.
	bob, carol := recordedCall{"bob", bDir, bRef}, recordedCall{"carol", cDir, cRef}
	got := listen(t, 0.5, bob, carol)
	expectTones(t, "bob before Mix", got[0], []float64{440}, []float64{700, 1100})
	expectTones(t, "carol before Mix", got[1], []float64{440}, []float64{700, 1100})

	for _, bad := range [][]emulator.CallRef{nil, {aToB}, {aToB, aToB}} {
		if err := a.ua.Mix(bad...); !errors.Is(err, sipua.ErrMixTooFew) {
			t.Errorf("Mix(%v) = %v, want ErrMixTooFew", bad, err)
		}
	}
	if err := a.ua.Mix(aToB, "o99"); !errors.Is(err, sipua.ErrMixUnknownCall) {
		t.Errorf("Mix with an unknown call: %v, want ErrMixUnknownCall", err)
	}
	if m := a.ua.Mixed(aToB); m != nil {
		t.Errorf("Mixed before Mix = %v", m)
	}

	before, _ := callStatus(a, b.ua.Addr())
	bBefore := b.Snapshot().Calls[0]
	if err := a.ua.Mix(aToB, aToC); err != nil {
		t.Fatal(err)
	}
	if m := a.ua.Mixed(aToC); len(m) != 2 {
		t.Errorf("Mixed(%s) = %v, want both calls", aToC, m)
	}
	got = listen(t, 1, bob, carol)
	expectTones(t, "bob in conference", got[0], []float64{440, 1100}, []float64{700})
	expectTones(t, "carol in conference", got[1], []float64{440, 700}, []float64{1100})

	// Mixing does not change the packet rate: A still sends B one packet
	// per packet B sends A (both are paced by their RTP clocks).
	after, _ := callStatus(a, b.ua.Addr())
	bAfter := b.Snapshot().Calls[0]
	sent, bSent := after.RTPOut-before.RTPOut, bAfter.RTPOut-bBefore.RTPOut
	if bSent < 50 || float64(sent) < 0.7*float64(bSent) || float64(sent) > 1.3*float64(bSent) {
		t.Errorf("during the conference alice sent bob %d packets while bob sent %d; want about the same", sent, bSent)
	}
	if after.Codec != "PCMU" {
		t.Errorf("alice's leg to bob: codec %q", after.Codec)
	}
	// RFC 4733 digits still go out on a mixed leg.
	a.ua.SendDTMF(aToB, '5')
	waitFor(t, "bob to receive a digit", 5*time.Second, func() bool { return b.Snapshot().Calls[0].DTMFIn == 1 })

	// Unmix C: the conference dissolves, B hears A alone again.
	a.ua.Unmix(aToC)
	if m := a.ua.Mixed(aToB); m != nil {
		t.Errorf("Mixed after the conference dissolved = %v", m)
	}
	got = listen(t, 0.5, bob, carol)
	expectTones(t, "bob after Unmix", got[0], []float64{440}, []float64{700, 1100})
	expectTones(t, "carol after Unmix", got[1], []float64{440}, []float64{700, 1100})

	// Mix again, then C hangs up: its leg leaves by itself.
	if err := a.ua.Mix(aToC, aToB); err != nil {
		t.Fatal(err)
	}
	expectTones(t, "bob in conference again", listen(t, 0.5, bob)[0], []float64{440, 1100}, []float64{700})
	if err := c.Do(context.Background(), emulator.PressKey{Key: keypad.X}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "alice's call to carol to leave the conference", 5*time.Second, func() bool {
		return len(a.Snapshot().Calls) == 1 && a.ua.Mixed(aToB) == nil
	})
	expectTones(t, "bob after carol hung up", listen(t, 0.5, bob)[0], []float64{440}, []float64{700, 1100})
	if err := a.ua.Mix(aToB, aToC); !errors.Is(err, sipua.ErrMixUnknownCall) && !errors.Is(err, sipua.ErrMixNotEstablished) {
		t.Errorf("Mix with an ended call: %v, want ErrMixUnknownCall or ErrMixNotEstablished", err)
	}
}
