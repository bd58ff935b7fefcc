package sipua

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emiago/diago"
	"github.com/emiago/diago/audio"
	"github.com/emiago/diago/media"

	"github.com/phonesim/phonesim/assets"
	"github.com/phonesim/phonesim/emulator"
)

// MediaOptions say what a phone sends into its calls and whether it keeps
// what it hears.
type MediaOptions struct {
	// Play is "tone:HZ" (default "tone:440") or the path of an 8 kHz,
	// 16-bit mono WAV file, looped for the whole call.
	Play string
	// RecordDir, if set, receives one WAV file per call with the decoded
	// audio the phone received: <call ref>.wav (i1.wav, o1.wav, ...).
	RecordDir string
}

func (m *MediaOptions) initWithDefaults() {
	if m.Play == "" {
		m.Play = "tone:440"
	}
}

// pcm returns the phone's own audio, looped into every call: 16-bit PCM at
// 8 kHz, padded with silence to a whole number of frames.
func (m MediaOptions) pcm(frameSamples int) ([]int16, error) {
	var raw []byte
	if hz, ok := strings.CutPrefix(m.Play, "tone:"); ok {
		f, err := strconv.ParseFloat(hz, 64)
		if err != nil || f <= 0 || f >= assets.SampleRate/2 {
			return nil, fmt.Errorf("media.play %q: tone frequency must be between 0 and 4000 Hz", m.Play)
		}
		raw = assets.TonePCM(f, 1000)
	} else {
		b, err := os.ReadFile(m.Play)
		if err != nil {
			return nil, fmt.Errorf("media.play: %w", err)
		}
		if raw, err = wavPCM(b); err != nil {
			return nil, fmt.Errorf("media.play %s: %w", m.Play, err)
		}
	}
	n := len(raw) / 2
	if n == 0 {
		return nil, fmt.Errorf("media.play %s: no audio", m.Play)
	}
	out := make([]int16, (n+frameSamples-1)/frameSamples*frameSamples)
	for i := range n {
		out[i] = int16(binary.LittleEndian.Uint16(raw[2*i:]))
	}
	return out, nil
}

// wavPCM returns the samples of an 8 kHz 16-bit mono PCM WAV file, the
// only format G.711 calls carry without resampling. It reads the RIFF
// chunks itself, bounds-checked: go-audio/riff (diago's WAV reader)
// allocates whatever size a corrupt "fmt " chunk claims.
//
// RIFF (Multimedia Programming Interface and Data Specifications 1.0): a
// file is "RIFF" <size> "WAVE" then chunks of <id> <size> <data>, each
// padded to an even length; "fmt " precedes "data".
func wavPCM(b []byte) ([]byte, error) {
	if len(b) < 12 || string(b[0:4]) != "RIFF" || string(b[8:12]) != "WAVE" {
		return nil, errors.New("not a RIFF/WAVE file")
	}
	le16 := func(b []byte) uint16 { return binary.LittleEndian.Uint16(b) }
	haveFmt := false
	for p := 12; p+8 <= len(b); {
		id, size := string(b[p:p+4]), uint64(binary.LittleEndian.Uint32(b[p+4:]))
		body := b[p+8:]
		if id == "data" {
			if !haveFmt {
				return nil, errors.New(`"data" chunk before "fmt "`)
			}
			// A size of 0 or past the end is a file still being written
			// (or cut short): its samples run to the end.
			if size == 0 || size > uint64(len(body)) {
				size = uint64(len(body))
			}
			return body[:size&^1], nil
		}
		if size > uint64(len(body)) {
			return nil, fmt.Errorf("chunk %q is cut short", id)
		}
		if id == "fmt " {
			if size < 16 {
				return nil, errors.New(`"fmt " chunk too short`)
			}
			format, chans := le16(body[0:]), le16(body[2:])
			rate, bits := binary.LittleEndian.Uint32(body[4:]), le16(body[14:])
			// WAVE_FORMAT_EXTENSIBLE (0xFFFE) names its format in the
			// first two bytes of the sub-format GUID at offset 24.
			if format == 0xFFFE && size >= 26 {
				format = le16(body[24:])
			}
			if format != 1 || bits != 16 || rate != assets.SampleRate || chans != 1 {
				return nil, fmt.Errorf("WAV is format %d, %d-bit, %d Hz, %d channels; want PCM (1), 16-bit, 8000 Hz, mono",
					format, bits, rate, chans)
			}
			haveFmt = true
		}
		p += 8 + int(size) + int(size&1)
	}
	return nil, errors.New(`no "data" chunk`)
}

