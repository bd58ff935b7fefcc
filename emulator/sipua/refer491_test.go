package sipua_test

import (
	"strings"
	"testing"
	"time"

	"github.com/phonesim/phonesim/emulator"
	"github.com/phonesim/phonesim/internal/peers"
)

// referPendingOnce is a SIPp callee that answers, refuses the first REFER
// with 491 Request Pending (as a far end does when the REFER overtakes the
// ACK of our hold re-INVITE), accepts the second with 202, reports the
// transfer done in a NOTIFY (RFC 3515 §2.4.4: message/sipfrag "SIP/2.0
// 200 OK", subscription terminated) and takes the BYE. Any other order
// fails SIPp's run.
var referPendingOnce = sippAnswers("REFER 491 once", "m=audio [media_port] RTP/AVP 0\na=rtpmap:0 PCMU/8000") + `  <recv request="REFER"/>
  <send><![CDATA[
SIP/2.0 491 Request Pending
[last_Via:]
[last_From:]
[last_To:]
[last_Call-ID:]
[last_CSeq:]
Content-Length: 0
]]></send>
  <recv request="REFER"/>
  <send><![CDATA[
SIP/2.0 202 Accepted
[last_Via:]
[last_From:]
[last_To:]
[last_Call-ID:]
[last_CSeq:]
Contact: <sip:[service]@[local_ip]:[local_port];transport=[transport]>
Content-Length: 0
]]></send>
  <send retrans="500"><![CDATA[
NOTIFY [$contact] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:[service]@[local_ip]:[local_port]>;tag=[pid]SIPpTag01[call_number]
To: [$caller]
[last_Call-ID:]
CSeq: 1 NOTIFY
Contact: <sip:[service]@[local_ip]:[local_port];transport=[transport]>
Max-Forwards: 70
Event: refer
Subscription-State: terminated;reason=noresource
Content-Type: message/sipfrag;version=2.0
Content-Length: [len]

SIP/2.0 200 OK
]]></send>
  <recv response="200"/>
` + sippTakesBye

// A REFER the far end refuses with 491 Request Pending is sent again
// (issue 12, defect 3): the transfer goes through instead of failing and
// resuming the call. SIPp refuses the first REFER and accepts the second;
// the phone sees one 202 and the NOTIFY 200, and no failure.
func TestReferRetriedAfter491(t *testing.T) {
	sipp := peers.SIPp(t, peers.SIPpOptions{Scenario: referPendingOnce, Service: "1002", MaxDuration: 20 * time.Second})
	desk := startUA(t, peers.LoopbackIP(t), "1001", "127.0.0.1:9")
	ref, _ := desk.dial(t, "sip:1002@"+sipp.Addr())
	desk.answered(t, ref)

	from := desk.in.mark()
	desk.Transfer(ref, "1003", "")
	got, _ := expect(t, desk.in, from, "the REFER's outcome", func(s emulator.SIPTransfer) bool { return s.Ref == ref && s.Notify == 0 })
	if got.Code != 202 || got.Err != "" {
		t.Fatalf("transfer reported %+v, want 202 after the retry\nSIPp messages:\n%s", got, sipp.Messages())
	}
	expect(t, desk.in, from, "NOTIFY 200", is(emulator.SIPTransfer{Ref: ref, Notify: 200}))
	desk.Hangup(ref)
	desk.ended(t, ref)
	if err := sipp.Wait(10 * time.Second); err != nil {
		t.Fatal(err)
	}
	if msgs := sipp.Messages(); strings.Count(msgs, "REFER sip:") != 2 {
		t.Errorf("SIPp saw %d REFERs, want 2 (one refused, one retried)", strings.Count(msgs, "REFER sip:"))
	}
}
