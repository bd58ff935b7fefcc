package sipua_test

import (
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/phonesim/phonesim/emulator"
	"github.com/phonesim/phonesim/internal/peers"
)

// codecChangeThenHold is a SIPp callee: it answers with PCMU and PCMA, then
// (half a second later: a re-INVITE right after the ACK meets 481 from
// diago, which files the dialog a moment after its ACK is out) changes the
// codec with a re-INVITE offering PCMA only, takes our hold
// re-INVITE (answering a=recvonly) and the BYE. Its own origin is
// "sipp 53655765".
var codecChangeThenHold = sippAnswers("codec change then hold", "m=audio [media_port] RTP/AVP 0 8\na=rtpmap:0 PCMU/8000\na=rtpmap:8 PCMA/8000") + `  <pause milliseconds="500"/>
  <send retrans="500"><![CDATA[
INVITE [$contact] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:[service]@[local_ip]:[local_port]>;tag=[pid]SIPpTag01[call_number]
To: [$caller]
[last_Call-ID:]
CSeq: 1 INVITE
Contact: <sip:[service]@[local_ip]:[local_port];transport=[transport]>
Max-Forwards: 70
Content-Type: application/sdp
Content-Length: [len]

v=0
o=sipp 53655765 2 IN IP[local_ip_type] [local_ip]
s=-
c=IN IP[media_ip_type] [media_ip]
t=0 0
m=audio [media_port] RTP/AVP 8
a=rtpmap:8 PCMA/8000
]]></send>
  <recv response="200"/>
  <send><![CDATA[
ACK [$contact] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:[service]@[local_ip]:[local_port]>;tag=[pid]SIPpTag01[call_number]
To: [$caller]
[last_Call-ID:]
CSeq: 1 ACK
Max-Forwards: 70
Content-Length: 0
]]></send>
  <recv request="INVITE"/>
  <send retrans="500"><![CDATA[
SIP/2.0 200 OK
[last_Via:]
[last_From:]
[last_To:]
[last_Call-ID:]
[last_CSeq:]
Contact: <sip:[service]@[local_ip]:[local_port];transport=[transport]>
Content-Type: application/sdp
Content-Length: [len]

v=0
o=sipp 53655765 3 IN IP[local_ip_type] [local_ip]
s=-
c=IN IP[media_ip_type] [media_ip]
t=0 0
m=audio [media_port] RTP/AVP 8
a=rtpmap:8 PCMA/8000
a=recvonly
]]></send>
  <recv request="ACK" crlf="true"/>
` + sippTakesBye

// RFC 3264 §8 over an offer, a codec change by the far end and a hold: the
// SDP phonesim sends keeps its own username and session id throughout (not
// the far end's), and the version goes up by one with each new SDP (issue
// 12, defect 2). SIPp's message log is what went over the wire.
func TestSDPOriginIsOursAcrossCodecChangeAndHold(t *testing.T) {
	sipp := peers.SIPp(t, peers.SIPpOptions{Scenario: codecChangeThenHold, Service: "1002", MaxDuration: 20 * time.Second})
	desk := startUA(t, peers.LoopbackIP(t), "1001", "127.0.0.1:9")
	ref, _ := desk.dial(t, "sip:1002@"+sipp.Addr())
	desk.answered(t, ref)
	waitFor(t, "the codec change answered", expectTimeout, func() bool {
		return strings.Count(sipp.Messages(), "CSeq: 1 INVITE") >= 2 // SIPp's re-INVITE and our 200
	})
	desk.Hold(ref)
	expect(t, desk.in, 0, "desk holds", is(emulator.SIPHold{Ref: ref, Held: true}))
	desk.Hangup(ref)
	desk.ended(t, ref)
	if err := sipp.Wait(10 * time.Second); err != nil {
		t.Fatal(err)
	}

	// Our SDPs: the o= lines of the messages SIPp received.
	var origins [][]string
	var bodies []string
	for _, section := range strings.Split(sipp.Messages(), "-----------------------------------------------") {
		if !strings.Contains(section, "message received") {
			continue
		}
		if m := regexp.MustCompile(`(?m)^o=(.*)$`).FindStringSubmatch(section); m != nil {
			origins = append(origins, strings.Fields(strings.TrimSpace(m[1])))
			bodies = append(bodies, section)
		}
	}
	if len(origins) != 3 {
		t.Fatalf("%d SDPs from desk, want 3 (offer, answer to the codec change, hold offer): %v", len(origins), origins)
	}
	first := origins[0]
	v0, _ := strconv.ParseUint(first[2], 10, 64)
	for i, o := range origins {
		if len(o) != 6 || o[0] != first[0] || o[1] != first[1] {
			t.Errorf("SDP %d has origin %v; want username and session id %s %s throughout", i+1, o, first[0], first[1])
			continue
		}
		if o[1] == "53655765" {
			t.Errorf("SDP %d uses the far end's session id", i+1)
		}
		if v, _ := strconv.ParseUint(o[2], 10, 64); v != v0+uint64(i) {
			t.Errorf("SDP %d has version %d, want %d", i+1, v, v0+uint64(i))
		}
	}
	if !regexp.MustCompile(`(?mi)^m=audio \d+ RTP/AVP 8\b`).MatchString(bodies[1]) {
		t.Errorf("the answer to the codec change does not take PCMA alone:\n%s", bodies[1])
	}
}
