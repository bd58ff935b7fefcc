package emulator_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/phonesim/phonesim/emulator"
	"github.com/phonesim/phonesim/keypad"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// events records what a phone's subscriber received; tests wait on it
// (waitUntil) instead of polling.
type events struct {
	mu  sync.Mutex
	got []emulator.Event
	// snapshots[i] is what Snapshot() returned when got[i] was delivered
	snaps []emulator.Snapshot
	more  broadcast // woken on every event
}

// broadcast wakes every waiter at once; its owner's mutex guards it.
type broadcast struct{ ch chan struct{} }

func (b *broadcast) wait() <-chan struct{} {
	if b.ch == nil {
		b.ch = make(chan struct{})
	}
	return b.ch
}

func (b *broadcast) wake() {
	if b.ch != nil {
		close(b.ch)
		b.ch = nil
	}
}

// waitOn waits, woken by b, until ok (called with mu held) holds; after
// 5 s it fails the test with what().
func waitOn(t *testing.T, mu *sync.Mutex, b *broadcast, ok func() bool, what func() string) {
	t.Helper()
	timeout := time.After(5 * time.Second)
	for {
		mu.Lock()
		done, woken := ok(), b.wait()
		mu.Unlock()
		if done {
			return
		}
		select {
		case <-woken:
		case <-timeout:
			t.Fatal(what())
		}
	}
}

// record subscribes ev to p's events.
func (e *events) record(p *emulator.Phone) {
	p.Subscribe(func(ev emulator.Event) {
		s := p.Snapshot()
		e.mu.Lock()
		e.got = append(e.got, ev)
		e.snaps = append(e.snaps, s)
		e.more.wake()
		e.mu.Unlock()
	})
}

// waitUntil waits until the events received so far satisfy ok, woken by
// each new event (no polling); after 5 s it fails the test naming what.
func (e *events) waitUntil(t *testing.T, what string, ok func([]emulator.Event) bool) {
	t.Helper()
	waitOn(t, &e.mu, &e.more, func() bool { return ok(e.got) },
		func() string { return fmt.Sprintf("waited 5 s for %s; events %v", what, e.types()) })
}

// waitEvent waits for an event of type typ and returns the first one.
func (e *events) waitEvent(t *testing.T, typ emulator.EventType) emulator.Event {
	t.Helper()
	var found emulator.Event
	e.waitUntil(t, typ.String(), func(l []emulator.Event) bool {
		for _, ev := range l {
			if ev.Type == typ {
				found = ev
				return true
			}
		}
		return false
	})
	return found
}

func (e *events) list() []emulator.Event {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]emulator.Event(nil), e.got...)
}

func (e *events) types() []emulator.EventType {
	var out []emulator.EventType
	for _, ev := range e.list() {
		if ev.Type != emulator.EventStateChanged {
			out = append(out, ev.Type)
		}
	}
	return out
}

// newPhone starts a phone with no SIP side: keys, DND and the hook work,
// calls cannot be placed.
func newPhone(t *testing.T) (*emulator.Phone, *events) {
	t.Helper()
	p := emulator.New(emulator.Config{
		Identity: emulator.Identity{Name: "desk", MAC: "00:a8:59:00:10:01", IP: "127.0.0.1", Model: "X4U", Firmware: "2.12.1"},
		Lines:    []emulator.LineConfig{{User: "1001", Server: "127.0.0.1:5060", DisplayName: "Alice"}},
	}, nil)
	ev := &events{}
	ev.record(p)
	if err := p.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close(context.Background()) })
	return p, ev
}

func press(t *testing.T, p *emulator.Phone, keys ...keypad.Key) {
	t.Helper()
	for _, k := range keys {
		if err := p.Do(context.Background(), emulator.PressKey{Key: k}); err != nil {
			t.Fatalf("press %v: %v", k, err)
		}
	}
}

// settle waits until the subscriber has seen everything applied so far.
func settle(t *testing.T, p *emulator.Phone, ev *events) {
	t.Helper()
	want := p.Snapshot().Seq
	ev.waitUntil(t, fmt.Sprintf("the event of seq %d", want), func(l []emulator.Event) bool {
		return len(l) > 0 && l[len(l)-1].Seq >= want
	})
}

func TestSetupCompletedCarriesIdentity(t *testing.T) {
	p, ev := newPhone(t)
	settle(t, p, ev)
	got := ev.list()
	if len(got) == 0 || got[0].Type != emulator.EventSetupCompleted {
		t.Fatalf("first event %v, want Setup Completed", ev.types())
	}
	v := got[0].Vars
	if v.MAC != "00:a8:59:00:10:01" || v.IP != "127.0.0.1" || v.Model != "X4U" || v.Firmware != "2.12.1" {
		t.Errorf("vars %+v", v)
	}
	if v.CallID != "" || v.Remote != "" || v.ActiveURL != "" {
		t.Errorf("call variables must be empty outside calls: %+v", v)
	}
	if got[0].Phone != "desk" || got[0].Seq != 1 {
		t.Errorf("phone %q seq %d", got[0].Phone, got[0].Seq)
	}
}

