package sipua_test

import (
	"context"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/phonesim/phonesim/emulator"
	"github.com/phonesim/phonesim/emulator/sipua"
	"github.com/phonesim/phonesim/internal/peers"
	"github.com/phonesim/phonesim/keypad"
)

// startLimitedPhone starts phone 1001 on 127.0.0.1 with a call-appearance
// limit and a ring timeout (0: the defaults). Its registrar address
// discards (port 9): these tests call the phone directly.
func startLimitedPhone(t *testing.T, appearances int, ring time.Duration) *testPhone {
	t.Helper()
	return startPhoneConfig(t, "bob", "127.0.0.1", "1001", "127.0.0.1:9", sipua.MediaOptions{}, func(cfg *emulator.Config) {
		cfg.CallAppearances, cfg.RingTimeout = appearances, ring
	}, nil)
}

// count is how many events of typ the phone published so far.
func (r *recorder) count(typ emulator.EventType) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, ev := range r.events {
		if ev.Type == typ {
			n++
		}
	}
	return n
}

// waitCount waits until the phone published n events of typ and returns
// the n-th.
func (r *recorder) waitCount(t *testing.T, typ emulator.EventType, n int) emulator.Event {
	t.Helper()
	deadline := time.After(expectTimeout)
	for {
		r.mu.Lock()
		seen := 0
		for _, ev := range r.events {
			if ev.Type == typ {
				if seen++; seen == n {
					r.mu.Unlock()
					return ev
				}
			}
		}
		r.mu.Unlock()
		select {
		case <-r.cond:
		case <-deadline:
			t.Fatalf("%d %s events wanted within %s; got %v", n, typ, expectTimeout, r.types())
		}
	}
}

func pressKey(t *testing.T, p *testPhone, k keypad.Key) {
	t.Helper()
	if err := p.Do(context.Background(), emulator.PressKey{Key: k}); err != nil {
		t.Fatal(err)
	}
}

// A phone holds as many calls as it has call appearances; the next INVITE
// gets 486 Busy Here and no Incoming Call event (issue 7, item 1).
func TestCallAppearanceLimitAnswers486(t *testing.T) {
	bob := startLimitedPhone(t, 2, 0)
	raw := newRawSIP(t)
	raw.invite(t, bob.ua.Addr(), "1001", "")
	raw.invite(t, bob.ua.Addr(), "1001", "")
	bob.rec.waitCount(t, emulator.EventIncomingCall, 2)

	third := raw.invite(t, bob.ua.Addr(), "1001", "")
	if got := status(third.final(t)); got != "SIP/2.0 486 Busy Here" {
		t.Fatalf("INVITE beyond the limit: %q, want 486 Busy Here", got)
	}
	if n := bob.rec.count(emulator.EventIncomingCall); n != 2 {
		t.Errorf("%d Incoming Call events, want 2 (none for the refused call)", n)
	}
	if n := len(bob.Snapshot().Calls); n != 2 {
		t.Errorf("%d call appearances, want 2", n)
	}

	// Rejecting one frees an appearance: a new call rings.
	pressKey(t, bob, keypad.X)
	bob.rec.waitCount(t, emulator.EventTerminated, 1)
	raw.invite(t, bob.ua.Addr(), "1001", "")
	bob.rec.waitCount(t, emulator.EventIncomingCall, 3)
	for i := 2; i <= 3; i++ {
		pressKey(t, bob, keypad.X)
		bob.rec.waitCount(t, emulator.EventTerminated, i)
	}
}

