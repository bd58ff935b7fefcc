package sipua

import (
	"fmt"
	"math"
	"strings"
	"sync"

	"github.com/zaf/g711"
)

// Payload types of the G.711 codecs (RFC 3551 §6, Table 4: 0 PCMU, 8 PCMA).
const (
	ptPCMU = 0
	ptPCMA = 8
)

// mixFrame sums the frames into dst sample by sample and clips the sum to
// the 16-bit range: a local conference bridge adds the talkers' linear PCM,
// it does not scale them down. Shorter frames count as silence where they
// end; dst may be one of the frames.
func mixFrame(dst []int16, frames ...[]int16) {
	for i := range dst {
		var sum int32
		for _, f := range frames {
			if i < len(f) {
				sum += int32(f[i])
			}
		}
		dst[i] = clip16(sum)
	}
}

func clip16(v int32) int16 {
	switch {
	case v > math.MaxInt16:
		return math.MaxInt16
	case v < math.MinInt16:
		return math.MinInt16
	}
	return int16(v)
}

// decodeG711 decodes one RTP payload into dst by its payload type and returns
// the samples; ok is false for anything that is not G.711 audio (RFC 4733
// events, RFC 3389 comfort noise, other codecs).
func decodeG711(payloadType uint8, payload []byte, dst []int16) (pcm []int16, ok bool) {
	var dec func(uint8) int16
	switch payloadType {
	case ptPCMU:
		dec = g711.DecodeUlawFrame
	case ptPCMA:
		dec = g711.DecodeAlawFrame
	default:
		return nil, false
	}
	n := min(len(payload), len(dst))
	for i, b := range payload[:n] {
		dst[i] = dec(b)
	}
	return dst[:n], true
}

// g711Encoder returns the encoder of the negotiated codec (by its SDP name).
func g711Encoder(codecName string) (func(dst []byte, pcm []int16) []byte, error) {
	var enc func(int16) uint8
	switch strings.ToUpper(codecName) {
	case "PCMU":
		enc = g711.EncodeUlawFrame
	case "PCMA":
		enc = g711.EncodeAlawFrame
	default:
		return nil, fmt.Errorf("codec %q: only G.711 (PCMU, PCMA) audio is played", codecName)
	}
	return func(dst []byte, pcm []int16) []byte {
		dst = dst[:len(pcm)]
		for i, s := range pcm {
			dst[i] = enc(s)
		}
		return dst
	}, nil
}

// pcmPipe carries decoded audio from one conference leg's receiver to
// another leg's sender. The two run on different clocks (the far end's
// packets versus our RTP writer's ticker), so the pipe buffers a little and
// drops the oldest samples when it is full: latency stays bounded at the
// pipe's capacity, and a late frame is heard as a short gap. The lock is
// only ever held for a copy in memory.
type pcmPipe struct {
	mu   sync.Mutex
	buf  []int16 // ring
	head int     // index of the oldest sample
	n    int     // samples buffered
}

// pipeFrames is how many 20 ms frames a pipe holds (80 ms).
const pipeFrames = 4

func newPCMPipe(frameSamples int) *pcmPipe {
	return &pcmPipe{buf: make([]int16, pipeFrames*frameSamples)}
}

// write appends samples, dropping the oldest ones that do not fit.
func (p *pcmPipe) write(s []int16) {
	p.mu.Lock()
	defer p.mu.Unlock()
	c := len(p.buf)
	if len(s) > c {
		s = s[len(s)-c:]
	}
	if drop := p.n + len(s) - c; drop > 0 {
		p.head = (p.head + drop) % c
		p.n -= drop
	}
	tail := (p.head + p.n) % c
	k := copy(p.buf[tail:], s)
	copy(p.buf, s[k:])
	p.n += len(s)
}

// read fills dst with the oldest samples and silence after them when the
// pipe runs dry; it returns how many samples were real.
func (p *pcmPipe) read(dst []int16) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	c := len(p.buf)
	n := min(len(dst), p.n)
	k := copy(dst[:n], p.buf[p.head:min(c, p.head+n)])
	copy(dst[k:n], p.buf)
	p.head = (p.head + n) % c
	p.n -= n
	clear(dst[n:])
	return n
}
