package integration

import (
	"strings"
	"testing"
	"time"

	"github.com/phonesim/phonesim/config"
	"github.com/phonesim/phonesim/internal/peers"
)

// redirectedTo runs one SIPp call to the phone and returns the Contact of
// the 302 it got.
func redirectedTo(t *testing.T, phoneAddr string) string {
	t.Helper()
	// The busy scenario expecting 302 Moved Temporarily, which it ACKs.
	sipp := peers.SIPp(t, peers.SIPpOptions{Scenario: peers.ScenarioBusy, Params: map[string]string{"BUSY_CODE": "302"},
		Target: phoneAddr, Service: "1001"})
	if err := sipp.Wait(15 * time.Second); err != nil {
		t.Fatalf("SIPp expected 302: %v", err)
	}
	msgs := sipp.Messages()
	i := strings.Index(msgs, "SIP/2.0 302")
	if i < 0 {
		t.Fatalf("no 302 in SIPp's log")
	}
	for _, line := range strings.Split(msgs[i:], "\n") {
		if strings.HasPrefix(strings.ToLower(strings.TrimSpace(line)), "contact:") {
			return strings.TrimSpace(line[strings.Index(line, ":")+1:])
		}
	}
	t.Fatal("302 without Contact")
	return ""
}

// Always forwarding (from the config): every call gets 302 with a Contact
// of the target, the phone does not ring; the phone boots forwarding, so
// no Activate Always Forward fires (TestConfigStateBootsWithoutEvents).
func TestAlwaysForwardRedirectsWith302(t *testing.T) {
	cti := newCTIServer(t)
	p := phoneConfig(t, "desk", cti, config.Line{User: "1001", Password: "pw", Server: "127.0.0.1:9"})
	p.Forward = config.Forward{Always: "2001"}
	fl := startFleet(t, &config.File{Phones: []config.Phone{p}})

	contact := redirectedTo(t, fl.Phones[0].UA.Addr())
	if !strings.Contains(contact, "sip:2001@") {
		t.Errorf("302 Contact %q, want the target 2001", contact)
	}
	if n := cti.count("incoming_call"); n != 0 {
		t.Errorf("a forwarded call rang (%d Incoming Call)", n)
	}
}

// No-answer forwarding: the call rings for no_answer_seconds, then gets 302.
func TestNoAnswerForwardAfterRingTimeout(t *testing.T) {
	cti := newCTIServer(t)
	p := phoneConfig(t, "desk", cti, config.Line{User: "1001", Password: "pw", Server: "127.0.0.1:9"})
	p.Forward = config.Forward{NoAnswer: "sip:voicemail@127.0.0.1", NoAnswerSeconds: 1}
	fl := startFleet(t, &config.File{Phones: []config.Phone{p}})

	contact := redirectedTo(t, fl.Phones[0].UA.Addr())
	if !strings.Contains(contact, "sip:voicemail@127.0.0.1") {
		t.Errorf("302 Contact %q", contact)
	}
	cti.wait(t, "incoming_call", 5*time.Second) // it rang first
	cti.wait(t, "terminated", 5*time.Second)
	if n := cti.count("missed_call"); n != 0 {
		t.Errorf("a call forwarded on no answer counted as missed")
	}
}

// Busy forwarding: while the phone is in a call, a second caller gets 302.
func TestBusyForwardDuringACall(t *testing.T) {
	cti := newCTIServer(t)
	p := phoneConfig(t, "desk", cti, config.Line{User: "1001", Password: "pw", Server: "127.0.0.1:9"})
	p.Forward = config.Forward{Busy: "2002"}
	fl := startFleet(t, &config.File{Phones: []config.Phone{p}})
	desk := fl.Phones[0]
	first := peers.SIPp(t, peers.SIPpOptions{
		Scenario: peers.ScenarioAwaitAnswer,
		Params:   map[string]string{"ANSWER_TIMEOUT_MS": "10000", "HOLD_MS": "1500"},
		Target:   desk.UA.Addr(), Service: "1001",
	})
	cti.wait(t, "incoming_call", 5*time.Second)
	mustActiveURI(t, desk, "key=OK")
	cti.wait(t, "established", 5*time.Second)

	if contact := redirectedTo(t, desk.UA.Addr()); !strings.Contains(contact, "sip:2002@") {
		t.Errorf("302 Contact %q, want 2002", contact)
	}
	if n := cti.count("incoming_call"); n != 1 {
		t.Errorf("the busy-forwarded call rang (%d Incoming Call)", n)
	}
	if err := first.Wait(15 * time.Second); err != nil {
		t.Fatalf("first caller: %v", err)
	}
}

// A phone that calls a forwarding phone follows the 302: alice calls bob,
// bob forwards everything to carol, carol rings and answers.
func TestCallerFollowsForwardingRedirect(t *testing.T) {
	reg := embeddedRegistrar(t, map[string]string{"1001": "s1", "1002": "s2", "1003": "s3"})
	aCTI, bCTI, cCTI := newCTIServer(t), newCTIServer(t), newCTIServer(t)
	alice := phoneConfig(t, "alice", aCTI, config.Line{User: "1001", Password: "s1", Server: reg.Addr()})
	bob := phoneConfig(t, "bob", bCTI, config.Line{User: "1002", Password: "s2", Server: reg.Addr()})
	bob.Forward = config.Forward{Always: "1003"}
	carol := phoneConfig(t, "carol", cCTI, config.Line{User: "1003", Password: "s3", Server: reg.Addr()})
	fl := startFleet(t, &config.File{Phones: []config.Phone{alice, bob, carol}})
	for _, c := range []*ctiServer{aCTI, bCTI, cCTI} {
		c.wait(t, "registered", 5*time.Second)
	}
	mustActiveURI(t, fl.Phone("alice"), "number=1002")
	in := cCTI.wait(t, "incoming_call", 5*time.Second)
	if !strings.HasPrefix(in.Query.Get("remote"), "sip:1001@") {
		t.Errorf("carol rings for %q", in.Query.Get("remote"))
	}
	mustActiveURI(t, fl.Phone("carol"), "key=OK")
	est := aCTI.wait(t, "established", 5*time.Second)
	if est.Query.Get("call_id") != in.Query.Get("call_id") {
		t.Errorf("alice's Established $call_id %q, carol's call %q", est.Query.Get("call_id"), in.Query.Get("call_id"))
	}
	if n := bCTI.count("incoming_call"); n != 0 {
		t.Errorf("the forwarding phone rang")
	}
}
