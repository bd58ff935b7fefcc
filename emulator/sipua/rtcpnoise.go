package sipua

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"

	"github.com/emiago/diago/media"
)

// Non-RTCP packets on the RTCP port are ignored quietly.
//
// RFC 3550 §6 has the RTCP port carry RTCP only, but peers send other
// things there: linphone a STUN Binding request every 0.5 s per call (ICE
// connectivity checks and keep-alives of RFC 8445 §11, even with ICE
// off), some PBXs a "hole punching" datagram. diago's RTCP reader skips
// what it cannot parse but logs each one at ERROR ("RTCP Unmarshal error.
// Continue listen") on its package logger, 20+ lines a call. That logger
// is the only place to catch them: the record is counted here, the first
// one is logged at DEBUG, the rest are dropped.

// diagoRTCPUnmarshal is the message of diago v0.42.1 media/rtp_session.go.
const diagoRTCPUnmarshal = "RTCP Unmarshal error. Continue listen"

var (
	ignoredRTCP    atomic.Uint64
	rtcpFilterOnce sync.Once
)

// IgnoredRTCP is how many datagrams that were not RTCP arrived on the
// RTCP ports of this process's calls.
func IgnoredRTCP() uint64 { return ignoredRTCP.Load() }

// filterRTCPNoise puts rtcpNoise in front of diago's media logger, once per
// process, before the first call's media starts.
func filterRTCPNoise() {
	rtcpFilterOnce.Do(func() {
		prev := media.DefaultLogger()
		next := func() slog.Handler { return prev.Handler() }
		if prev == slog.Default() {
			// Not set by anyone: follow slog.Default as diago would.
			next = func() slog.Handler { return slog.Default().Handler() }
		}
		media.SetDefaultLogger(slog.New(newRTCPNoise(next)))
	})
}

// rtcpNoise passes every record on except diago's RTCP unmarshal error.
type rtcpNoise struct {
	next  func() slog.Handler
	first *atomic.Bool // the first one was logged
}

func newRTCPNoise(next func() slog.Handler) rtcpNoise {
	return rtcpNoise{next: next, first: new(atomic.Bool)}
}

func (h rtcpNoise) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= slog.LevelError || h.next().Enabled(ctx, l)
}

func (h rtcpNoise) Handle(ctx context.Context, r slog.Record) error {
	if r.Message != diagoRTCPUnmarshal {
		next := h.next()
		if !next.Enabled(ctx, r.Level) {
			return nil
		}
		return next.Handle(ctx, r)
	}
	ignoredRTCP.Add(1)
	if !h.first.CompareAndSwap(false, true) {
		return nil
	}
	next := h.next()
	if !next.Enabled(ctx, slog.LevelDebug) {
		return nil
	}
	d := slog.NewRecord(r.Time, slog.LevelDebug, "non-RTCP datagram on an RTCP port ignored (STUN keep-alive?); further ones are only counted", r.PC)
	r.Attrs(func(a slog.Attr) bool { d.AddAttrs(a); return true })
	return next.Handle(ctx, d)
}

func (h rtcpNoise) WithAttrs(attrs []slog.Attr) slog.Handler {
	return rtcpNoise{next: func() slog.Handler { return h.next().WithAttrs(attrs) }, first: h.first}
}

func (h rtcpNoise) WithGroup(name string) slog.Handler {
	return rtcpNoise{next: func() slog.Handler { return h.next().WithGroup(name) }, first: h.first}
}
