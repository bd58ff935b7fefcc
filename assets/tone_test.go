package assets

import (
	"encoding/binary"
	"math"
	"testing"
)

func TestToneIsWholeFramesAtTheRightPitch(t *testing.T) {
	pcm := TonePCM(440, 1000)
	n := len(pcm) / 2
	if n != SampleRate || n%(SampleRate/50) != 0 {
		t.Fatalf("%d samples, want 8000 in whole 20 ms frames", n)
	}
	crossings, peak := 0, 0.0
	prev := int16(binary.LittleEndian.Uint16(pcm))
	for i := 1; i < n; i++ {
		v := int16(binary.LittleEndian.Uint16(pcm[2*i:]))
		if (prev < 0) != (v < 0) {
			crossings++
		}
		peak = math.Max(peak, math.Abs(float64(v)))
		prev = v
	}
	if hz := float64(crossings) / 2; math.Abs(hz-440) > 2 {
		t.Errorf("tone measures %.1f Hz, want 440", hz)
	}
	if peak < 0.2*math.MaxInt16 || peak > 0.3*math.MaxInt16 {
		t.Errorf("peak %.0f, want about -12 dBFS", peak)
	}
}

func TestWAVHeader(t *testing.T) {
	pcm := TonePCM(1000, 100)
	w := WAV(pcm)
	if string(w[0:4]) != "RIFF" || string(w[8:16]) != "WAVEfmt " || string(w[36:40]) != "data" {
		t.Fatalf("bad chunk ids: %q", w[:44])
	}
	if got := binary.LittleEndian.Uint32(w[24:]); got != SampleRate {
		t.Errorf("sample rate %d", got)
	}
	if got := binary.LittleEndian.Uint32(w[40:]); int(got) != len(pcm) || len(w) != 44+len(pcm) {
		t.Errorf("data size %d for %d bytes", got, len(pcm))
	}
}
