package peers

import (
	"math"
	"testing"
)

func TestToneFilesMeasureAsTheirTone(t *testing.T) {
	for name, file := range map[string][]byte{
		"pcm16": ToneWAV(1000, 0.5),
		"pcmu":  ToneFile(1000, 0.5),
	} {
		info, err := ParseWAV(file)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if info.SampleRate != 8000 || info.Channels != 1 || info.Samples != 4000 || info.Seconds() != 0.5 {
			t.Errorf("%s: %+v, want 4000 mono samples at 8 kHz", name, info)
		}
		if math.Abs(info.ToneHz-1000) > 5 {
			t.Errorf("%s: tone %.1f Hz, want 1000", name, info.ToneHz)
		}
		// A sine of amplitude 8000 has an RMS of 8000/sqrt(2) = 5657.
		if math.Abs(info.RMS-5657) > 150 {
			t.Errorf("%s: RMS %.0f, want about 5657", name, info.RMS)
		}
	}
}

func TestMuLawRoundTripIsClose(t *testing.T) {
	for _, s := range []int16{0, 1, -1, 100, -100, 1000, -1000, 8000, -8000, 32767, -32768} {
		got := muLawToLinear(linearToMuLaw(s))
		// G.711 mu-law keeps about 3% relative precision, 4 steps near 0.
		if d := math.Abs(float64(got) - float64(s)); d > math.Max(4, math.Abs(float64(s))*0.04) {
			t.Errorf("mu-law round trip of %d = %d", s, got)
		}
	}
	// ITU-T G.711: 0 encodes as 0xFF.
	if linearToMuLaw(0) != 0xff {
		t.Errorf("mu-law of 0 = %#x, want 0xff", linearToMuLaw(0))
	}
}

func TestParseWAVReadsUnclosedRecording(t *testing.T) {
	file := ToneWAV(1000, 0.25)
	// A recorder that has not closed its file yet declares 0 bytes of data
	// at offset 40, or more than there is.
	file[40], file[41], file[42], file[43] = 0xff, 0xff, 0xff, 0x7f
	info, err := ParseWAV(file)
	if err != nil || info.Samples != 2000 {
		t.Fatalf("ParseWAV = %+v, %v; want the 2000 samples present", info, err)
	}
}

func TestParseWAVRejectsOtherFiles(t *testing.T) {
	stereo := ToneWAV(1000, 0.1)
	stereo[22] = 2
	float := ToneWAV(1000, 0.1)
	float[20] = 3
	for name, in := range map[string][]byte{
		"empty":     nil,
		"not riff":  []byte("RIFX....WAVEfmt "),
		"no data":   ToneWAV(1000, 0.1)[:36],
		"stereo":    stereo,
		"float":     float,
		"short fmt": []byte("RIFF\x10\x00\x00\x00WAVEfmt \x04\x00\x00\x00\x01\x00\x01\x00"),
	} {
		if _, err := ParseWAV(in); err == nil {
			t.Errorf("%s: ParseWAV succeeded, want an error", name)
		}
	}
}

func FuzzParseWAV(f *testing.F) {
	f.Add(ToneWAV(440, 0.01))
	f.Add(ToneFile(440, 0.01))
	f.Add([]byte("RIFF\x00\x00\x00\x00WAVEdata\x00\x00\x00\x00"))
	f.Add([]byte("RIFF\x00\x00\x00\x00WAVEfmt \xff\xff\xff\xff"))
	f.Fuzz(func(t *testing.T, in []byte) {
		info, err := ParseWAV(in)
		if err != nil {
			return
		}
		if info.Samples < 0 || info.Samples > len(in) || math.IsNaN(info.RMS) || info.RMS > 32768 {
			t.Fatalf("implausible %+v from %d bytes", info, len(in))
		}
	})
}
