package integration

import (
	"strings"
	"testing"
	"time"

	"github.com/phonesim/phonesim/fleet"
)

// The hardware's transfer key sequences, driven only through Active URI as
// a CTI does, between phones on the embedded registrar. Alice calls bob;
// bob transfers alice to carol.

// F_TRANSFER;1;0;0;3;OK places a consultation call (alice stays held, no
// REFER); F_TRANSFER while carol talks is an attended transfer.
func TestTransferOKConsultsThenTransferKeyIsAttended(t *testing.T) {
	tr := startTrio(t)
	connect(t, tr.a, tr.b, tr.bCTI, "1002", 1)

	mustActiveURI(t, tr.b, "key=F_TRANSFER;1;0;0;3;OK")
	tr.cCTI.wait(t, "incoming_call", 5*time.Second)
	if n := tr.bCTI.count("transfer_call"); n != 0 {
		t.Fatalf("OK after the digits transferred (%d Transfer Call)", n)
	}
	if st := callState(tr.b, 0); st != "held" {
		t.Errorf("bob's call with alice is %q during the consultation, want held", st)
	}
	mustActiveURI(t, tr.c, "key=OK")
	tr.bCTI.waitN(t, "established", 2, 5*time.Second)
	waitForPhone(t, tr.b, "bob to see carol answer", 5*time.Second, func() bool { return callState(tr.b, 1) == "talking" })
	mustActiveURI(t, tr.b, "key=F_TRANSFER")
	tr.bCTI.wait(t, "attended_transfer", 5*time.Second)
	if n := tr.bCTI.count("blind_transfer"); n != 0 {
		t.Errorf("Blind Transfer fired for an attended transfer")
	}
	waitForAliceAndCarol(t, tr)
}

// F_TRANSFER while carol's phone still rings is semi-attended: nothing is
// sent while it rings; when carol answers, bob REFERs alice with Replaces,
// alice takes over carol's call and bob drops out.
func TestTransferKeyWhileTheTargetRingsIsSemiAttended(t *testing.T) {
	tr := startTrio(t)
	connect(t, tr.a, tr.b, tr.bCTI, "1002", 1)

	mustActiveURI(t, tr.b, "key=F_TRANSFER;1;0;0;3;OK")
	tr.cCTI.wait(t, "incoming_call", 5*time.Second)
	waitForPhone(t, tr.b, "bob to hear carol ring", 5*time.Second, func() bool { return callState(tr.b, 1) == "ringback" })
	mustActiveURI(t, tr.b, "key=F_TRANSFER")
	if sk := tr.b.Phone.Snapshot().LCD.SoftKeys; sk[3] != "Cancel" || sk[1] != "" {
		t.Errorf("semi-attended soft keys %q", sk)
	}
	time.Sleep(300 * time.Millisecond) // carol rings on: nothing may happen meanwhile
	if n := tr.bCTI.count("transfer_call"); n != 0 {
		t.Fatalf("transferred while carol still rang")
	}
	mustActiveURI(t, tr.c, "key=OK")
	tr.bCTI.wait(t, "transfer_call", 5*time.Second)
	tr.bCTI.wait(t, "attended_transfer", 5*time.Second)
	waitForAliceAndCarol(t, tr)
	if n := tr.cCTI.count("missed_call"); n != 0 {
		t.Errorf("carol counted a missed call")
	}
}

// X on the consultation call ends it and resumes the held call.
func TestXOnTheConsultationCallResumesTheHeldCall(t *testing.T) {
	tr := startTrio(t)
	connect(t, tr.a, tr.b, tr.bCTI, "1002", 1)

	mustActiveURI(t, tr.b, "key=F_TRANSFER;1;0;0;3;OK")
	tr.cCTI.wait(t, "incoming_call", 5*time.Second)
	mustActiveURI(t, tr.b, "key=X")
	tr.cCTI.wait(t, "missed_call", 5*time.Second)
	tr.bCTI.wait(t, "unhold", 5*time.Second)
	waitForPhone(t, tr.b, "bob talking to alice again", 5*time.Second, func() bool {
		s := tr.b.Phone.Snapshot()
		return len(s.Calls) == 1 && s.Calls[0].State == "talking" && strings.HasPrefix(s.Calls[0].RemoteURI, "sip:1001@")
	})
	if n := tr.bCTI.count("transfer_call"); n != 0 {
		t.Errorf("a cancelled transfer fired Transfer Call")
	}
}

// waitForAliceAndCarol waits until bob is out and alice talks to carol.
func waitForAliceAndCarol(t *testing.T, tr *trio) {
	t.Helper()
	waitForPhone(t, tr.b, "bob to drop out", 10*time.Second, func() bool { return len(tr.b.Phone.Snapshot().Calls) == 0 })
	waitForPhones(t, []*fleet.Member{tr.a, tr.c}, "alice and carol connected", 10*time.Second, func() bool {
		sa, sc := tr.a.Phone.Snapshot(), tr.c.Phone.Snapshot()
		return len(sa.Calls) == 1 && sa.Calls[0].State == "talking" && strings.HasPrefix(sa.Calls[0].RemoteURI, "sip:1003@") &&
			len(sc.Calls) == 1 && sc.Calls[0].State == "talking" && strings.HasPrefix(sc.Calls[0].RemoteURI, "sip:1001@")
	})
}
