package sipua_test

import (
	"strings"
	"testing"

	"github.com/phonesim/phonesim/emulator"
)

// transferParties starts A (1001), B (1002) and C (1003) and has A call B.
func transferParties(t *testing.T) (a, b, c *ua, ab call) {
	a = startUA(t, "127.0.0.1", "1001", "127.0.0.1:9")
	b = startUA(t, "127.0.0.1", "1002", "127.0.0.1:9")
	c = startUA(t, "127.0.0.1", "1003", "127.0.0.1:9")
	return a, b, c, establish(t, a, b)
}

// referredCall follows, at the transferee a, the call a REFER on call from
// made it place, up to the target c ringing, and returns both refs.
func referredCall(t *testing.T, a, c *ua, from emulator.CallRef, target string) (emulator.CallRef, emulator.SIPIncoming) {
	t.Helper()
	ref, _ := expect(t, a.in, 0, "a is referred", func(r emulator.SIPReferred) bool { return r.From == from })
	if ref.Ref != "r1" || ref.Line != 1 || ref.Target != target {
		t.Fatalf("SIPReferred = %+v, want Ref r1, Line 1, Target %s", ref, target)
	}
	started, _ := expect(t, a.in, 0, "a calls the target", func(s emulator.SIPCallStarted) bool { return s.Ref == ref.Ref })
	return ref.Ref, c.incoming(t, started.CallID)
}

// Blind transfer (RFC 5589 §6.1): B refers A to C. B's REFER is accepted
// (202), A calls C, C answers, B hears NOTIFY 100 then 200 (after the 202,
// in that order), then B leaves and A's first call ends; A and C talk.
func TestBlindTransfer(t *testing.T) {
	a, b, c, ab := transferParties(t)

	b.Transfer(ab.in, c.uri(), "")
	_, accepted := expect(t, b.in, 0, "REFER accepted", is(emulator.SIPTransfer{Ref: ab.in, Code: 202}))
	r1, atC := referredCall(t, a, c, ab.out, c.uri())
	if atC.RemoteURI != "sip:1001@127.0.0.1" {
		t.Errorf("C sees the call from %q, want A (sip:1001@127.0.0.1)", atC.RemoteURI)
	}
	c.Answer(atC.Ref)
	acMedia := a.answered(t, r1)
	c.answered(t, atC.Ref)

	_, trying := expect(t, b.in, 0, "NOTIFY 100", is(emulator.SIPTransfer{Ref: ab.in, Notify: 100}))
	_, done := expect(t, b.in, 0, "NOTIFY 200", is(emulator.SIPTransfer{Ref: ab.in, Notify: 200}))
	if !(accepted < trying && trying < done) {
		t.Errorf("b's reports out of order: 202 at %d, NOTIFY 100 at %d, NOTIFY 200 at %d", accepted, trying, done)
	}

	b.Hangup(ab.in)
	if e := a.ended(t, ab.out); !e.ByRemote {
		t.Errorf("a's first call ended %+v, want by the transferor", e)
	}
	b.ended(t, ab.in)
	flowing(t, "a hears c", &acMedia.RTPIn)

	a.Hangup(r1)
	if e := c.ended(t, atC.Ref); !e.ByRemote {
		t.Errorf("c's call ended %+v, want by a", e)
	}
}

// Blind transfer where the transferor leaves as soon as the REFER is
// accepted, as the phone's core does: A still calls C.
func TestBlindTransferTransferorLeavesAtOnce(t *testing.T) {
	a, b, c, ab := transferParties(t)

	b.Transfer(ab.in, "sip:1003@"+c.Addr(), "")
	expect(t, b.in, 0, "REFER accepted", is(emulator.SIPTransfer{Ref: ab.in, Code: 202}))
	b.Hangup(ab.in)
	r1, atC := referredCall(t, a, c, ab.out, c.uri())
	a.ended(t, ab.out)
	c.Answer(atC.Ref)
	a.answered(t, r1)
	c.answered(t, atC.Ref)
}

// Attended transfer (RFC 5589 §7.1): A calls B, B consults C, then B
// refers A to C with Replaces naming the B-C dialog. A's INVITE to C
// carries the Replaces; C answers it at once, reports SIPReplaced and ends
// its call with B; B hears NOTIFY 200 and leaves A.
func TestAttendedTransfer(t *testing.T) {
	a, b, c, ab := transferParties(t)
	b.Hold(ab.in)
	expect(t, b.in, 0, "b holds a", is(emulator.SIPHold{Ref: ab.in, Held: true}))
	bc := establish(t, b, c)

	b.Transfer(ab.in, "", bc.out)
	expect(t, b.in, 0, "REFER accepted", is(emulator.SIPTransfer{Ref: ab.in, Code: 202}))
	ref, _ := expect(t, a.in, 0, "a is referred", func(r emulator.SIPReferred) bool { return r.From == ab.out })
	if !strings.HasPrefix(ref.Target, c.uri()) {
		t.Errorf("a is referred to %q, want c's contact %q", ref.Target, c.uri())
	}
	started, _ := expect(t, a.in, 0, "a calls c", func(s emulator.SIPCallStarted) bool { return s.Ref == ref.Ref })
	atC := c.incoming(t, started.CallID)
	// No Answer from C's phone: a replacing call is answered by the SIP side.
	expect(t, c.in, 0, "c replaces", is(emulator.SIPReplaced{Old: bc.in, New: atC.Ref}))
	c.answered(t, atC.Ref)
	acMedia := a.answered(t, ref.Ref)
	if e := c.ended(t, bc.in); e.ByRemote {
		t.Errorf("c's call with b ended %+v, want ended by c (BYE)", e)
	}
	if e := b.ended(t, bc.out); !e.ByRemote {
		t.Errorf("b's call with c ended %+v, want by c", e)
	}
	expect(t, b.in, 0, "NOTIFY 200", is(emulator.SIPTransfer{Ref: ab.in, Notify: 200}))
	b.Hangup(ab.in)
	a.ended(t, ab.out)
	flowing(t, "a hears c", &acMedia.RTPIn)
}

// A transfer that cannot be sent is reported with an error, and the far
// end is not referred anywhere.
func TestTransferErrors(t *testing.T) {
	a, b, _, ab := transferParties(t)

	b.Transfer(ab.in, "", "o42")
	tr, _ := expect(t, b.in, 0, "replaces an unknown call", func(x emulator.SIPTransfer) bool { return x.Ref == ab.in })
	if tr.Code != 0 || tr.Err == "" {
		t.Fatalf("attended transfer with an unknown call = %+v, want an error", tr)
	}
	b.Transfer("i77", "1003", "")
	tr, _ = expect(t, b.in, 0, "unknown call", func(x emulator.SIPTransfer) bool { return x.Ref == "i77" })
	if tr.Err == "" {
		t.Fatalf("transfer of an unknown call = %+v, want an error", tr)
	}
	ringing, callID := a.dial(t, "sip:1003@"+b.Addr())
	b.incoming(t, callID)
	a.Transfer(ringing, "1002", "")
	tr, _ = expect(t, a.in, 0, "ringing call", func(x emulator.SIPTransfer) bool { return x.Ref == ringing })
	if tr.Err == "" {
		t.Fatalf("transfer of a ringing call = %+v, want an error", tr)
	}
	none[emulator.SIPReferred](t, a.in, 0, "no REFER was sent")
}