func TestDNDFromKeysAndInput(t *testing.T) {
	p, ev := newPhone(t)
	press(t, p, keypad.DNDOn, keypad.DNDOn) // the second press changes nothing
	if !p.Snapshot().DND {
		t.Fatal("DND not on")
	}
	if err := p.Do(context.Background(), emulator.SetDND{On: false}); err != nil {
		t.Fatal(err)
	}
	settle(t, p, ev)
	want := []emulator.EventType{emulator.EventSetupCompleted, emulator.EventDNDOn, emulator.EventDNDOff}
	if got := ev.types(); !equal(got, want) {
		t.Fatalf("events %v, want %v", got, want)
	}
}

func TestDigitsHookAndSoftKeys(t *testing.T) {
	p, ev := newPhone(t)
	press(t, p, keypad.Digit1, keypad.Digit0, keypad.Pound, keypad.Star)
	s := p.Snapshot()
	if s.Dialing != "10#*" || s.Hook != emulator.HookOn {
		t.Fatalf("dialing %q hook %s", s.Dialing, s.Hook)
	}
	if s.LCD.Title != "Dial" || s.LCD.SoftKeys[0] != "Send" || s.LCD.SoftKeys[2] != "Delete" {
		t.Fatalf("LCD %+v", s.LCD)
	}
	press(t, p, keypad.F3) // Delete
	if d := p.Snapshot().Dialing; d != "10#" {
		t.Fatalf("after Delete: %q", d)
	}
	press(t, p, keypad.X)
	if d := p.Snapshot().Dialing; d != "" {
		t.Fatalf("X left %q", d)
	}
	press(t, p, keypad.Speaker) // hands-free dial tone
	if h := p.Snapshot().Hook; h != emulator.HookOff {
		t.Fatalf("hook %s after SPEAKER", h)
	}
	press(t, p, keypad.Speaker)
	settle(t, p, ev)
	want := []emulator.EventType{emulator.EventSetupCompleted, emulator.EventOffHook, emulator.EventOnHook}
	if got := ev.types(); !equal(got, want) {
		t.Fatalf("events %v, want %v", got, want)
	}
	// Digit presses changed the screen without an Action URL event: front
	// ends were told with State Changed.
	n := 0
	for _, e := range ev.list() {
		if e.Type == emulator.EventStateChanged {
			n++
		}
	}
	if n < 5 {
		t.Fatalf("%d State Changed events, want one per visible change", n)
	}
}

func TestEventSeesItsOwnSnapshot(t *testing.T) {
	p, ev := newPhone(t)
	press(t, p, keypad.DNDOn)
	settle(t, p, ev)
	ev.mu.Lock()
	defer ev.mu.Unlock()
	for i, e := range ev.got {
		if e.Type == emulator.EventDNDOn && !ev.snaps[i].DND {
			t.Fatal("a subscriber handling Activate DND read a snapshot without DND")
		}
		if i > 0 && e.Seq != ev.got[i-1].Seq+1 {
			t.Fatalf("seq %d after %d: events lost or reordered", e.Seq, ev.got[i-1].Seq)
		}
	}
}

func TestVolumeMuteBounds(t *testing.T) {
	p, _ := newPhone(t)
	for range 20 {
		press(t, p, keypad.VolumeUp)
	}
	if v := p.Snapshot().Volume; v != 9 {
		t.Fatalf("volume %d, want max 9", v)
	}
	for range 20 {
		press(t, p, keypad.VolumeDown)
	}
	if v := p.Snapshot().Volume; v != 0 {
		t.Fatalf("volume %d, want min 0", v)
	}
	press(t, p, keypad.Mute)
	if !p.Snapshot().Muted {
		t.Fatal("MUTE did not mute")
	}
}

