package peers

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"os"
)

// WAV files for the peers: baresip plays an 8 kHz mono 16-bit PCM WAV
// (its aufile module), SIPp's rtp_stream plays a file already encoded as
// PCMU. AnalyzeWAV reads what baresip recorded so a test can check that
// audio arrived.

// WAV format tags (RFC 2361 appendix A).
const (
	wavPCM   = 1
	wavMuLaw = 7
)

const sampleRate = 8000

// ToneWAV returns an 8 kHz mono 16-bit PCM WAV holding a sine tone of hz
// hertz at about a quarter of full scale, lasting d seconds.
func ToneWAV(hz float64, seconds float64) []byte {
	n := int(seconds * sampleRate)
	data := make([]byte, 2*n)
	for i := range n {
		s := int16(8000 * math.Sin(2*math.Pi*hz*float64(i)/sampleRate))
		binary.LittleEndian.PutUint16(data[2*i:], uint16(s))
	}
	return wavFile(wavPCM, 16, data)
}

// ToneFile is ToneWAV encoded as PCMU (G.711 mu-law, WAV format 7), the
// payload SIPp's rtp_stream sends as RTP payload type 0.
func ToneFile(hz float64, seconds float64) []byte {
	n := int(seconds * sampleRate)
	data := make([]byte, n)
	for i := range n {
		data[i] = linearToMuLaw(int16(8000 * math.Sin(2*math.Pi*hz*float64(i)/sampleRate)))
	}
	return wavFile(wavMuLaw, 8, data)
}

// wavFile wraps mono 8 kHz sample data in a RIFF/WAVE container.
func wavFile(format uint16, bits uint16, data []byte) []byte {
	blockAlign := bits / 8
	b := make([]byte, 0, 44+len(data))
	b = append(b, "RIFF"...)
	b = binary.LittleEndian.AppendUint32(b, uint32(36+len(data)))
	b = append(b, "WAVEfmt "...)
	b = binary.LittleEndian.AppendUint32(b, 16)
	b = binary.LittleEndian.AppendUint16(b, format)
	b = binary.LittleEndian.AppendUint16(b, 1) // channels
	b = binary.LittleEndian.AppendUint32(b, sampleRate)
	b = binary.LittleEndian.AppendUint32(b, sampleRate*uint32(blockAlign))
	b = binary.LittleEndian.AppendUint16(b, blockAlign)
	b = binary.LittleEndian.AppendUint16(b, bits)
	b = append(b, "data"...)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(data)))
	return append(b, data...)
}

// linearToMuLaw encodes one sample as G.711 mu-law (ITU-T G.711 table 2,
// with the usual bias of 0x84 and clip at 32635).
func linearToMuLaw(s int16) byte {
	const bias, clip = 0x84, 32635
	v := int(s)
	sign := 0
	if v < 0 {
		sign, v = 0x80, -v
	}
	v = min(v, clip) + bias
	exp := 7
	for mask := 0x4000; exp > 0 && v&mask == 0; mask >>= 1 {
		exp--
	}
	mant := (v >> (exp + 3)) & 0x0f
	return ^byte(sign | exp<<4 | mant)
}

// muLawToLinear decodes one G.711 mu-law byte.
func muLawToLinear(u byte) int16 {
	u = ^u
	exp := int(u>>4) & 7
	v := ((int(u&0x0f) << 3) + 0x84) << exp
	v -= 0x84
	if u&0x80 != 0 {
		return int16(-v)
	}
	return int16(v)
}

// WAVInfo describes the audio of a WAV file.
type WAVInfo struct {
	Format     int     // 1 PCM, 7 mu-law
	Channels   int     // always 1 for files AnalyzeWAV accepts
	SampleRate int     // samples per second
	Samples    int     // number of samples
	RMS        float64 // root mean square of the samples (full scale 32768)
	// ToneHz estimates the frequency of a pure tone from zero crossings
	// (half the crossings per second); meaningless for speech or noise.
	ToneHz float64
}