// An incoming call nobody answers ends after the ring timeout: 480 to the
// caller, Missed Call and Terminated on the phone (issue 7, item 1).
func TestRingTimeoutEndsCallAsMissed(t *testing.T) {
	bob := startLimitedPhone(t, 0, 300*time.Millisecond)
	raw := newRawSIP(t)
	c := raw.invite(t, bob.ua.Addr(), "1001", "")
	in := bob.rec.wait(t, emulator.EventIncomingCall, expectTimeout)
	if got := status(c.final(t)); got != "SIP/2.0 480 Temporarily Unavailable" {
		t.Fatalf("unanswered call: %q, want 480 Temporarily Unavailable", got)
	}
	missed := bob.rec.wait(t, emulator.EventMissedCall, expectTimeout)
	term := bob.rec.wait(t, emulator.EventTerminated, expectTimeout)
	if missed.Call != in.Call || term.Call != in.Call {
		t.Errorf("missed %s, terminated %s, want both %s", missed.Call, term.Call, in.Call)
	}
	if !strings.HasPrefix(term.Cause, "480 ") {
		t.Errorf("Terminated cause %q, want 480 ...", term.Cause)
	}
	if rang := term.At.Sub(in.At); rang < 300*time.Millisecond {
		t.Errorf("call ended after %s, before the 300ms ring timeout", rang)
	}
	if s := bob.Snapshot(); len(s.Calls) != 0 || s.Counters.Missed != 1 {
		t.Errorf("after the ring timeout: %d calls, %d missed; want 0 and 1", len(s.Calls), s.Counters.Missed)
	}
}

// key=X on ringing calls whose callers have gone away ends each at once:
// the 603 waits for an ACK that never comes (up to 32 s), the phone does
// not (issue 7, item 2).
func TestRejectWhenCallerVanished(t *testing.T) {
	bob := startLimitedPhone(t, 0, 0)
	for range 2 {
		raw := newRawSIP(t)
		raw.invite(t, bob.ua.Addr(), "1001", "")
		bob.rec.waitCount(t, emulator.EventIncomingCall, bob.rec.count(emulator.EventIncomingCall)+1)
		raw.conn.Close() // the caller vanishes: nothing will ACK the 603
	}
	for i := 1; i <= 2; i++ {
		pressed := time.Now()
		pressKey(t, bob, keypad.X)
		term := bob.rec.waitCount(t, emulator.EventTerminated, i)
		if d := term.At.Sub(pressed); d > 100*time.Millisecond {
			t.Errorf("X #%d: Terminated %s after the key, want within 100ms", i, d)
		}
		if term.Cause != "603 Decline" {
			t.Errorf("X #%d: cause %q, want 603 Decline", i, term.Cause)
		}
	}
	if s := bob.Snapshot(); len(s.Calls) != 0 || s.Busy {
		t.Errorf("after two X: %d calls, busy %v; want idle", len(s.Calls), s.Busy)
	}
	if n := bob.rec.count(emulator.EventMissedCall); n != 0 {
		t.Errorf("%d Missed Call events for calls the user rejected", n)
	}
}

// Floods of 3,000 unauthenticated INVITEs from SIPp against a phone at its
// call-appearance limit: every one gets 486 with no 18x before it (SIPp
// fails a call that gets anything else), the phone keeps its calls and no
// more, and its live heap comes back within 10 % of where it started (issue
// 7, "Done when"). "Where it started" is after one flood: the first grows,
// once, structures sized by the most transactions alive at a time, not by
// how many there were (a heap profile: sipgo's server transaction map,
// which a Go map never shrinks, ~110 KB; the runtime's timer heaps, ~80 KB;
// see docs/robustness.md). That growth must stay under 1 MB, where the
// ringing calls of the issue cost 40 KB each (126 MB); the 10 % is asserted
// across the second flood, at the same rate.
func TestINVITEFloodAtLimit(t *testing.T) {
	if testing.Short() {
		t.Skip("two floods take about 30 s; skipped in -short mode")
	}
	const limit = 4
	bob := startLimitedPhone(t, limit, 0)
	raw := newRawSIP(t)
	for range limit {
		raw.invite(t, bob.ua.Addr(), "1001", "")
	}
	bob.rec.waitCount(t, emulator.EventIncomingCall, limit)

	start := liveHeap()
	first := floodBusy(t, bob, limit)
	second := floodBusy(t, bob, limit)
	t.Logf("live heap: %d KB at the limit, %d KB after the first flood, %d KB after the second", start/1024, first/1024, second/1024)
	if first > start+1<<20 {
		t.Errorf("the first flood grew the live heap from %d KB to %d KB (more than 1 MB)", start/1024, first/1024)
	}
	if float64(second) > 1.10*float64(first) {
		t.Errorf("the second flood grew the live heap from %d KB to %d KB (more than 10 %%)", first/1024, second/1024)
	}

	for i := 1; i <= limit; i++ {
		pressKey(t, bob, keypad.X)
		bob.rec.waitCount(t, emulator.EventTerminated, i)
	}
}

