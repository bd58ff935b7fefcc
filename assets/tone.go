// Package assets holds the files phonesim ships inside its binaries and the
// audio it generates: the tone a phone plays into a call when no WAV file is
// configured.
package assets

import (
	"encoding/binary"
	"math"
)

// SampleRate is the G.711 narrowband rate all call audio uses (RFC 3551 §4.5.14).
const SampleRate = 8000

// TonePCM returns ms milliseconds of a sine at hz, as signed 16-bit
// little-endian mono PCM at 8 kHz, at about -12 dBFS. The length is a whole
// number of 20 ms frames so it loops without a click when hz divides 50.
func TonePCM(hz float64, ms int) []byte {
	n := SampleRate * ms / 1000
	n -= n % (SampleRate / 50)
	out := make([]byte, 2*n)
	const amp = 0.25 * math.MaxInt16
	for i := 0; i < n; i++ {
		v := int16(amp * math.Sin(2*math.Pi*hz*float64(i)/SampleRate))
		binary.LittleEndian.PutUint16(out[2*i:], uint16(v))
	}
	return out
}

// WAV wraps 16-bit mono PCM at 8 kHz in a RIFF/WAVE header.
func WAV(pcm []byte) []byte {
	out := make([]byte, 44+len(pcm))
	copy(out[0:], "RIFF")
	binary.LittleEndian.PutUint32(out[4:], uint32(36+len(pcm)))
	copy(out[8:], "WAVEfmt ")
	binary.LittleEndian.PutUint32(out[16:], 16)           // fmt chunk size
	binary.LittleEndian.PutUint16(out[20:], 1)            // PCM
	binary.LittleEndian.PutUint16(out[22:], 1)            // mono
	binary.LittleEndian.PutUint32(out[24:], SampleRate)   // sample rate
	binary.LittleEndian.PutUint32(out[28:], SampleRate*2) // byte rate
	binary.LittleEndian.PutUint16(out[32:], 2)            // block align
	binary.LittleEndian.PutUint16(out[34:], 16)           // bits per sample
	copy(out[36:], "data")
	binary.LittleEndian.PutUint32(out[40:], uint32(len(pcm)))
	copy(out[44:], pcm)
	return out
}
