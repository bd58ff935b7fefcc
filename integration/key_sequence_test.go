package integration

import (
	"testing"
	"time"
)

// key=F_HOLD;F_HOLD in one request holds and resumes: the second press
// waits until the first one's re-INVITE is answered instead of meeting it
// in flight and doing nothing.
func TestHoldTwiceInOneRequestHoldsAndResumes(t *testing.T) {
	tr := startTrio(t)
	connect(t, tr.a, tr.b, tr.bCTI, "1002", 1)

	code, body := activeURI(t, tr.a, "key=F_HOLD;F_HOLD")
	if code != 200 || body != "OK: keys F_HOLD;F_HOLD\n" {
		t.Fatalf("Active URI answered %d %q", code, body)
	}
	tr.aCTI.wait(t, "hold", 5*time.Second)
	tr.aCTI.wait(t, "unhold", 5*time.Second)
	waitForPhone(t, tr.a, "alice talking again", 5*time.Second, func() bool { return callState(tr.a, 0) == "talking" })
}

// key=speaker (lower case) is the confirm key of spec §3.2: it answers a
// ringing call and leaves a call up; key=Speaker is the hands-free key,
// which ends a hands-free call.
func TestLowerCaseSpeakerConfirmsUpperCaseSpeakerHangsUp(t *testing.T) {
	tr := startTrio(t)
	mustActiveURI(t, tr.a, "number=1002")
	tr.bCTI.wait(t, "incoming_call", 5*time.Second)
	mustActiveURI(t, tr.b, "key=speaker")
	tr.bCTI.wait(t, "established", 5*time.Second)
	mustActiveURI(t, tr.b, "key=speaker")
	time.Sleep(200 * time.Millisecond) // a hang-up would be under way by now
	if n := tr.bCTI.count("terminated"); n != 0 || callState(tr.b, 0) != "talking" {
		t.Fatalf("key=speaker in a call ended it (%d Terminated, call %q)", n, callState(tr.b, 0))
	}
	mustActiveURI(t, tr.b, "key=Speaker")
	tr.bCTI.wait(t, "terminated", 5*time.Second)
}