// callMedia runs one established call's RTP: a player that loops the
// configured audio out (RFC 4733 digits interleaved, and the other legs'
// audio mixed in while the call is in a conference, see conference.go), a
// reader that counts what comes in, reports digits, optionally records it
// and hands it, decoded, to whoever listens to the phone (emulator/audio.go).
type callMedia struct {
	ref          emulator.CallRef
	stats        *emulator.MediaStats
	codec        media.Codec
	frameSamples int                  // PCM samples per RTP packet (160: 20 ms at 8 kHz)
	writer       io.Writer            // encoded audio out, paced by diago's RTPPacketWriter
	dtmf         *media.RTPDtmfWriter // nil without telephone-event
	reader       io.Reader            // encoded audio in
	dtmfIn       *media.RTPDtmfReader // nil without telephone-event
	digit        chan rune            // digits waiting to be sent, in order
	med          *diago.DialogMedia
	wg           sync.WaitGroup
	once         sync.Once
	done         chan struct{}

	conf *conference             // guarded by confMu
	mix  atomic.Pointer[mixView] // nil outside a conference

	// quiet is set while the far end holds us: it offered a=sendonly or
	// a=inactive, we answered recvonly or inactive, and RFC 3264 §6.1
	// says we then send nothing. diago drops our packets for recvonly but
	// not for inactive, so the phone stops writing them itself.
	quiet atomic.Bool
}

// countingWriter sends the call's audio, counting the packets that really
// leave; while the far end holds us it sends nothing, keeping the pace.
type countingWriter struct {
	w     io.Writer
	s     *emulator.MediaStats
	quiet *atomic.Bool
	frame time.Duration
}

func (c countingWriter) Write(b []byte) (int, error) {
	if c.quiet.Load() {
		time.Sleep(c.frame)
		return len(b), nil
	}
	n, err := c.w.Write(b)
	if err == nil {
		c.s.RTPOut.Add(1)
	}
	return n, err
}

func (u *UA) startMedia(ref emulator.CallRef, med *diago.DialogMedia) *callMedia {
	codec := media.CodecAudioFromSession(med.MediaSession())
	m := &callMedia{
		ref: ref, stats: &emulator.MediaStats{}, codec: codec, frameSamples: frameSamples(codec),
		med: med, done: make(chan struct{}), digit: make(chan rune, 64),
	}
	m.stats.Codec.Store(strings.ToUpper(codec.Name))

	// The reader and writer are built here, before the call can be held:
	// diago's AudioReaderDTMF/AudioWriterDTMF read the media session
	// without its lock, racing a re-INVITE that replaces it. The session is
	// taken once through MediaSession(), which locks.
	sess := med.MediaSession()
	if w, err := med.AudioWriter(); err == nil {
		if ev, ok := telephoneEvent(sess, false); ok {
			m.dtmf = media.NewRTPDTMFWriter(ev, med.RTPPacketWriter, w)
			m.writer = m.counting(m.dtmf)
		} else {
			u.log.Debug("no telephone-event negotiated; DTMF disabled", "call", ref)
			m.writer = m.counting(w)
		}
		med.SetAudioWriter(m.writer)
	}
	if r, err := med.AudioReader(); err == nil {
		m.reader = r
		if ev, ok := telephoneEvent(sess, true); ok {
			m.dtmfIn = media.NewRTPDTMFReader(ev, med.RTPPacketReader, r)
			m.reader = m.dtmfIn
		}
	}

	m.wg.Add(3)
	go func() {
		defer m.wg.Done()
		u.play(m)
	}()
	go func() {
		defer m.wg.Done()
		m.sendDigits()
	}()
	go func() {
		defer m.wg.Done()
		u.listen(m)
	}()
	return m
}