// Seconds is the duration of the audio.
func (w WAVInfo) Seconds() float64 {
	if w.SampleRate == 0 {
		return 0
	}
	return float64(w.Samples) / float64(w.SampleRate)
}

// AnalyzeWAV reads a mono PCM-16 or mu-law WAV file (as baresip's sndfile
// module records) and measures it.
func AnalyzeWAV(path string) (WAVInfo, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return WAVInfo{}, err
	}
	info, err := ParseWAV(b)
	if err != nil {
		return WAVInfo{}, fmt.Errorf("%s: %w", path, err)
	}
	return info, nil
}

// ParseWAV measures a mono PCM-16 or mu-law WAV held in memory. A data
// chunk whose declared size runs past the end of the file (a recording not
// closed yet) is read up to the end.
func ParseWAV(b []byte) (WAVInfo, error) {
	if len(b) < 12 || string(b[0:4]) != "RIFF" || string(b[8:12]) != "WAVE" {
		return WAVInfo{}, errors.New("not a RIFF/WAVE file")
	}
	var info WAVInfo
	var bits int
	haveFmt := false
	for p := 12; p+8 <= len(b); {
		id := string(b[p : p+4])
		size := int(binary.LittleEndian.Uint32(b[p+4 : p+8]))
		body := b[p+8:]
		if size >= 0 && size < len(body) {
			body = body[:size]
		}
		switch id {
		case "fmt ":
			if len(body) < 16 {
				return WAVInfo{}, errors.New("fmt chunk shorter than 16 bytes")
			}
			info.Format = int(binary.LittleEndian.Uint16(body[0:]))
			info.Channels = int(binary.LittleEndian.Uint16(body[2:]))
			info.SampleRate = int(binary.LittleEndian.Uint32(body[4:]))
			bits = int(binary.LittleEndian.Uint16(body[14:]))
			haveFmt = true
		case "data":
			if !haveFmt {
				return WAVInfo{}, errors.New("data chunk before fmt chunk")
			}
			samples, err := decodeSamples(info.Format, bits, info.Channels, body)
			if err != nil {
				return WAVInfo{}, err
			}
			if info.SampleRate <= 0 {
				return WAVInfo{}, fmt.Errorf("sample rate %d", info.SampleRate)
			}
			info.Samples = len(samples)
			info.RMS, info.ToneHz = measure(samples, info.SampleRate)
			return info, nil
		}
		if size < 0 || size > len(b)-p-8 {
			break
		}
		p += 8 + size + size%2 // chunks are padded to even sizes
	}
	return WAVInfo{}, errors.New("no data chunk")
}

func decodeSamples(format, bits, channels int, data []byte) ([]int16, error) {
	if channels != 1 {
		return nil, fmt.Errorf("%d channels, want mono", channels)
	}
	switch {
	case format == wavPCM && bits == 16:
		s := make([]int16, len(data)/2)
		for i := range s {
			s[i] = int16(binary.LittleEndian.Uint16(data[2*i:]))
		}
		return s, nil
	case format == wavMuLaw && bits == 8:
		s := make([]int16, len(data))
		for i, u := range data {
			s[i] = muLawToLinear(u)
		}
		return s, nil
	}
	return nil, fmt.Errorf("format %d with %d bits per sample, want PCM 16 or mu-law 8", format, bits)
}

func measure(s []int16, rate int) (rms, toneHz float64) {
	if len(s) == 0 {
		return 0, 0
	}
	var sum float64
	crossings := 0
	for i, v := range s {
		sum += float64(v) * float64(v)
		if i > 0 && (v < 0) != (s[i-1] < 0) {
			crossings++
		}
	}
	rms = math.Sqrt(sum / float64(len(s)))
	toneHz = float64(crossings) / 2 * float64(rate) / float64(len(s))
	return rms, toneHz
}