func TestDialWithoutSIPAndBadAccount(t *testing.T) {
	p, _ := newPhone(t)
	ctx := context.Background()
	err := p.Do(ctx, emulator.DialNumber{Number: "1002"})
	if !errors.Is(err, emulator.ErrNoSIP) {
		t.Fatalf("dial with no SIP side: %v", err)
	}
	err = p.Do(ctx, emulator.DialNumber{Number: "1002", Account: "9999@127.0.0.1"})
	if err == nil {
		t.Fatal("an unknown outgoing_uri account must be an error")
	}
	if err := p.Do(ctx, emulator.PressKey{Key: keypad.L5}); err == nil {
		t.Fatal("L5 has no account and must say so")
	}
	if err := p.Do(ctx, emulator.PressKey{Key: keypad.Redial}); err == nil {
		t.Fatal("RD with nothing dialled must say so")
	}
	if err := p.Do(ctx, emulator.PressKey{Key: keypad.D1}); err == nil || !strings.Contains(err.Error(), "not programmed") {
		t.Fatalf("an unprogrammed DSS key: %v", err)
	}
	if err := p.Do(ctx, emulator.PressKey{Key: keypad.AutoP}); !errors.Is(err, emulator.ErrNoProvisioning) {
		t.Fatalf("AutoP without a provisioning URL: %v", err)
	}
	if err := p.Do(ctx, emulator.PressKey{Key: keypad.Reboot}); !errors.Is(err, emulator.ErrNoSIP) {
		t.Fatalf("Reboot without a SIP side: %v", err)
	}
	if err := p.Do(ctx, emulator.ChangeIP{IP: "not-an-ip"}); err == nil {
		t.Fatal("a bad IP was accepted")
	}
	// Keys whose features come later are accepted.
	for _, k := range []keypad.Key{keypad.Hold, keypad.Transfer, keypad.Conference, keypad.Up} {
		if err := p.Do(ctx, emulator.PressKey{Key: k}); err != nil {
			t.Errorf("%v: %v", k, err)
		}
	}
}

func TestCloseIsIdempotentAndDoAfterCloseFails(t *testing.T) {
	p, _ := newPhone(t)
	if err := p.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := p.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	p.Post(emulator.PressKey{Key: keypad.OK}) // dropped, no panic
	if err := p.Do(context.Background(), emulator.PressKey{Key: keypad.OK}); !errors.Is(err, emulator.ErrClosed) {
		t.Fatalf("Do after Close: %v", err)
	}
}

func TestEventNamesAndKeys(t *testing.T) {
	evs := emulator.ActionEvents()
	if len(evs) != 27 {
		t.Fatalf("%d events, want the 27 of spec §2.4", len(evs))
	}
	seen := map[string]bool{}
	for _, e := range evs {
		k := e.Key()
		if k == "" || seen[k] {
			t.Fatalf("event %v has key %q (empty or repeated)", e, k)
		}
		seen[k] = true
		back, err := emulator.ParseEventKey(k)
		if err != nil || back != e {
			t.Fatalf("ParseEventKey(%q) = %v, %v", k, back, err)
		}
	}
	if _, err := emulator.ParseEventKey("incoming"); err == nil {
		t.Fatal("unknown event key accepted")
	}
	var v emulator.Vars
	for _, n := range emulator.VarNames {
		if _, ok := v.Lookup(n); !ok {
			t.Fatalf("variable %s has no lookup", n)
		}
	}
	if len(emulator.VarNames) != 12 {
		t.Fatalf("%d variables, want the 12 of spec §2.5", len(emulator.VarNames))
	}
}

func equal(a, b []emulator.EventType) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// Close waits until a slow subscriber has seen every event, even when the
// close lands while it is busy with an earlier batch.
func TestCloseDrainsSlowSubscriber(t *testing.T) {
	p := emulator.New(emulator.Config{Identity: emulator.Identity{Name: "slow"}}, nil)
	var mu sync.Mutex
	var seen []emulator.EventType
	p.Subscribe(func(e emulator.Event) {
		time.Sleep(30 * time.Millisecond)
		mu.Lock()
		seen = append(seen, e.Type)
		mu.Unlock()
	})
	if err := p.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		p.Post(emulator.SetDND{On: i%2 == 0})
	}
	done := make(chan struct{})
	go func() {
		_ = p.Close(context.Background())
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Close hung with a slow subscriber")
	}
	mu.Lock()
	defer mu.Unlock()
	want := []emulator.EventType{emulator.EventSetupCompleted, emulator.EventDNDOn, emulator.EventDNDOff, emulator.EventDNDOn}
	if !equal(seen, want) {
		t.Fatalf("subscriber saw %v before Close returned, want %v", seen, want)
	}
}

func TestHeadsetAndSpeakerPaths(t *testing.T) {
	p, _ := newPhone(t)
	if got := p.Snapshot().AudioPath; got != emulator.PathSpeaker {
		t.Fatalf("default audio path %q", got)
	}
	press(t, p, keypad.Headset)
	s := p.Snapshot()
	if s.AudioPath != emulator.PathHeadset || s.Hook != emulator.HookOff || s.LCD.LEDs["HEADSET"] != emulator.LEDOn {
		t.Fatalf("after HEADSET: path %q hook %s LEDs %v", s.AudioPath, s.Hook, s.LCD.LEDs)
	}
	press(t, p, keypad.Headset)
	if h := p.Snapshot().Hook; h != emulator.HookOn {
		t.Fatalf("second HEADSET left the hook %s", h)
	}
}
