package emulator_test

import (
	"context"
	"strings"
	"testing"

	"github.com/phonesim/phonesim/emulator"
	"github.com/phonesim/phonesim/keypad"
)

func TestMenuTogglesDNDAndSetsForwarding(t *testing.T) {
	p, ev := newPhone(t)
	press(t, p, keypad.OK)
	lcd := p.Snapshot().LCD
	if lcd.Title != "Menu" || len(lcd.Lines) != 4 || !strings.HasPrefix(lcd.Lines[0], "> Call history") {
		t.Fatalf("menu LCD %+v", lcd)
	}
	press(t, p, keypad.Down, keypad.OK) // DND: off -> on
	if !p.Snapshot().DND {
		t.Fatal("menu DND item did not turn DND on")
	}
	press(t, p, keypad.Down, keypad.OK) // Forward
	if got := p.Snapshot().LCD.Title; got != "Forward" {
		t.Fatalf("title %q, want Forward", got)
	}
	press(t, p, keypad.OK) // Always: off -> edit
	press(t, p, keypad.Digit2, keypad.Digit0, keypad.Digit0, keypad.Digit9, keypad.F3, keypad.Digit1)
	if got := p.Snapshot().LCD.Lines; len(got) != 1 || got[0] != "2001" {
		t.Fatalf("edit field %q, want 2001", got)
	}
	press(t, p, keypad.OK) // save
	if f := p.Snapshot().Forward[emulator.ForwardAlways]; !f.On || f.Target != "2001" {
		t.Fatalf("always forward %+v", f)
	}
	if l := p.Snapshot().LCD.Lines[0]; l != "> Always: on 2001" {
		t.Fatalf("forward menu line %q", l)
	}
	press(t, p, keypad.OK)                                       // Always: on -> off
	press(t, p, keypad.Down, keypad.OK, keypad.Digit7, keypad.X) // Busy: edit, cancelled
	if p.Snapshot().Forward[emulator.ForwardBusy].On {
		t.Fatal("a cancelled edit turned busy forwarding on")
	}
	press(t, p, keypad.X, keypad.Down, keypad.OK) // back to root, Status
	st := p.Snapshot().LCD
	if st.Title != "Status" || !strings.Contains(strings.Join(st.Lines, "|"), "IP 127.0.0.1") {
		t.Fatalf("status LCD %+v", st)
	}
	press(t, p, keypad.X, keypad.X) // close
	if p.Snapshot().LCD.Title != "desk" {
		t.Fatalf("menu did not close: %+v", p.Snapshot().LCD)
	}
	settle(t, p, ev)
	want := []emulator.EventType{emulator.EventSetupCompleted, emulator.EventDNDOn,
		emulator.EventAlwaysForwardOn, emulator.EventAlwaysForwardOff}
	if got := ev.types(); !equal(got, want) {
		t.Fatalf("events %v, want %v", got, want)
	}
}

func TestSetForwardInput(t *testing.T) {
	p, ev := newPhone(t)
	ctx := context.Background()
	if err := p.Do(ctx, emulator.SetForward{Kind: emulator.ForwardBusy, On: true}); err == nil {
		t.Fatal("forwarding without a target must be refused")
	}
	for _, in := range []emulator.SetForward{
		{Kind: emulator.ForwardBusy, On: true, Target: "2001"},
		{Kind: emulator.ForwardBusy, On: true, Target: "2002"}, // target change: no new event
		{Kind: emulator.ForwardNoAnswer, On: true, Target: "2003"},
		{Kind: emulator.ForwardBusy, On: false},
		{Kind: emulator.ForwardNoAnswer, On: false},
	} {
		if err := p.Do(ctx, in); err != nil {
			t.Fatal(err)
		}
	}
	settle(t, p, ev)
	want := []emulator.EventType{emulator.EventSetupCompleted, emulator.EventBusyForwardOn,
		emulator.EventNoAnswerForwardOn, emulator.EventBusyForwardOff, emulator.EventNoAnswerForwardOff}
	if got := ev.types(); !equal(got, want) {
		t.Fatalf("events %v, want %v", got, want)
	}
	if err := p.Do(ctx, emulator.SetForward{Kind: 7, On: true, Target: "1"}); err == nil {
		t.Fatal("unknown forwarding kind accepted")
	}
}

// Digits typed in the menu outside an edit field do nothing: the menu stays
// and nothing is dialled.
func TestDigitsInTheMenuDoNothing(t *testing.T) {
	p, _ := newPhone(t)
	press(t, p, keypad.OK, keypad.Digit1, keypad.Digit0, keypad.Pound)
	s := p.Snapshot()
	if s.Dialing != "" || s.LCD.Title != "Menu" {
		t.Fatalf("after digits in the menu: dialing %q, LCD %q", s.Dialing, s.LCD.Title)
	}
	press(t, p, keypad.X)
	if s := p.Snapshot(); s.Dialing != "" || s.LCD.Title == "Dial" {
		t.Fatalf("after leaving the menu: dialing %q, LCD %q", s.Dialing, s.LCD.Title)
	}
}