func (m *callMedia) counting(w io.Writer) countingWriter {
	frame := time.Duration(m.frameSamples) * time.Second / time.Duration(max(m.codec.SampleRate, 1))
	return countingWriter{w: w, s: m.stats, quiet: &m.quiet, frame: frame}
}

// telephoneEvent is the RFC 4733 telephone-event codec both sides agreed
// on, with the payload type we receive (recv) or send it with.
func telephoneEvent(sess *media.MediaSession, recv bool) (media.Codec, bool) {
	if sess == nil {
		return media.Codec{}, false
	}
	for _, c := range sess.CommonCodecs() {
		if c.Matches(media.CodecTelephoneEvent8000) {
			if recv {
				c.PayloadType = c.PayloadTypeRecv()
			}
			return c, true
		}
	}
	return media.Codec{}, false
}

// frameSamples is the number of samples in one packet of the codec.
func frameSamples(c media.Codec) int {
	n := int(int64(c.SampleRate) * c.SampleDur.Milliseconds() / 1000)
	if n <= 0 {
		return assets.SampleRate / 50 // 20 ms, RFC 3551 §4.2's default packetization
	}
	return n
}

// play sends one frame per packet time until the call ends: the phone's own
// audio, plus, in a conference, what the other legs received. The writer's
// RTPPacketWriter blocks each write until the next 20 ms tick, so this loop
// is paced by diago's clock and needs none of its own.
func (u *UA) play(m *callMedia) {
	if m.writer == nil {
		return
	}
	encode, err := g711Encoder(m.codec.Name)
	if err != nil {
		u.log.Warn("no audio to play", "call", m.ref, "error", err)
		return
	}
	fs := m.frameSamples
	src, err := u.ownAudio(fs)
	if err != nil {
		u.log.Warn("no audio to play; sending silence", "call", m.ref, "error", err)
		src = make([]int16, fs)
	}
	var (
		silence = make([]int16, fs)
		mixed   = make([]int16, fs)
		payload = make([]byte, fs)
		frames  [][]int16 // own frame, then one per other leg
		heard   [][]int16 // buffers for the other legs' frames
	)
	for pos := 0; ; pos = (pos + fs) % len(src) {
		select {
		case <-m.done:
			return
		default:
		}
		out := src[pos : pos+fs]
		if u.muted.Load() {
			out = silence // MUTE: the far ends hear nothing from us
		}
		if v := m.mix.Load(); v != nil && len(v.in) > 0 {
			for len(heard) < len(v.in) {
				heard = append(heard, make([]int16, fs))
			}
			frames = append(frames[:0], out)
			for i, p := range v.in {
				p.read(heard[i])
				frames = append(frames, heard[i])
			}
			mixFrame(mixed, frames...)
			out = mixed
		}
		if _, err := m.writer.Write(encode(payload, out)); err != nil {
			return // the call's RTP session closed
		}
	}
}

