package sipua

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

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

// source returns what to loop into a call and its diago mime type.
func (m MediaOptions) source() ([]byte, string, error) {
	if hz, ok := strings.CutPrefix(m.Play, "tone:"); ok {
		f, err := strconv.ParseFloat(hz, 64)
		if err != nil || f <= 0 || f >= assets.SampleRate/2 {
			return nil, "", fmt.Errorf("media.play %q: tone frequency must be between 0 and 4000 Hz", m.Play)
		}
		return assets.TonePCM(f, 1000), "audio/pcm", nil
	}
	b, err := os.ReadFile(m.Play)
	if err != nil {
		return nil, "", fmt.Errorf("media.play: %w", err)
	}
	return b, "audio/wav", nil
}

// callMedia runs one established call's RTP: a player that loops the
// configured audio out (RFC 4733 digits interleaved), a reader that counts
// what comes in, reports digits and optionally records it.
type callMedia struct {
	stats *emulator.MediaStats
	dtmf  *diago.DTMFWriter
	digit chan rune // digits waiting to be sent, in order
	med   *diago.DialogMedia
	wg    sync.WaitGroup
	once  sync.Once
	done  chan struct{}
}

type countingWriter struct {
	w io.Writer
	s *emulator.MediaStats
}

func (c countingWriter) Write(b []byte) (int, error) {
	n, err := c.w.Write(b)
	if err == nil {
		c.s.RTPOut.Add(1)
	}
	return n, err
}

func (u *UA) startMedia(ref emulator.CallRef, med *diago.DialogMedia) *callMedia {
	m := &callMedia{stats: &emulator.MediaStats{}, med: med, done: make(chan struct{}), digit: make(chan rune, 64)}
	codec := media.CodecAudioFromSession(med.MediaSession())
	m.stats.Codec.Store(strings.ToUpper(codec.Name))

	if dw, err := med.AudioWriterDTMF(); err == nil {
		m.dtmf = dw
		med.SetAudioWriter(countingWriter{w: dw, s: m.stats})
	} else if w, err := med.AudioWriter(); err == nil {
		u.log.Debug("no telephone-event negotiated; DTMF disabled", "call", ref)
		med.SetAudioWriter(countingWriter{w: w, s: m.stats})
	}

	m.wg.Add(3)
	go func() {
		defer m.wg.Done()
		u.play(ref, m)
	}()
	go func() {
		defer m.wg.Done()
		m.sendDigits()
	}()
	go func() {
		defer m.wg.Done()
		u.listen(ref, m, codec)
	}()
	return m
}

func (u *UA) play(ref emulator.CallRef, m *callMedia) {
	src, mime, err := u.opts.Media.source()
	if err != nil {
		u.log.Warn("no audio to play", "call", ref, "error", err)
		return
	}
	pb, err := m.med.PlaybackCreate()
	if err != nil {
		u.log.Debug("playback", "call", ref, "error", err)
		return
	}
	for {
		select {
		case <-m.done:
			return
		default:
		}
		if _, err := pb.Play(bytes.NewReader(src), mime); err != nil {
			return // the call's RTP session closed
		}
	}
}

func (u *UA) listen(ref emulator.CallRef, m *callMedia, codec media.Codec) {
	var r io.Reader
	if dr, err := m.med.AudioReaderDTMF(); err == nil {
		dr.OnDTMF(func(d rune) error {
			m.stats.DTMFIn.Add(1)
			u.to.Post(emulator.SIPDTMF{Ref: ref, Digit: d})
			return nil
		})
		r = dr
	} else if ar, err := m.med.AudioReader(); err == nil {
		r = ar
	} else {
		return
	}
	rec := u.openRecording(ref, codec)
	if rec != nil {
		defer rec.close()
	}
	buf := make([]byte, media.RTPBufSize)
	for {
		n, err := r.Read(buf)
		if err != nil {
			return
		}
		m.stats.RTPIn.Add(1)
		if rec != nil && n > 0 {
			rec.write(buf[:n])
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

// stop ends the media goroutines; diago closes the RTP session with the
// dialog, which unblocks the reader and the player.
func (m *callMedia) stop() {
	m.once.Do(func() {
		close(m.done)
		_ = m.med.Close()
	})
	m.wg.Wait()
}

// recording decodes received G.711 and writes it to a WAV file.
type recording struct {
	f   *os.File
	ww  *audio.WavWriter
	dec *audio.PCMDecoder
	pcm []byte
}

func (u *UA) openRecording(ref emulator.CallRef, codec media.Codec) *recording {
	dir := u.opts.Media.RecordDir
	if dir == "" {
		return nil
	}
	dec, err := audio.NewPCMDecoder(codec.PayloadType)
	if err != nil {
		u.log.Warn("cannot record", "call", ref, "codec", codec.Name, "error", err)
		return nil
	}
	f, err := os.Create(filepath.Join(dir, string(ref)+".wav"))
	if err != nil {
		u.log.Warn("cannot record", "call", ref, "error", err)
		return nil
	}
	ww := audio.NewWavWriter(f)
	ww.NumChans = 1
	return &recording{f: f, ww: ww, dec: dec, pcm: make([]byte, 4*media.RTPBufSize)}
}

func (r *recording) write(encoded []byte) {
	n, err := r.dec.DecoderTo(r.pcm, encoded)
	if err == nil && n > 0 {
		_, _ = r.ww.Write(r.pcm[:n])
	}
}

func (r *recording) close() {
	_ = r.ww.Close()
	_ = r.f.Close()
}
