package integration

import (
	"testing"
	"time"
)

// number= during a call holds the call first, as a DSS speed dial and the
// hardware do: one call talks at a time, and F_CONFERENCE then has a held
// and an active call to join.
func TestNumberDuringACallHoldsTheCallFirst(t *testing.T) {
	tr := startTrio(t)
	connect(t, tr.a, tr.b, tr.bCTI, "1002", 1)
	mustActiveURI(t, tr.a, "number=1003")
	tr.aCTI.wait(t, "hold", 5*time.Second)
	tr.cCTI.wait(t, "incoming_call", 5*time.Second)
	mustActiveURI(t, tr.c, "key=OK")
	tr.aCTI.waitN(t, "established", 2, 5*time.Second)
	waitForPhone(t, tr.a, "one call held, one talking", 5*time.Second, func() bool {
		return callState(tr.a, 0) == "held" && callState(tr.a, 1) == "talking"
	})
	mustActiveURI(t, tr.a, "key=F_CONFERENCE")
	waitForPhone(t, tr.a, "the conference", 5*time.Second, func() bool {
		return callState(tr.a, 0) == "conference" && callState(tr.a, 1) == "conference"
	})
}
