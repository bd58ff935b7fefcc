package sipua_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/phonesim/phonesim/emulator"
	"github.com/phonesim/phonesim/emulator/sipua"
)

// Helpers for tests that drive a UA directly (no emulator.Phone): the UA
// posts into an inputLog, and the test asserts on what was posted.

// inputLog is a Poster that keeps every input, in order.
type inputLog struct {
	mu      sync.Mutex
	list    []emulator.Input
	changed chan struct{}
}

func newInputLog() *inputLog { return &inputLog{changed: make(chan struct{})} }

func (l *inputLog) Post(in emulator.Input) {
	l.mu.Lock()
	l.list = append(l.list, in)
	close(l.changed)
	l.changed = make(chan struct{})
	l.mu.Unlock()
}

// mark is the number of inputs so far: expect(..., from: mark) looks only
// at what comes after.
func (l *inputLog) mark() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.list)
}

func (l *inputLog) dump() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var b strings.Builder
	for i, in := range l.list {
		fmt.Fprintf(&b, "\n  %d %T%+v", i, in, in)
	}
	return b.String()
}

// expectTimeout bounds every wait for an input.
const expectTimeout = 5 * time.Second

// expect waits for the first input of type T at index >= from that match
// accepts (nil: any), and returns it with its index.
func expect[T emulator.Input](t *testing.T, l *inputLog, from int, what string, match func(T) bool) (T, int) {
	t.Helper()
	deadline := time.NewTimer(expectTimeout)
	defer deadline.Stop()
	for {
		l.mu.Lock()
		for i := from; i < len(l.list); i++ {
			if v, ok := l.list[i].(T); ok && (match == nil || match(v)) {
				l.mu.Unlock()
				return v, i
			}
		}
		ch := l.changed
		l.mu.Unlock()
		select {
		case <-ch:
		case <-deadline.C:
			var zero T
			t.Fatalf("%s: no %T within %s; posted:%s", what, zero, expectTimeout, l.dump())
			return zero, -1
		}
	}
}

// is matches an input equal to want.
func is[T comparable](want T) func(T) bool { return func(v T) bool { return v == want } }

// none fails if an input of type T was posted at index >= from.
func none[T emulator.Input](t *testing.T, l *inputLog, from int, what string) {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	for i := from; i < len(l.list); i++ {
		if v, ok := l.list[i].(T); ok {
			t.Fatalf("%s: unexpected %T%+v", what, v, v)
		}
	}
}

// ua is a UA under test with the inputs it posted.
type ua struct {
	*sipua.UA
	in   *inputLog
	user string
	out  atomic.Int64 // refs of dialled calls: o1, o2...
}

// startUA starts a UA with one line for user on ip. server is the line's
// registrar; the UA does not register unless the test calls Register.
func startUA(t *testing.T, ip, user, server string) *ua {
	t.Helper()
	lines := []emulator.LineConfig{{User: user, Password: user + "-pw", Server: server, DisplayName: "Phone " + user, Expires: time.Minute}}
	level := slog.LevelWarn
	if testing.Verbose() {
		level = slog.LevelDebug
	}
	u := &ua{
		UA: sipua.New(sipua.Options{
			IP: ip, Lines: lines, RequestTimeout: 2 * time.Second, RetryMin: 200 * time.Millisecond, RetryMax: time.Second,
			Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level})).With("user", user),
		}),
		in:   newInputLog(),
		user: user,
	}
	if err := u.Start(context.Background(), u.in); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := u.Stop(ctx); err != nil {
			t.Logf("stop %s: %v", user, err)
		}
	})
	return u
}

// uri reaches the UA directly: sip:user@ip:port.
func (u *ua) uri() string { return "sip:" + u.user + "@" + u.Addr() }

// dial places a call to target and returns its ref and Call-ID.
func (u *ua) dial(t *testing.T, target string) (emulator.CallRef, string) {
	t.Helper()
	ref := emulator.CallRef(fmt.Sprintf("o%d", u.out.Add(1)))
	from := u.in.mark()
	u.Dial(ref, 1, target)
	started, _ := expect(t, u.in, from, u.user+" dials", func(s emulator.SIPCallStarted) bool { return s.Ref == ref })
	return ref, started.CallID
}

// incoming waits for the call with callID to ring at u.
func (u *ua) incoming(t *testing.T, callID string) emulator.SIPIncoming {
	t.Helper()
	in, _ := expect(t, u.in, 0, u.user+" rings", func(s emulator.SIPIncoming) bool { return s.CallID == callID })
	return in
}

// answered waits for SIPAnswered of ref and returns its media counters.
func (u *ua) answered(t *testing.T, ref emulator.CallRef) *emulator.MediaStats {
	t.Helper()
	a, _ := expect(t, u.in, 0, u.user+" answered "+string(ref), func(s emulator.SIPAnswered) bool { return s.Ref == ref })
	return a.Media
}

// ended waits for SIPEnded of ref.
func (u *ua) ended(t *testing.T, ref emulator.CallRef) emulator.SIPEnded {
	t.Helper()
	e, _ := expect(t, u.in, 0, u.user+" ended "+string(ref), func(s emulator.SIPEnded) bool { return s.Ref == ref })
	return e
}

// call is an established call between two UAs.
type call struct {
	out, in           emulator.CallRef // caller's and callee's refs
	outMedia, inMedia *emulator.MediaStats
}

// establish has a call b, b answer, and both see it established.
func establish(t *testing.T, a, b *ua) call {
	t.Helper()
	out, callID := a.dial(t, b.uri())
	in := b.incoming(t, callID)
	b.Answer(in.Ref)
	return call{out: out, in: in.Ref, outMedia: a.answered(t, out), inMedia: b.answered(t, in.Ref)}
}

// flowing waits until the counter grows by 10 packets (200 ms of 20 ms
// packets).
func flowing(t *testing.T, what string, c *atomic.Uint64) {
	t.Helper()
	start := c.Load()
	deadline := time.Now().Add(3 * time.Second)
	for c.Load() < start+10 {
		if time.Now().After(deadline) {
			t.Fatalf("%s: RTP not flowing (%d -> %d in 3s)", what, start, c.Load())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// stalled checks that the counter stays put (2 packets of slack for what
// was in flight) for 400 ms.
func stalled(t *testing.T, what string, c *atomic.Uint64) {
	t.Helper()
	time.Sleep(100 * time.Millisecond)
	start := c.Load()
	time.Sleep(400 * time.Millisecond)
	if got := c.Load(); got > start+2 {
		t.Fatalf("%s: RTP still flowing (%d -> %d in 400 ms)", what, start, got)
	}
}
