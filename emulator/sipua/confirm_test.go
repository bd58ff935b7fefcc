package sipua_test

import (
	"strings"
	"testing"
	"time"

	"github.com/phonesim/phonesim/emulator"
	"github.com/phonesim/phonesim/internal/peers"
)

// holdAtOnce is a SIPp callee that answers and, as soon as our ACK is in,
// holds us with a re-INVITE offering a=sendonly; then takes our BYE.
var holdAtOnce = sippAnswers("hold at once", "m=audio [media_port] RTP/AVP 0\na=rtpmap:0 PCMU/8000") +
	sippReInvite("m=audio [media_port] RTP/AVP 0\na=rtpmap:0 PCMU/8000\na=sendonly") + sippTakesBye

// byeAtOnce is a SIPp callee that answers and hangs up as soon as our ACK
// is in (RFC 3261 §15: the callee may send BYE once it has the ACK).
var byeAtOnce = sippAnswers("bye at once", "m=audio [media_port] RTP/AVP 0\na=rtpmap:0 PCMU/8000") + `  <send retrans="500"><![CDATA[
BYE [$contact] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:[service]@[local_ip]:[local_port]>;tag=[pid]SIPpTag01[call_number]
To: [$caller]
[last_Call-ID:]
CSeq: 2 BYE
Max-Forwards: 70
Content-Length: 0
]]></send>
  <recv response="200"/>
  <pause milliseconds="200"/>
</scenario>
`

// A far end that holds us the moment our ACK reaches it: the re-INVITE is
// answered 200 (not 481: the dialog is ours from its 2xx, RFC 3261
// §12.1.2) and the phone learns it is held (issue 12).
func TestHoldRightAfterOurACK(t *testing.T) {
	sipp := peers.SIPp(t, peers.SIPpOptions{Scenario: holdAtOnce, Service: "1002", MaxDuration: 20 * time.Second})
	desk := startUA(t, peers.LoopbackIP(t), "1001", "127.0.0.1:9")
	ref, _ := desk.dial(t, "sip:1002@"+sipp.Addr())
	desk.answered(t, ref)
	expect(t, desk.in, 0, "desk learns it is held", is(emulator.SIPHold{Ref: ref, Held: true, Remote: true}))
	desk.Hangup(ref)
	desk.ended(t, ref)
	if err := sipp.Wait(10 * time.Second); err != nil {
		t.Fatal(err)
	}
	if m := sipp.Messages(); strings.Contains(m, "481 Call/Transaction Does Not Exist") {
		t.Fatalf("a request of the call got 481:\n%s", m)
	}
}

// A far end that hangs up the moment our ACK reaches it: its BYE gets 200
// and the call ends for the phone as hung up by the far end (issue 12).
func TestByeRightAfterOurACK(t *testing.T) {
	sipp := peers.SIPp(t, peers.SIPpOptions{Scenario: byeAtOnce, Service: "1002", MaxDuration: 20 * time.Second})
	desk := startUA(t, peers.LoopbackIP(t), "1001", "127.0.0.1:9")
	ref, _ := desk.dial(t, "sip:1002@"+sipp.Addr())
	desk.answered(t, ref)
	if e := desk.ended(t, ref); !e.ByRemote {
		t.Errorf("call ended %+v, want ended by the far end", e)
	}
	if err := sipp.Wait(10 * time.Second); err != nil {
		t.Fatal(err)
	}
	if m := sipp.Messages(); strings.Contains(m, "481 Call/Transaction Does Not Exist") {
		t.Fatalf("the BYE got 481:\n%s", m)
	}
}
