package sipua_test

import (
	"strings"
	"testing"
	"time"

	"github.com/phonesim/phonesim/emulator"
	"github.com/phonesim/phonesim/internal/peers"
	"github.com/phonesim/phonesim/keypad"
)

// busyAtOnce is a SIPp caller that wants 486 Busy Here with no 180 or 183
// before it, as a desk phone with every call appearance taken answers:
// peers.ScenarioBusy without its optional 180 and 183, so that a 18x is an
// unexpected message and SIPp fails the call. The 100 stays optional:
// sipgo's server transaction sends it by itself when no response has gone
// out within 200 ms (RFC 3261 §17.2.1), which a loaded machine can reach.
func busyAtOnce(t *testing.T) string {
	t.Helper()
	s := strings.NewReplacer(`<recv response="180" optional="true"/>`, "",
		`<recv response="183" optional="true"/>`, "").Replace(peers.ScenarioBusy)
	if strings.Contains(s, `response="18`) {
		t.Fatal("peers.ScenarioBusy changed: its optional 18x could not be taken out")
	}
	return s
}

// ringing reads responses to c's INVITE until a 180 Ringing, skipping
// 100 Trying, and fails on a final response or after expectTimeout.
func (c *rawCall) ringing(t *testing.T) {
	t.Helper()
	buf := make([]byte, 65535)
	_ = c.r.conn.SetReadDeadline(time.Now().Add(expectTimeout))
	for {
		n, _, err := c.r.conn.ReadFrom(buf)
		if err != nil {
			t.Fatalf("no 180 Ringing: %v", err)
		}
		msg := string(buf[:n])
		if !strings.Contains(msg, c.callID) || !strings.HasPrefix(msg, "SIP/2.0 ") {
			continue
		}
		switch st := status(msg); st {
		case "SIP/2.0 100 Trying":
		case "SIP/2.0 180 Ringing":
			return
		default:
			t.Fatalf("%q before 180 Ringing", st)
		}
	}
}

// A phone with every call appearance taken answers the next INVITEs 486
// Busy Here straight away, with no 180 Ringing first (issue 7): SIPp's
// caller fails any call that sees a 180. A call within the limit still
// rings (180) first, and the refused ones make no Incoming Call.
func TestAppearanceLimit486WithoutRinging(t *testing.T) {
	const limit, refused = 1, 20
	bob := startLimitedPhone(t, limit, 0)
	raw := newRawSIP(t)
	first := raw.invite(t, bob.ua.Addr(), "1001", "")
	first.ringing(t) // within the limit: it rings
	bob.rec.waitCount(t, emulator.EventIncomingCall, 1)

	sipp := peers.SIPp(t, peers.SIPpOptions{
		Scenario: busyAtOnce(t), Target: bob.ua.Addr(), IP: "127.0.0.1", Service: "1001",
		Calls: refused, Rate: 50,
	})
	if err := sipp.Wait(30 * time.Second); err != nil {
		t.Fatalf("an INVITE beyond the limit was not answered 486 at once: %v", err)
	}
	msgs := sipp.Messages()
	if n := strings.Count(msgs, "SIP/2.0 486 Busy Here"); n < refused {
		t.Errorf("SIPp saw %d 486 responses, want %d", n, refused)
	}
	if strings.Contains(msgs, "SIP/2.0 180") || strings.Contains(msgs, "SIP/2.0 183") {
		t.Errorf("a refused INVITE got a provisional 18x before its 486")
	}
	if n := bob.rec.count(emulator.EventIncomingCall); n != limit {
		t.Errorf("%d Incoming Call events, want %d (none for the refused calls)", n, limit)
	}
	pressKey(t, bob, keypad.X)
	bob.rec.waitCount(t, emulator.EventTerminated, 1)
}
