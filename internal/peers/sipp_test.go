package peers

import (
	"strings"
	"testing"
	"time"
)

// uasBusy is a UAS that refuses every INVITE with 486 Busy Here.
const uasBusy = `<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="busy UAS">
  <recv request="INVITE"/>
  <send>
    <![CDATA[
      SIP/2.0 486 Busy Here
      [last_Via:]
      [last_From:]
      [last_To:];tag=[pid]SIPpTag01[call_number]
      [last_Call-ID:]
      [last_CSeq:]
      Content-Length: 0
    ]]>
  </send>
  <recv request="ACK"/>
</scenario>
`

func TestSIPpBuiltInUACCallsUAS(t *testing.T) {
	t.Parallel()
	uas := SIPp(t, SIPpOptions{BuiltIn: "uas"})
	uac := SIPp(t, SIPpOptions{BuiltIn: "uac", Target: uas.Addr(), Service: "bob", Args: []string{"-d", "100"}})
	if err := uac.Wait(10 * time.Second); err != nil {
		t.Fatal(err)
	}
	if msgs := uas.Messages(); !strings.Contains(msgs, "BYE sip:") || !strings.Contains(msgs, "INVITE sip:bob@"+uas.Addr()) {
		t.Fatalf("the UAS did not see the INVITE and BYE:\n%s", msgs)
	}
}

func TestSIPpScenarioCallCompletes(t *testing.T) {
	t.Parallel()
	uas := SIPp(t, SIPpOptions{BuiltIn: "uas"})
	uac := SIPp(t, SIPpOptions{
		Scenario: ScenarioCall, Params: map[string]string{"HOLD_MS": "200", "FROM_USER": "alice"},
		Target: uas.Addr(), Service: "bob",
	})
	if err := uac.Wait(10 * time.Second); err != nil {
		t.Fatal(err)
	}
	msgs := uac.Messages()
	for _, want := range []string{"SIP/2.0 180", "SIP/2.0 200", "ACK sip:", "BYE sip:", "From: <sip:alice@" + uac.Addr() + ">"} {
		if !strings.Contains(msgs, want) {
			t.Errorf("message log lacks %q", want)
		}
	}
}

func TestSIPpScenarioBusyExpects486(t *testing.T) {
	t.Parallel()
	uas := SIPp(t, SIPpOptions{Scenario: uasBusy})
	uac := SIPp(t, SIPpOptions{Scenario: ScenarioBusy, Target: uas.Addr(), Service: "bob"})
	if err := uac.Wait(10 * time.Second); err != nil {
		t.Fatal(err)
	}
	if err := uas.Wait(5 * time.Second); err != nil {
		t.Fatalf("the busy UAS did not get its ACK: %v", err)
	}
}

// A call that gets 486 where the scenario wants 180/200 fails, and Wait
// says why, with SIPp's logs.
func TestSIPpWaitReportsFailedCall(t *testing.T) {
	t.Parallel()
	uas := SIPp(t, SIPpOptions{Scenario: uasBusy})
	uac := SIPp(t, SIPpOptions{Scenario: ScenarioCall, Target: uas.Addr(), Service: "bob"})
	err := uac.Wait(10 * time.Second)
	if err == nil {
		t.Fatal("Wait = nil for a call refused with 486")
	}
	for _, want := range []string{"status 1", "at least one call failed", "486 Busy Here"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Wait error lacks %q:\n%v", want, err)
		}
	}
}

func TestSIPpWaitTimesOutAndStops(t *testing.T) {
	t.Parallel()
	uas := SIPp(t, SIPpOptions{BuiltIn: "uas"})
	start := time.Now()
	err := uas.Wait(300 * time.Millisecond)
	if err == nil || !strings.Contains(err.Error(), "still running") {
		t.Fatalf("Wait on an idle UAS = %v, want a timeout", err)
	}
	if !uas.p.exited() {
		t.Fatal("Wait's timeout left SIPp running")
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("timing out and stopping took %v", d)
	}
}
