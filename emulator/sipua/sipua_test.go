package sipua_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/phonesim/phonesim/emulator"
	"github.com/phonesim/phonesim/emulator/sipua"
	"github.com/phonesim/phonesim/keypad"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// recorder keeps every event a phone publishes.
type recorder struct {
	mu     sync.Mutex
	events []emulator.Event
	cond   chan struct{}
}

func record(d emulator.Device) *recorder {
	r := &recorder{cond: make(chan struct{}, 1)}
	d.Subscribe(func(ev emulator.Event) {
		if ev.Type == emulator.EventStateChanged {
			return
		}
		r.mu.Lock()
		r.events = append(r.events, ev)
		r.mu.Unlock()
		select {
		case r.cond <- struct{}{}:
		default:
		}
	})
	return r
}

// wait returns the first event of type t (after index from), or fails.
func (r *recorder) wait(t *testing.T, typ emulator.EventType, timeout time.Duration) emulator.Event {
	t.Helper()
	deadline := time.After(timeout)
	for {
		r.mu.Lock()
		for _, ev := range r.events {
			if ev.Type == typ {
				r.mu.Unlock()
				return ev
			}
		}
		r.mu.Unlock()
		select {
		case <-r.cond:
		case <-deadline:
			t.Fatalf("no %s event within %s; got %v", typ, timeout, r.types())
		}
	}
}

func (r *recorder) types() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, ev := range r.events {
		out = append(out, ev.Type.String())
	}
	return out
}

type testPhone struct {
	*emulator.Phone
	ua  *sipua.UA
	rec *recorder
}

func startPhone(t *testing.T, name, ip, user, server string) *testPhone {
	t.Helper()
	return startPhoneTB(t, name, ip, user, server)
}

func startPhoneTB(t testing.TB, name, ip, user, server string) *testPhone {
	t.Helper()
	return startPhoneMedia(t, name, ip, user, server, sipua.MediaOptions{})
}

// startPhoneMedia starts a phone with one line and the given media options.
func startPhoneMedia(t testing.TB, name, ip, user, server string, media sipua.MediaOptions) *testPhone {
	t.Helper()
	return startPhoneConfig(t, name, ip, user, server, media, nil, nil)
}

// startPhoneConfig is startPhoneMedia with the core's configuration and
// the SIP side's options adjusted by tune and tuneUA (nil: as they are).
func startPhoneConfig(t testing.TB, name, ip, user, server string, media sipua.MediaOptions,
	tune func(*emulator.Config), tuneUA func(*sipua.Options)) *testPhone {
	t.Helper()
	lines := []emulator.LineConfig{{User: user, Password: "pw", Server: server, DisplayName: name, Expires: time.Minute}}
	opts := sipua.Options{IP: ip, Lines: lines, RetryMin: 200 * time.Millisecond, RetryMax: time.Second,
		RequestTimeout: time.Second, Media: media}
	if tuneUA != nil {
		tuneUA(&opts)
	}
	ua := sipua.New(opts)
	cfg := emulator.Config{
		Identity: emulator.Identity{Name: name, MAC: "00:a8:59:00:00:01", IP: ip, Model: "X4U", Firmware: "2.12.1"},
		Lines:    lines,
	}
	if tune != nil {
		tune(&cfg)
	}
	p := emulator.New(cfg, ua)
	tp := &testPhone{Phone: p, ua: ua, rec: record(p)}
	if err := p.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = p.Close(ctx)
	})
	return tp
}

func waitFor(t *testing.T, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// A direct IP call between two phones (no registrar): INVITE straight to
// the callee's SIP address, answered with OK, RTP both ways, hung up with X.
func TestDirectIPCallBetweenPhones(t *testing.T) {
	ctx := context.Background()
	// Registrations go nowhere (port 9 discards); calls do not need them.
	alice := startPhone(t, "alice", "127.0.0.1", "1001", "127.0.0.1:9")
	bob := startPhone(t, "bob", "127.0.0.1", "1002", "127.0.0.1:9")

	target := fmt.Sprintf("sip:1002@%s", bob.ua.Addr())
	if err := alice.Do(ctx, emulator.DialNumber{Number: target}); err != nil {
		t.Fatal(err)
	}
	out := alice.rec.wait(t, emulator.EventOutgoingCall, 5*time.Second)
	in := bob.rec.wait(t, emulator.EventIncomingCall, 5*time.Second)
	if in.Vars.CallID == "" || in.Vars.CallID != out.Vars.CallID {
		t.Fatalf("call ids: outgoing %q incoming %q", out.Vars.CallID, in.Vars.CallID)
	}
	if in.Vars.Remote != "sip:1001@127.0.0.1" {
		t.Errorf("$remote = %q, want sip:1001@127.0.0.1", in.Vars.Remote)
	}
	if in.Vars.DisplayRemote != "alice" {
		t.Errorf("$display_remote = %q, want alice", in.Vars.DisplayRemote)
	}
	if err := bob.Do(ctx, emulator.PressKey{Key: keypad.OK}); err != nil {
		t.Fatal(err)
	}
	bob.rec.wait(t, emulator.EventEstablished, 5*time.Second)
	alice.rec.wait(t, emulator.EventEstablished, 5*time.Second)

	// 20 ms packets: 10 each way takes about 200 ms.
	waitFor(t, "RTP both ways", 5*time.Second, func() bool {
		a, b := alice.Snapshot(), bob.Snapshot()
		return len(a.Calls) == 1 && len(b.Calls) == 1 &&
			a.Calls[0].RTPIn > 10 && a.Calls[0].RTPOut > 10 &&
			b.Calls[0].RTPIn > 10 && b.Calls[0].RTPOut > 10
	})
	if c := alice.Snapshot().Calls[0].Codec; c != "PCMU" {
		t.Errorf("codec %q, want PCMU", c)
	}

	if err := alice.Do(ctx, emulator.PressKey{Key: keypad.X}); err != nil {
		t.Fatal(err)
	}
	alice.rec.wait(t, emulator.EventTerminated, 5*time.Second)
	bob.rec.wait(t, emulator.EventTerminated, 5*time.Second)
	bob.rec.wait(t, emulator.EventBusyToIdle, 5*time.Second)
	if s := bob.Snapshot(); s.Busy || len(s.Calls) != 0 {
		t.Fatalf("bob still busy: %+v", s.Calls)
	}
}
