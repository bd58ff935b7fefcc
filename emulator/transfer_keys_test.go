package emulator_test

import (
	"slices"
	"testing"

	"github.com/phonesim/phonesim/emulator"
)

// The transfer key sequences of Fanvil, Yealink and Grandstream desk phones
// (docs/events.md, "Transfer keys"), with the SIP side recording what the
// phone asks of it.

// F_TRANSFER, digits, F_TRANSFER: a blind REFER at once, no second call.
func TestTransferKeyTwiceIsBlind(t *testing.T) {
	p, ev, sig := transferStarted(t)
	if sk := p.Snapshot().LCD.SoftKeys; sk != [4]string{"Blind", "Call", "Delete", "Cancel"} {
		t.Errorf("soft keys while typing the target %q", sk)
	}
	keys(t, p, "1;0;0;3;F_TRANSFER")
	if !sig.did(`Transfer o1 "1003" `) || sig.did("Dial o2 1003") {
		t.Fatalf("want a blind REFER to 1003 and no call; asked %q", sig.calls)
	}
	feed(t, p, emulator.SIPTransfer{Ref: "o1", Code: 202})
	settle(t, p, ev)
	if countOf(ev, emulator.EventBlindTransfer) != 1 || countOf(ev, emulator.EventAttendedTransfer) != 0 {
		t.Errorf("events %v, want Blind Transfer", ev.types())
	}
}

// F_TRANSFER, digits, then OK, POUND or soft key Call: a consultation call,
// the first call still held, no REFER yet; F_TRANSFER while the target
// talks: REFER with Replaces, Attended Transfer.
func TestTransferDigitsThenOKPlacesAConsultationCall(t *testing.T) {
	for _, send := range []string{"OK", "POUND", "F2"} {
		t.Run(send, func(t *testing.T) {
			p, ev, sig := transferStarted(t)
			keys(t, p, "1;0;0;3;"+send)
			if !sig.did("Dial o2 1003") || slices.ContainsFunc(sig.calls, func(c string) bool { return len(c) > 8 && c[:8] == "Transfer" }) {
				t.Fatalf("want a consultation call to 1003 and no REFER; asked %q", sig.calls)
			}
			s := p.Snapshot()
			if len(s.Calls) != 2 || s.Calls[0].State != emulator.CallHeld {
				t.Fatalf("calls %+v, want the first held and a second", s.Calls)
			}
			if sk := s.LCD.SoftKeys; sk[1] != "Transfer" || sk[3] != "Cancel" {
				t.Errorf("consultation soft keys %q", sk)
			}
			answered(t, p, "o2", "1003")
			keys(t, p, "F_TRANSFER")
			if !sig.did(`Transfer o1 "" o2`) {
				t.Fatalf("want REFER with Replaces of o2; asked %q", sig.calls)
			}
			feed(t, p, emulator.SIPTransfer{Ref: "o1", Code: 202}, emulator.SIPTransfer{Ref: "o1", Notify: 200})
			settle(t, p, ev)
			if countOf(ev, emulator.EventAttendedTransfer) != 1 || countOf(ev, emulator.EventBlindTransfer) != 0 {
				t.Errorf("events %v, want Attended Transfer", ev.types())
			}
		})
	}
}

// F_TRANSFER while the consultation call still rings: semi-attended. No
// REFER while it rings; the REFER with Replaces goes when the target
// answers.
func TestTransferKeyWhileTheTargetRingsIsSemiAttended(t *testing.T) {
	p, ev, sig := transferStarted(t)
	keys(t, p, "1;0;0;3;OK")
	feed(t, p, emulator.SIPCallStarted{Ref: "o2", CallID: "o2-call"}, emulator.SIPProgress{Ref: "o2", Code: 180})
	keys(t, p, "F_TRANSFER")
	if slices.ContainsFunc(sig.calls, func(c string) bool { return len(c) > 8 && c[:8] == "Transfer" }) {
		t.Fatalf("REFER sent while the target rings; asked %q", sig.calls)
	}
	s := p.Snapshot()
	if sk := s.LCD.SoftKeys; sk != [4]string{"", "", "", "Cancel"} || !slices.Contains(s.LCD.Lines, "Transfer when answered") {
		t.Errorf("semi-attended LCD %q %q", s.LCD.Lines, sk)
	}
	feed(t, p, emulator.SIPAnswered{Ref: "o2", Media: &emulator.MediaStats{}})
	if !sig.did(`Transfer o1 "" o2`) {
		t.Fatalf("want REFER with Replaces of o2 once answered; asked %q", sig.calls)
	}
	feed(t, p, emulator.SIPTransfer{Ref: "o1", Code: 202}, emulator.SIPTransfer{Ref: "o1", Notify: 200})
	wantTransferred(t, p, ev, sig)
}

// X on the consultation call ends it and returns to the held call.
func TestXOnTheConsultationCallReturnsToTheHeldCall(t *testing.T) {
	p, _, sig := transferStarted(t)
	keys(t, p, "1;0;0;3;OK")
	answered(t, p, "o2", "1003")
	keys(t, p, "X")
	if !sig.did("Hangup o2") || !sig.did("Unhold o1") || sig.did("Hangup o1") {
		t.Fatalf("want the consultation call ended and the first resumed; asked %q", sig.calls)
	}
}

// A semi-attended transfer whose target declines: no REFER, the first call
// stays held and the LCD says why.
func TestSemiAttendedTransferToADecliningTarget(t *testing.T) {
	p, ev, sig := transferStarted(t)
	keys(t, p, "1;0;0;3;OK")
	feed(t, p, emulator.SIPCallStarted{Ref: "o2", CallID: "o2-call"}, emulator.SIPProgress{Ref: "o2", Code: 180})
	keys(t, p, "F_TRANSFER")
	feed(t, p, emulator.SIPEnded{Ref: "o2", Code: 603, Reason: "Decline", ByRemote: true})
	settle(t, p, ev)
	s := p.Snapshot()
	if len(s.Calls) != 1 || s.Calls[0].State != emulator.CallHeld {
		t.Fatalf("calls %+v, want the first call held", s.Calls)
	}
	if !slices.Contains(s.LCD.Lines, "Transfer failed: Decline") || s.LCD.SoftKeys[0] != "Resume" {
		t.Errorf("LCD %q %q", s.LCD.Lines, s.LCD.SoftKeys)
	}
	if countOf(ev, emulator.EventTransferCall) != 0 || slices.ContainsFunc(sig.calls, func(c string) bool { return len(c) > 8 && c[:8] == "Transfer" }) {
		t.Errorf("a transfer happened: %v %q", ev.types(), sig.calls)
	}
}
