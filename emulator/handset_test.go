package emulator_test

import (
	"context"
	"testing"

	"github.com/phonesim/phonesim/emulator"
	"github.com/phonesim/phonesim/keypad"
)

func handset(t *testing.T, p *emulator.Phone, lift bool) {
	t.Helper()
	if err := p.Do(context.Background(), emulator.Handset{Lift: lift}); err != nil {
		t.Fatalf("handset lift=%v: %v", lift, err)
	}
}

// Lifting the handset in idle gives the dial screen on the handset path;
// replacing it goes back on hook and forgets the typed digits.
func TestHandsetLiftAndReplace(t *testing.T) {
	p, ev := newPhone(t)
	handset(t, p, true)
	s := p.Snapshot()
	if s.Hook != emulator.HookOff || s.AudioPath != emulator.PathHandset || s.LCD.Title != "Dial" {
		t.Fatalf("after lifting: hook %s path %s title %q", s.Hook, s.AudioPath, s.LCD.Title)
	}
	handset(t, p, true) // lifting a lifted handset changes nothing
	press(t, p, keypad.Digit1, keypad.Digit2)
	handset(t, p, false)
	s = p.Snapshot()
	if s.Hook != emulator.HookOn || s.Dialing != "" {
		t.Fatalf("after replacing: hook %s dialing %q", s.Hook, s.Dialing)
	}
	settle(t, p, ev)
	want := []emulator.EventType{emulator.EventSetupCompleted, emulator.EventOffHook, emulator.EventOnHook}
	if got := ev.types(); !equal(got, want) {
		t.Fatalf("events %v, want %v", got, want)
	}
}
