package integration

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/phonesim/phonesim/config"
	"github.com/phonesim/phonesim/fleet"
	"github.com/phonesim/phonesim/internal/peers"
)

// Whole phones with linphone (linphone-cli, belle-sip) behind Kamailio:
// desk (1001) talks to linphone (2001) and transfers it with the keys, as a
// user would (F_TRANSFER first holds the call, then the REFER follows the
// ACK of that re-INVITE at once); carol (1003) is the target.

type linphoneTrio struct {
	k                 *peers.KamailioProc
	bob               *peers.LinphoneProc
	desk, carol       *fleet.Member
	deskCTI, carolCTI *ctiServer
}

func startLinphoneTrio(t *testing.T) *linphoneTrio {
	t.Helper()
	lt := &linphoneTrio{deskCTI: newCTIServer(t), carolCTI: newCTIServer(t)}
	lt.k = peers.Kamailio(t, peers.KamailioOptions{Users: map[string]string{"1001": "pw1", "1003": "pw3", "2001": "pw2"}})
	lt.bob = peers.Linphone(t, peers.LinphoneOptions{User: "2001", Password: "pw2", Registrar: lt.k.Addr(), AutoAnswer: true})
	desk := phoneConfig(t, "desk", lt.deskCTI, config.Line{User: "1001", Password: "pw1", Server: lt.k.Addr(), DisplayName: "Desk"})
	carol := phoneConfig(t, "carol", lt.carolCTI, config.Line{User: "1003", Password: "pw3", Server: lt.k.Addr(), DisplayName: "Carol"})
	fl := startFleet(t, &config.File{Phones: []config.Phone{desk, carol}})
	lt.desk, lt.carol = fl.Phone("desk"), fl.Phone("carol")
	lt.deskCTI.wait(t, "registered", 10*time.Second)
	lt.carolCTI.wait(t, "registered", 10*time.Second)
	mustActiveURI(t, lt.desk, "number=2001")
	lt.deskCTI.wait(t, "established", 10*time.Second)
	if err := lt.bob.WaitOutput(regexp.MustCompile(`Call \d+ with .* connected`), 5*time.Second); err != nil {
		t.Fatal(err)
	}
	return lt
}

// Blind transfer with the keys: F_TRANSFER holds linphone, 1003 then
// F_TRANSFER again sends the REFER; linphone calls carol through Kamailio
// and desk leaves.
func TestBlindTransferOfLinphoneWithKeys(t *testing.T) {
	lt := startLinphoneTrio(t)
	mustActiveURI(t, lt.desk, "key=F_TRANSFER;1;0;0;3;F_TRANSFER")
	lt.deskCTI.wait(t, "transfer_call", 10*time.Second)
	lt.deskCTI.wait(t, "blind_transfer", 5*time.Second)
	in := lt.carolCTI.wait(t, "incoming_call", 10*time.Second)
	if got := in.Query.Get("remote"); !strings.HasPrefix(got, "sip:2001@") {
		t.Errorf("carol's caller is %q, want linphone (2001)", got)
	}
	mustActiveURI(t, lt.carol, "key=OK")
	lt.carolCTI.wait(t, "established", 5*time.Second)
	lt.deskCTI.wait(t, "terminated", 5*time.Second)
	waitForPhone(t, lt.desk, "desk idle", 5*time.Second, func() bool { return len(lt.desk.Phone.Snapshot().Calls) == 0 })
	mustActiveURI(t, lt.carol, "key=X")
	lt.carolCTI.wait(t, "terminated", 5*time.Second)
}

// Attended transfer with the keys, carol being the target: desk consults
// carol (F_TRANSFER, 1003, F2 Call), carol answers, desk presses
// F_TRANSFER. linphone's INVITE with Replaces reaches carol, whose phone
// takes it by itself.
//
// What carol's phone reports for it is what a desk phone reports for any
// new call it connects: Incoming Call, then Established, both with the new
// call's $call_id and linphone as $remote; then Terminated for the
// consultation call it replaced. It does not ring, so there is no Off-hook
// and never a Missed Call (docs/events.md, "transfer target").
func TestAttendedTransferOfLinphoneTargetEvents(t *testing.T) {
	lt := startLinphoneTrio(t)
	mustActiveURI(t, lt.desk, "key=F_TRANSFER;1;0;0;3;F2")
	consult := lt.carolCTI.wait(t, "incoming_call", 10*time.Second)
	mustActiveURI(t, lt.carol, "key=OK")
	lt.carolCTI.wait(t, "established", 5*time.Second)
	lt.deskCTI.waitN(t, "established", 2, 5*time.Second)
	offHooks := lt.carolCTI.count("off_hook")

	mustActiveURI(t, lt.desk, "key=F_TRANSFER")
	lt.deskCTI.wait(t, "transfer_call", 10*time.Second)
	lt.deskCTI.wait(t, "attended_transfer", 5*time.Second)
	in := lt.carolCTI.waitN(t, "incoming_call", 2, 10*time.Second)
	est := lt.carolCTI.waitN(t, "established", 2, 5*time.Second)
	ended := lt.carolCTI.wait(t, "terminated", 5*time.Second)
	newID := in.Query.Get("call_id")
	if newID == "" || newID == consult.Query.Get("call_id") {
		t.Errorf("Incoming Call of the replacing call has $call_id %q; want the new call's (the consultation was %q)", newID, consult.Query.Get("call_id"))
	}
	if est.Query.Get("call_id") != newID {
		t.Errorf("Established has $call_id %q, want the replacing call's %q", est.Query.Get("call_id"), newID)
	}
	if got := in.Query.Get("remote"); !strings.HasPrefix(got, "sip:2001@") {
		t.Errorf("Incoming Call $remote = %q, want linphone (sip:2001@...)", got)
	}
	if ended.Query.Get("call_id") != consult.Query.Get("call_id") {
		t.Errorf("Terminated has $call_id %q, want the consultation call's %q", ended.Query.Get("call_id"), consult.Query.Get("call_id"))
	}
	if n := lt.carolCTI.count("off_hook"); n != offHooks {
		t.Errorf("carol fired Off-hook %d more times for a call she did not pick up", n-offHooks)
	}
	if n := lt.carolCTI.count("missed_call"); n != 0 {
		t.Errorf("carol counted %d missed calls", n)
	}
	waitForPhone(t, lt.desk, "desk drops out", 10*time.Second, func() bool { return len(lt.desk.Phone.Snapshot().Calls) == 0 })
	waitForPhone(t, lt.carol, "carol talks to linphone", 5*time.Second, func() bool {
		s := lt.carol.Phone.Snapshot()
		return len(s.Calls) == 1 && s.Calls[0].State == "talking" && strings.HasPrefix(s.Calls[0].RemoteURI, "sip:2001@")
	})
}
