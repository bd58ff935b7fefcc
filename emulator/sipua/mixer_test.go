package sipua

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"os"
	"slices"
	"testing"

	"github.com/phonesim/phonesim/assets"
	"github.com/phonesim/phonesim/emulator"
)

func TestMixFrameSumsAndClips(t *testing.T) {
	a := []int16{1000, 30000, -30000, 5, 7}
	b := []int16{-400, 10000, -10000, -5}
	c := []int16{1, 1, -1, 0}
	dst := make([]int16, 5)
	mixFrame(dst, a, b, c)
	want := []int16{601, math.MaxInt16, math.MinInt16, 0, 7} // b and c end early: silence
	if !slices.Equal(dst, want) {
		t.Errorf("mixFrame = %v, want %v", dst, want)
	}
	// dst may be one of the inputs.
	mixFrame(a, a, a)
	if a[0] != 2000 || a[1] != math.MaxInt16 {
		t.Errorf("mixing in place = %v", a)
	}
}

func TestPCMPipeKeepsOrderDropsOldestAndPadsWithSilence(t *testing.T) {
	p := newPCMPipe(4) // holds 16 samples
	dst := make([]int16, 6)
	if n := p.read(dst); n != 0 || !slices.Equal(dst, make([]int16, 6)) {
		t.Fatalf("empty pipe read %d samples: %v", n, dst)
	}
	p.write([]int16{1, 2, 3, 4})
	if n := p.read(dst); n != 4 || !slices.Equal(dst, []int16{1, 2, 3, 4, 0, 0}) {
		t.Fatalf("read %d: %v", n, dst)
	}
	// Overflow: 20 samples into room for 16 keeps the newest 16.
	for i := range int16(20) {
		p.write([]int16{100 + i})
	}
	got := make([]int16, 16)
	if n := p.read(got); n != 16 || got[0] != 104 || got[15] != 119 {
		t.Fatalf("after overflow read %d: %v", n, got)
	}
	// A write larger than the pipe keeps its tail.
	big := make([]int16, 40)
	for i := range big {
		big[i] = int16(i)
	}
	p.write(big)
	if n := p.read(got); n != 16 || got[0] != 24 || got[15] != 39 {
		t.Fatalf("after a big write read %d: %v", n, got)
	}
}

// FuzzPCMPipe checks the ring against a plain slice for any sequence of
// writes and reads (the sizes come from the far end's packets).
func FuzzPCMPipe(f *testing.F) {
	f.Add([]byte{3, 200, 5, 130, 160, 160, 161, 0})
	f.Add([]byte{255, 255, 255, 129})
	f.Fuzz(func(t *testing.T, ops []byte) {
		p := newPCMPipe(8) // 32 samples
		var model []int16
		next := int16(0)
		for _, op := range ops {
			n := int(op & 0x7f)
			if op&0x80 == 0 { // write n samples
				s := make([]int16, n)
				for i := range s {
					next++
					s[i] = next
				}
				p.write(s)
				model = append(model, s...)
				if len(model) > 32 {
					model = model[len(model)-32:]
				}
				continue
			}
			dst := make([]int16, n)
			got := p.read(dst)
			k := min(n, len(model))
			want := append(slices.Clone(model[:k]), make([]int16, n-k)...)
			model = model[k:]
			if got != k || !slices.Equal(dst, want) {
				t.Fatalf("read(%d) = %d %v, want %d %v", n, got, dst, k, want)
			}
		}
	})
}

func TestG711RoundTrip(t *testing.T) {
	src := []int16{0, 100, -100, 1000, -1000, 8000, -8000, 32000, -32000}
	for _, c := range []struct {
		name string
		pt   uint8
	}{{"PCMU", ptPCMU}, {"pcma", ptPCMA}} {
		enc, err := g711Encoder(c.name)
		if err != nil {
			t.Fatal(err)
		}
		payload := enc(make([]byte, len(src)), src)
		got, ok := decodeG711(c.pt, payload, make([]int16, 160))
		if !ok || len(got) != len(src) {
			t.Fatalf("%s: decoded %v ok=%v", c.name, got, ok)
		}
		for i := range src {
			// G.711 keeps about 3% of the magnitude (8-bit log quantiser).
			if d := math.Abs(float64(got[i]) - float64(src[i])); d > 0.04*math.Abs(float64(src[i]))+16 {
				t.Errorf("%s: %d came back as %d", c.name, src[i], got[i])
			}
		}
	}
	for _, pt := range []uint8{101, 13, 96} { // telephone-event, CN, dynamic
		if _, ok := decodeG711(pt, []byte{1, 2, 3, 4}, make([]int16, 4)); ok {
			t.Errorf("payload type %d decoded as audio", pt)
		}
	}
	if _, err := g711Encoder("opus"); err == nil {
		t.Error("g711Encoder(opus) accepted")
	}
}

