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
