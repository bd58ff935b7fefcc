package sipua_test

import (
	"strings"
	"testing"
	"time"

	"github.com/phonesim/phonesim/emulator"
	"github.com/phonesim/phonesim/emulator/sipua"
)

// cancel sends a CANCEL of c's last INVITE as RFC 3261 §9.1 builds it: "The
// Request-URI, Call-ID, To, the numeric part of CSeq, and From header
// fields in the CANCEL request MUST be identical to those in the request
// being cancelled, including tags" and "only a single Via header field
// value matching the top Via value in the request being cancelled".
func (c *rawCall) cancel(t *testing.T) {
	t.Helper()
	inv := string(c.invite)
	target := strings.TrimPrefix(status(inv), "INVITE ")
	msg := "CANCEL " + target + "\r\n" + headerLine(inv, "Via") + headerLine(inv, "From") + headerLine(inv, "To") +
		headerLine(inv, "Call-ID") + strings.Replace(headerLine(inv, "CSeq"), " INVITE", " CANCEL", 1) +
		"Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
	if _, err := c.r.conn.WriteTo([]byte(msg), c.dst); err != nil {
		t.Fatal(err)
	}
}

// A CANCEL that crosses a stateless refusal finds no transaction: the
// phone answers it 481 statelessly (RFC 3261 §9.2: "If the UAS did not
// find a matching transaction for the CANCEL [...] it SHOULD respond to the
// CANCEL with a 481"), with the To tag of the refusal, the same again for a
// retransmission, and sipgo never sees it. The CANCEL of the call that
// rings still cancels it (200, 487, Missed Call).
func TestCANCELCrossingStatelessRefusal(t *testing.T) {
	bob, ringing := ringingAtLimit(t)

	refused := newRawSIP(t).invite(t, bob.ua.Addr(), "1001", "")
	res := refused.final(t) // 486, ACKed
	tag := headerLine(res, "To")
	if status(res) != "SIP/2.0 486 Busy Here" || !strings.Contains(tag, ";tag=slr-") {
		t.Fatalf("INVITE beyond the limit: %q with %q, want the stateless 486", status(res), tag)
	}
	for i := 1; i <= 2; i++ { // the CANCEL, then its retransmission
		refused.cancel(t)
		got := refused.final(t)
		if status(got) != "SIP/2.0 481 Call/Transaction Does Not Exist" || headerLine(got, "To") != tag ||
			!strings.HasSuffix(headerLine(got, "CSeq"), " CANCEL\r\n") {
			t.Fatalf("CANCEL #%d crossing the 486: %q, %q, %q; want 481 with the 486's To", i, status(got),
				headerLine(got, "To"), headerLine(got, "CSeq"))
		}
		for deadline := time.Now().Add(expectTimeout); sipua.StatelessCancels(bob.ua) != uint64(i); time.Sleep(5 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("%d CANCELs answered statelessly, want %d", sipua.StatelessCancels(bob.ua), i)
			}
		}
	}

	// The ringing call is the phone's: its CANCEL goes to sipgo.
	ringing.cancel(t)
	if got := status(ringing.final(t)); got != "SIP/2.0 200 OK" {
		t.Fatalf("CANCEL of the ringing call: %q, want 200 OK", got)
	}
	if got := status(ringing.final(t)); got != "SIP/2.0 487 Request Terminated" {
		t.Fatalf("the ringing INVITE after its CANCEL: %q, want 487", got)
	}
	bob.rec.waitCount(t, emulator.EventMissedCall, 1)
	bob.rec.waitCount(t, emulator.EventTerminated, 1)
	if n := sipua.StatelessCancels(bob.ua); n != 2 {
		t.Errorf("%d CANCELs answered statelessly, want 2 (not the ringing call's)", n)
	}
	waitFull(t, bob, false)
	// Taking calls again, the phone answers no CANCEL itself: one for a
	// call it does not know gets sipgo's 481 (diago's CANCEL handler).
	stray := *ringing
	stray.callID = "stray-" + ringing.callID
	stray.invite = []byte(strings.NewReplacer(ringing.callID, stray.callID, ringing.branch, ringing.branch+"-stray").Replace(string(ringing.invite)))
	stray.cancel(t)
	if got := status(stray.final(t)); got != "SIP/2.0 481 Call/Transaction Does Not Exist" {
		t.Errorf("a stray CANCEL while taking calls: %q, want 481", got)
	}
	if n := sipua.StatelessCancels(bob.ua); n != 2 {
		t.Errorf("%d CANCELs answered statelessly, want still 2", n)
	}
}