// floodBusy sends 3,000 INVITEs to a phone at its limit with SIPp and
// returns the live heap once the flood's server transactions have ended.
func floodBusy(t *testing.T, bob *testPhone, limit int) uint64 {
	t.Helper()
	const flood = 3000
	before, rssBefore, goroutinesBefore := liveHeap(), rssKB(), runtime.NumGoroutine()
	sipp := peers.SIPp(t, peers.SIPpOptions{
		Scenario: busyAtOnce(t), Target: bob.ua.Addr(), IP: "127.0.0.1", Service: "1001",
		Calls: flood, Rate: 500, MaxDuration: 60 * time.Second,
		Args: []string{"-l", "200"},
	})
	if err := sipp.Wait(90 * time.Second); err != nil {
		t.Fatalf("not every INVITE of the flood got 486: %v", err)
	}
	if n := strings.Count(sipp.Messages(), "SIP/2.0 486 Busy Here"); n < flood {
		t.Errorf("SIPp saw %d 486 responses, want at least %d", n, flood)
	}
	if n := bob.rec.count(emulator.EventIncomingCall); n != limit {
		t.Errorf("%d Incoming Call events, want %d (the flood made none)", n, limit)
	}
	if n := len(bob.Snapshot().Calls); n != limit {
		t.Errorf("%d call appearances after the flood, want %d", n, limit)
	}
	// Each refused INVITE's handler returns once its 486 is ACKed; the
	// heap is read once they all have, as a loaded machine lags the
	// flood.
	for deadline := time.Now().Add(20 * time.Second); runtime.NumGoroutine() > goroutinesBefore && time.Now().Before(deadline); {
		time.Sleep(100 * time.Millisecond)
	}
	// The server transactions of the 486s end Timer I (T4, 5 s) after
	// their ACK (RFC 3261 §17.2.1): the heap is read until it stops
	// falling, at most 20 s.
	after := liveHeap()
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); {
		time.Sleep(2 * time.Second)
		next := liveHeap()
		if next >= after {
			break
		}
		after = next
	}
	t.Logf("flood of %d: live heap %d KB -> %d KB; RSS %d KB -> %d KB; goroutines %d -> %d",
		flood, before/1024, after/1024, rssBefore, rssKB(), goroutinesBefore, runtime.NumGoroutine())
	return after
}

// liveHeap is the heap in use after a collection: what the process keeps.
func liveHeap() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// rssKB is the process's resident set (VmRSS), for the log: Go returns
// freed pages to the OS lazily, so it is reported, not asserted.
func rssKB() int {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			n, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
			return n
		}
	}
	return 0
}

// With accept_calls_from: registrar a phone takes new calls only from its
// line's server: an INVITE from elsewhere gets 403 and never rings (issue
// 7, item 1, as Yealink's "Accept SIP Trust Server Only").
func TestAcceptCallsFromRegistrarOnly(t *testing.T) {
	registrar, stranger := newRawSIP(t), newRawSIP(t)
	bob := startPhoneConfig(t, "bob", "127.0.0.1", "1001", registrar.conn.LocalAddr().String(), sipua.MediaOptions{}, nil,
		func(o *sipua.Options) { o.AcceptCallsFromRegistrar = true })

	c := stranger.invite(t, bob.ua.Addr(), "1001", "")
	if got := status(c.final(t)); got != "SIP/2.0 403 Forbidden" {
		t.Fatalf("INVITE from a stranger: %q, want 403 Forbidden", got)
	}
	if n := bob.rec.count(emulator.EventIncomingCall); n != 0 {
		t.Fatalf("the stranger's INVITE rang the phone")
	}
	registrar.invite(t, bob.ua.Addr(), "1001", "")
	bob.rec.wait(t, emulator.EventIncomingCall, expectTimeout)
	pressKey(t, bob, keypad.X)
	bob.rec.wait(t, emulator.EventTerminated, expectTimeout)
}