func TestMediaPCMFromToneAndWAV(t *testing.T) {
	tone, err := MediaOptions{Play: "tone:400"}.pcm(160)
	if err != nil || len(tone) != 8000 {
		t.Fatalf("tone: %d samples, %v", len(tone), err)
	}
	// A WAV whose length is not whole frames is padded with silence.
	raw := assets.TonePCM(400, 1000)[:2*250]
	path := t.TempDir() + "/short.wav"
	if err := os.WriteFile(path, assets.WAV(raw), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := MediaOptions{Play: path}.pcm(160)
	if err != nil || len(got) != 320 || !slices.Equal(got[:250], tone[:250]) || slices.ContainsFunc(got[250:], func(s int16) bool { return s != 0 }) {
		t.Fatalf("WAV: %d samples, %v", len(got), err)
	}
	for _, bad := range []string{"tone:0", "tone:5000", "tone:x", t.TempDir() + "/missing.wav"} {
		if _, err := (MediaOptions{Play: bad}).pcm(160); err == nil {
			t.Errorf("pcm(%q) accepted", bad)
		}
	}
	stereo := assets.WAV(raw)
	binary.LittleEndian.PutUint16(stereo[22:], 2)
	if _, err := wavPCM(stereo); err == nil {
		t.Error("stereo WAV accepted")
	}
}

// FuzzWavPCM: a configured WAV file is outside input; any bytes give
// samples or an error, never a panic, and a good file gives its samples.
func FuzzWavPCM(f *testing.F) {
	good := assets.TonePCM(1000, 20)
	f.Add(assets.WAV(good))
	f.Add([]byte("RIFF\x00\x00\x00\x00WAVE"))
	f.Add(assets.WAV(nil))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		pcm, err := wavPCM(b)
		if err == nil && bytes.Equal(b, assets.WAV(good)) && !bytes.Equal(pcm, good) {
			t.Fatalf("good WAV gave %d bytes, want %d", len(pcm), len(good))
		}
	})
}

// Mix merges conferences and a leg's leaving rewires the rest; checked on
// legs without RTP, as the wiring is plain data.
func TestConferenceMembership(t *testing.T) {
	u := &UA{}
	legs := map[emulator.CallRef]*callMedia{}
	for _, ref := range []emulator.CallRef{"o1", "o2", "i1", "i2"} {
		m := &callMedia{ref: ref, frameSamples: 160, done: make(chan struct{})}
		legs[ref] = m
		l := newLeg(ref)
		l.media = m // as an answered call's leg has it
		u.calls.Store(ref, l)
	}
	u.calls.Store(emulator.CallRef("o3"), newLeg("o3")) // still ringing
	wired := func(ref emulator.CallRef) int {
		v := legs[ref].mix.Load()
		if v == nil {
			return 0
		}
		if len(v.in) != len(v.out) {
			t.Fatalf("%s: %d pipes in, %d out", ref, len(v.in), len(v.out))
		}
		return len(v.in)
	}

	if err := u.Mix("o1", "o3"); !errors.Is(err, ErrMixNotEstablished) {
		t.Errorf("Mix with a ringing call: %v", err)
	}
	if err := u.Mix("o1", "o2"); err != nil {
		t.Fatal(err)
	}
	if wired("o1") != 1 || wired("o2") != 1 {
		t.Fatalf("two-party conference wiring: %d %d", wired("o1"), wired("o2"))
	}
	// Mixing a third call with a conference's call adds it.
	if err := u.Mix("i1", "o2"); err != nil {
		t.Fatal(err)
	}
	if got := u.Mixed("o1"); len(got) != 3 || wired("o1") != 2 || wired("i1") != 2 {
		t.Fatalf("after adding i1: %v, wiring %d %d", got, wired("o1"), wired("i1"))
	}
	// Pipes connect the right legs: what o1 receives reaches o2 and i1.
	for _, p := range legs["o1"].mix.Load().out {
		p.write([]int16{7})
	}
	for _, ref := range []emulator.CallRef{"o2", "i1"} {
		heard := 0
		for _, p := range legs[ref].mix.Load().in {
			heard += p.read(make([]int16, 1))
		}
		if heard != 1 {
			t.Errorf("%s got o1's audio from %d pipes, want 1", ref, heard)
		}
	}
	// A call that ends leaves; the last two stay mixed.
	close(legs["o2"].done)
	legs["o2"].leaveConference()
	if err := u.Mix("o2", "i2"); !errors.Is(err, ErrMixNotEstablished) {
		t.Errorf("Mix with an ended call: %v", err)
	}
	if got := u.Mixed("i1"); len(got) != 2 || wired("o1") != 1 || wired("o2") != 0 {
		t.Fatalf("after o2 left: %v", got)
	}
	u.Unmix("o1")
	if u.Mixed("i1") != nil || wired("i1") != 0 || wired("o1") != 0 {
		t.Fatal("a one-party conference did not dissolve")
	}
	u.Unmix("o1")  // not in a conference: nothing happens
	u.Unmix("o99") // unknown
}

// BenchmarkMixFrame mixes one 20 ms frame for one leg of a three-way
// conference: the phone's own audio plus the two other legs.
func BenchmarkMixFrame(b *testing.B) {
	own, b1, b2 := make([]int16, 160), make([]int16, 160), make([]int16, 160)
	for i := range own {
		own[i], b1[i], b2[i] = int16(i*97), int16(-i*61), int16(i*13)
	}
	dst := make([]int16, 160)
	b.ReportAllocs()
	for b.Loop() {
		mixFrame(dst, own, b1, b2)
	}
}

// BenchmarkConferenceLegFrame is all the conference adds to one leg's
// 20 ms: decode a received packet into two pipes, read two pipes, mix and
// encode.
func BenchmarkConferenceLegFrame(b *testing.B) {
	enc, _ := g711Encoder("PCMU")
	own := sine440(make([]int16, 160))
	packet := enc(make([]byte, 160), own)
	p1, p2 := newPCMPipe(160), newPCMPipe(160)
	dec, h1, h2, mixed := make([]int16, 160), make([]int16, 160), make([]int16, 160), make([]int16, 160)
	payload := make([]byte, 160)
	b.ReportAllocs()
	for b.Loop() {
		s, _ := decodeG711(ptPCMU, packet, dec)
		p1.write(s)
		p2.write(s)
		p1.read(h1)
		p2.read(h2)
		mixFrame(mixed, own, h1, h2)
		enc(payload, mixed)
	}
}

func sine440(dst []int16) []int16 {
	for i := range dst {
		dst[i] = int16(8000 * math.Sin(2*math.Pi*440*float64(i)/8000))
	}
	return dst
}