func (u *UA) listen(m *callMedia) {
	r := m.reader
	if r == nil {
		return
	}
	rec := u.openRecording(m.ref, m.codec)
	if rec != nil {
		defer rec.close()
	}
	// The packet reader keeps the header of the packet just read; it tells
	// audio from RFC 4733 events, which are not decoded.
	pr := m.med.RTPPacketReader
	buf := make([]byte, media.RTPBufSize)
	pcm := make([]int16, media.RTPBufSize)
	for {
		n, err := r.Read(buf)
		if err != nil {
			return
		}
		if n == 0 {
			continue // dropped by diago: we hold the call (a=sendonly)
		}
		m.stats.RTPIn.Add(1)
		if m.dtmfIn != nil {
			if d, ok := m.dtmfIn.ReadDTMF(); ok {
				m.stats.DTMFIn.Add(1)
				u.to.Post(emulator.SIPDTMF{Ref: m.ref, Digit: d})
			}
		}
		v := m.mix.Load()
		hear := m.stats.Listening() // the phone's earpiece (emulator.Phone.ListenAudio)
		if n == 0 || (rec == nil && v == nil && !hear) {
			continue
		}
		samples, ok := decodeG711(pr.PacketHeader.PayloadType, buf[:n], pcm)
		if !ok {
			continue
		}
		if rec != nil {
			rec.write(samples)
		}
		if hear {
			m.stats.Heard(int(m.codec.SampleRate), samples)
		}
		if v != nil {
			for _, p := range v.out {
				p.write(samples)
			}
		}
	}
}

// sendDTMF queues a digit; it never blocks the phone's loop (one RFC 4733
// event takes several 20 ms packets to send).
func (m *callMedia) sendDTMF(d rune) {
	select {
	case m.digit <- d:
	default: // more than 64 digits pending: drop, as a full keypad buffer would
	}
}

func (m *callMedia) sendDigits() {
	for {
		select {
		case <-m.done:
			return
		case d := <-m.digit:
			if m.dtmf == nil {
				continue
			}
			if err := m.dtmf.WriteDTMF(d); err == nil {
				m.stats.DTMFOut.Add(1)
			}
		}
	}
}

// stop ends the media goroutines: the call leaves its conference, and
// closing the RTP session unblocks the reader and the player.
func (m *callMedia) stop() {
	m.once.Do(func() {
		close(m.done)
		m.leaveConference()
		_ = m.med.Close()
	})
	m.wg.Wait()
}

// ended reports whether stop has begun.
func (m *callMedia) ended() bool {
	select {
	case <-m.done:
		return true
	default:
		return false
	}
}

// recording writes the decoded received audio to a WAV file.
type recording struct {
	f   *os.File
	ww  *audio.WavWriter
	pcm []byte
}

func (u *UA) openRecording(ref emulator.CallRef, codec media.Codec) *recording {
	dir := u.opts.Media.RecordDir
	if dir == "" {
		return nil
	}
	if _, err := g711Encoder(codec.Name); err != nil {
		u.log.Warn("cannot record", "call", ref, "error", err)
		return nil
	}
	f, err := os.Create(filepath.Join(dir, string(ref)+".wav"))
	if err != nil {
		u.log.Warn("cannot record", "call", ref, "error", err)
		return nil
	}
	ww := audio.NewWavWriter(f)
	ww.NumChans = 1
	return &recording{f: f, ww: ww, pcm: make([]byte, 2*media.RTPBufSize)}
}

func (r *recording) write(samples []int16) {
	b := r.pcm[:2*len(samples)]
	for i, s := range samples {
		binary.LittleEndian.PutUint16(b[2*i:], uint16(s))
	}
	_, _ = r.ww.Write(b)
}

func (r *recording) close() {
	_ = r.ww.Close()
	_ = r.f.Close()
}

// ownAudio is the phone's own audio, decoded once per frame size and shared
// read-only by every call (building a tone costs 8000 sines; a WAV file a
// read from disk).
func (u *UA) ownAudio(frameSamples int) ([]int16, error) {
	u.audioMu.Lock()
	defer u.audioMu.Unlock()
	if a, ok := u.audio[frameSamples]; ok {
		return a.pcm, a.err
	}
	pcm, err := u.opts.Media.pcm(frameSamples)
	if u.audio == nil {
		u.audio = map[int]ownAudio{}
	}
	u.audio[frameSamples] = ownAudio{pcm, err}
	return pcm, err
}

type ownAudio struct {
	pcm []int16
	err error
}

// Mute implements emulator.Signaling: while muted every call carries
// silence in place of the phone's own audio (conference legs still hear
// each other).
func (u *UA) Mute(on bool) { u.muted.Store(on) }
