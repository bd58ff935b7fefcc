package sipua_test

import (
	"strings"
	"testing"
	"time"

	"github.com/phonesim/phonesim/emulator"
	"github.com/phonesim/phonesim/emulator/sipua"
	"github.com/phonesim/phonesim/keypad"
)

// waitFull waits until the phone has told its SIP side that every call
// appearance is taken (or no longer, full false).
func waitFull(t *testing.T, p *testPhone, full bool) {
	t.Helper()
	for deadline := time.Now().Add(expectTimeout); ; time.Sleep(5 * time.Millisecond) {
		if f, _, _ := sipua.StatelessBusy(p.ua); f == full {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the SIP side was not told full=%v within %s", full, expectTimeout)
		}
	}
}

// ringingAtLimit starts a phone with one call appearance and rings it
// with a raw call: the phone now refuses new calls (486).
func ringingAtLimit(t *testing.T) (*testPhone, *rawCall) {
	t.Helper()
	bob := startLimitedPhone(t, 1, 0)
	ringing := newRawSIP(t).invite(t, bob.ua.Addr(), "1001", "")
	ringing.ringing(t)
	bob.rec.waitCount(t, emulator.EventIncomingCall, 1)
	waitFull(t, bob, true)
	return bob, ringing
}

// responses collects, for d, the status lines of responses to c's Call-ID.
func (c *rawCall) responses(t *testing.T, d time.Duration) []string {
	t.Helper()
	var got []string
	buf := make([]byte, 65535)
	deadline := time.Now().Add(d)
	for {
		_ = c.r.conn.SetReadDeadline(deadline)
		n, _, err := c.r.conn.ReadFrom(buf)
		if err != nil {
			return got
		}
		if msg := string(buf[:n]); strings.HasPrefix(msg, "SIP/2.0 ") && strings.Contains(msg, c.callID) {
			got = append(got, status(msg))
		}
	}
}

// At its limit a phone refuses the next INVITE as a stateless UAS (RFC
// 3261 §8.2.7): 486 Busy Here with a To tag made from the request, the
// same 486 again for a retransmission, its ACK taken quietly, and no
// Incoming Call. A retransmission of the INVITE that is ringing is still
// its own transaction's (no 486), and once a call ends a new INVITE rings
// again (issue 7).
func TestBeyondLimitRefusedStatelessly(t *testing.T) {
	bob, ringing := ringingAtLimit(t)

	ringing.resend(t)
	for _, st := range ringing.responses(t, 300*time.Millisecond) {
		if !strings.HasPrefix(st, "SIP/2.0 1") {
			t.Fatalf("a retransmission of the ringing call's INVITE got %q", st)
		}
	}

	busy := newRawSIP(t).invite(t, bob.ua.Addr(), "1001", "")
	res := busy.final(t) // and ACKs it
	to := headerLine(res, "To")
	if status(res) != "SIP/2.0 486 Busy Here" || !strings.Contains(to, ";tag=slr-") {
		t.Fatalf("INVITE beyond the limit: %q with %q, want the stateless 486 Busy Here", status(res), to)
	}
	busy.resend(t)
	again := busy.final(t)
	if status(again) != "SIP/2.0 486 Busy Here" || headerLine(again, "To") != to {
		t.Errorf("retransmission: %q with %q, want 486 with %q", status(again), headerLine(again, "To"), to)
	}
	for deadline := time.Now().Add(expectTimeout); ; time.Sleep(5 * time.Millisecond) {
		_, refused, acks := sipua.StatelessBusy(bob.ua)
		if refused == 2 && acks == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d INVITEs refused and %d ACKs taken statelessly, want 2 and 2", refused, acks)
		}
	}
	wantOnlyCalls(t, bob, 1)

	pressKey(t, bob, keypad.X)
	bob.rec.waitCount(t, emulator.EventTerminated, 1)
	waitFull(t, bob, false)
	next := newRawSIP(t).invite(t, bob.ua.Addr(), "1001", "")
	next.ringing(t)
	bob.rec.waitCount(t, emulator.EventIncomingCall, 2)
	pressKey(t, bob, keypad.X)
	bob.rec.waitCount(t, emulator.EventTerminated, 2)
}

// At the limit, what the phone refused before the limit counted is still
// refused so: a stranger's INVITE with accept_calls_from: registrar gets
// 403, a malformed one its 400, while the registrar's gets 486; and a
// re-INVITE of the call it holds (hold) still reaches that call.
func TestAtLimitOtherRefusalsAndReINVITE(t *testing.T) {
	registrar, stranger := newRawSIP(t), newRawSIP(t)
	bob := startPhoneConfig(t, "bob", "127.0.0.1", "1001", registrar.conn.LocalAddr().String(), sipua.MediaOptions{},
		func(cfg *emulator.Config) { cfg.CallAppearances = 1 },
		func(o *sipua.Options) { o.AcceptCallsFromRegistrar = true })
	call := registrar.invite(t, bob.ua.Addr(), "1001", "")
	bob.rec.waitCount(t, emulator.EventIncomingCall, 1)
	pressKey(t, bob, keypad.OK)
	if res := call.final(t); status(res) != "SIP/2.0 200 OK" {
		t.Fatalf("answer: %q", status(res))
	}
	bob.rec.wait(t, emulator.EventEstablished, expectTimeout)
	waitFull(t, bob, true)

	for _, c := range []struct {
		name   string
		from   *rawSIP
		extra  string
		status string
	}{
		{"a stranger's INVITE", stranger, "", "SIP/2.0 403 Forbidden"},
		{"a repeated From", registrar, "From: <sip:x@127.0.0.1>;tag=x\r\n", "SIP/2.0 400 Repeated From"},
		{"an unsupported Require", registrar, "Require: nope\r\n", "SIP/2.0 420 Bad Extension"},
		{"the registrar's INVITE", registrar, "", "SIP/2.0 486 Busy Here"},
	} {
		if got := status(c.from.invite(t, bob.ua.Addr(), "1001", c.extra).final(t)); got != c.status {
			t.Errorf("%s at the limit: %q, want %q", c.name, got, c.status)
		}
	}
	if _, refused, _ := sipua.StatelessBusy(bob.ua); refused != 1 {
		t.Errorf("%d INVITEs refused statelessly, want 1 (the registrar's)", refused)
	}

	call.send(t, "INVITE", "", rawSDP(2, "sendonly"))
	if res := call.final(t); status(res) != "SIP/2.0 200 OK" {
		t.Fatalf("re-INVITE (hold) at the limit: %q, want 200 OK", status(res))
	}
	for deadline := time.Now().Add(expectTimeout); !bob.Snapshot().Calls[0].RemoteHeld; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the re-INVITE at the limit did not reach the call: not held")
		}
	}
	wantOnlyCalls(t, bob, 1)
	pressKey(t, bob, keypad.X)
	call.waitRequest(t, "BYE")
	bob.rec.waitCount(t, emulator.EventTerminated, 1)
}
