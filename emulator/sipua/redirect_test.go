package sipua_test

import (
	"strings"
	"testing"

	"github.com/phonesim/phonesim/emulator"
)

// Call forwarding: a ringing call answered 302 Moved Temporarily. The
// forwarding phone reports its appearance ended with 302; the caller
// follows the Contact (RFC 3261 §8.1.3.4) and reaches the target, whose
// call is the same appearance. The redirected INVITE keeps the Call-ID, so
// that a CTI sees one $call_id from Outgoing Call to Terminated.
func TestRedirectIsFollowed(t *testing.T) {
	a := startUA(t, "127.0.0.1", "1001", "127.0.0.1:9")
	b := startUA(t, "127.0.0.1", "1002", "127.0.0.1:9")
	c := startUA(t, "127.0.0.1", "1003", "127.0.0.1:9")

	from := a.in.mark()
	ref, callID := a.dial(t, b.uri())
	in := b.incoming(t, callID)
	b.Redirect(in.Ref, c.uri())
	want := emulator.SIPEnded{Ref: in.Ref, Code: 302, Reason: "Moved Temporarily"}
	if e := b.ended(t, in.Ref); e != want {
		t.Errorf("forwarding phone reported %+v, want %+v", e, want)
	}
	got := c.incoming(t, callID)
	c.Answer(got.Ref)
	a.answered(t, ref)
	_, first := expect(t, a.in, from, "the call start", func(s emulator.SIPCallStarted) bool { return s.Ref == ref })
	none[emulator.SIPCallStarted](t, a.in, first+1, "a second call start for the redirect")
}

// A 302 whose target does not answer ends the caller's call with the
// target's failure, not with the 302.
func TestRedirectToNowhereEnds(t *testing.T) {
	a := startUA(t, "127.0.0.1", "1001", "127.0.0.1:9")
	b := startUA(t, "127.0.0.1", "1002", "127.0.0.1:9")
	c := startUA(t, "127.0.0.1", "1003", "127.0.0.1:9")
	ref, callID := a.dial(t, b.uri())
	in := b.incoming(t, callID)
	b.Redirect(in.Ref, c.uri())
	cin := c.incoming(t, callID)
	c.Reject(cin.Ref, 486)
	if e := a.ended(t, ref); e.Code != 486 {
		t.Errorf("caller's call ended %+v, want the target's 486", e)
	}
}

// The 302 names the forwarding target in Contact (RFC 3261 §21.3.3), as
// a dialled number would be called: a bare user at the line's server, a
// full URI as given.
func TestRedirectContact(t *testing.T) {
	b := startUA(t, "127.0.0.1", "1002", "127.0.0.1:5999")
	raw := newRawSIP(t)
	for _, tc := range []struct{ target, contact string }{
		{"1003", "<sip:1003@127.0.0.1:5999>"},
		{"sip:2000@127.0.0.1:5070", "<sip:2000@127.0.0.1:5070>"},
	} {
		from := b.in.mark()
		inv := raw.invite(t, b.Addr(), "1002", "")
		in, _ := expect(t, b.in, from, "raw call rings", func(s emulator.SIPIncoming) bool { return s.CallID == inv.callID })
		b.Redirect(in.Ref, tc.target)
		res := inv.final(t)
		if !strings.HasPrefix(res, "SIP/2.0 302 Moved Temporarily\r\n") {
			t.Fatalf("redirect to %s answered:\n%s", tc.target, res)
		}
		if got := strings.TrimSpace(strings.SplitN(headerLine(res, "Contact"), ":", 2)[1]); got != tc.contact {
			t.Errorf("redirect to %s: Contact %q, want %q", tc.target, got, tc.contact)
		}
	}
}

// An INVITE whose Replaces names no dialog of ours gets 481 Call/Transaction
// Does Not Exist, a malformed Replaces 400 (RFC 3891 §3); neither rings.
func TestReplacesMatchingNothing(t *testing.T) {
	b := startUA(t, "127.0.0.1", "1002", "127.0.0.1:9")
	raw := newRawSIP(t)
	for _, tc := range []struct{ replaces, status string }{
		{"nosuchcall@127.0.0.1;to-tag=aaa;from-tag=bbb", "SIP/2.0 481 "},
		{"nosuchcall@127.0.0.1;to-tag=aaa", "SIP/2.0 400 "},
		{";to-tag=aaa;from-tag=bbb", "SIP/2.0 400 "},
	} {
		res := raw.invite(t, b.Addr(), "1002", "Replaces: "+tc.replaces+"\r\n").final(t)
		if !strings.HasPrefix(res, tc.status) {
			t.Errorf("Replaces: %s answered %q, want %q", tc.replaces, strings.SplitN(res, "\r\n", 2)[0], tc.status)
		}
	}
	none[emulator.SIPIncoming](t, b.in, 0, "an INVITE with a bad Replaces")
}
