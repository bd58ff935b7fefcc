package integration

import (
	"strings"
	"testing"
	"time"

	"github.com/phonesim/phonesim/config"
	"github.com/phonesim/phonesim/emulator"
	"github.com/phonesim/phonesim/fleet"
	"github.com/phonesim/phonesim/internal/peers"
)

// kamTrio is alice (1001) and carol (1003), emulated phones, and bob, a
// baresip (2001), all registered to Kamailio.
type kamTrio struct {
	kam        *peers.KamailioProc
	bob        *peers.BaresipProc
	a, c       *fleet.Member
	aCTI, cCTI *ctiServer
}

func startKamTrio(t *testing.T, bobAutoAnswer bool) *kamTrio {
	t.Helper()
	kt := &kamTrio{aCTI: newCTIServer(t), cCTI: newCTIServer(t)}
	kt.kam = peers.Kamailio(t, peers.KamailioOptions{Users: map[string]string{"1001": "a", "1003": "c", "2001": "b"}})
	alice := phoneConfig(t, "alice", kt.aCTI, config.Line{User: "1001", Password: "a", Server: kt.kam.Addr(), DisplayName: "Alice"})
	carol := phoneConfig(t, "carol", kt.cCTI, config.Line{User: "1003", Password: "c", Server: kt.kam.Addr(), DisplayName: "Carol"})
	fl := startFleet(t, &config.File{Phones: []config.Phone{alice, carol}})
	kt.a, kt.c = fl.Phone("alice"), fl.Phone("carol")
	kt.aCTI.wait(t, "registered", 10*time.Second)
	kt.cCTI.wait(t, "registered", 10*time.Second)
	kt.bob = peers.Baresip(t, peers.BaresipOptions{User: "2001", Password: "b", Registrar: kt.kam.Addr(), AutoAnswer: bobAutoAnswer, AudioSeconds: 30})
	if err := kt.bob.WaitRegistered(10 * time.Second); err != nil {
		t.Fatal(err)
	}
	return kt
}

// alice calls baresip (which answers by itself).
func (kt *kamTrio) aliceCallsBob(t *testing.T) {
	t.Helper()
	mustActiveURI(t, kt.a, "number=2001")
	if _, err := kt.bob.WaitEvent("CALL_ESTABLISHED", 10*time.Second); err != nil {
		t.Fatal(err)
	}
	kt.aCTI.wait(t, "established", 5*time.Second)
}

func rtpIn(m *fleet.Member) uint64 {
	s := m.Phone.Snapshot()
	if len(s.Calls) == 0 {
		return 0
	}
	return s.Calls[0].RTPIn
}

// The phone holds baresip and resumes it through Kamailio; audio comes back
// after the resume.
func TestHoldBaresipThroughKamailio(t *testing.T) {
	kt := startKamTrio(t, true)
	kt.aliceCallsBob(t)
	mustActiveURI(t, kt.a, "key=F_HOLD")
	kt.aCTI.wait(t, "hold", 5*time.Second)
	mustActiveURI(t, kt.a, "key=F_HOLD")
	kt.aCTI.wait(t, "unhold", 5*time.Second)
	before := rtpIn(kt.a)
	waitFor(t, "baresip's audio after the resume", 5*time.Second, func() bool { return rtpIn(kt.a) > before+25 })

	// baresip holds us: the phone shows it.
	if _, err := kt.bob.Command("hold", ""); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "remote hold shown", 5*time.Second, func() bool {
		s := kt.a.Phone.Snapshot()
		return len(s.Calls) == 1 && s.Calls[0].RemoteHeld
	})
}

// Blind transfer of baresip: alice transfers it to carol; baresip follows
// the REFER and carol talks to baresip.
func TestBlindTransferBaresipToPhone(t *testing.T) {
	kt := startKamTrio(t, true)
	kt.aliceCallsBob(t)
	mustActiveURI(t, kt.a, "key=F_TRANSFER;1;0;0;3;F_TRANSFER")
	kt.aCTI.wait(t, "blind_transfer", 5*time.Second)
	in := kt.cCTI.wait(t, "incoming_call", 10*time.Second)
	if !strings.HasPrefix(in.Query.Get("remote"), "sip:2001@") {
		t.Errorf("carol rings for %q, want baresip 2001", in.Query.Get("remote"))
	}
	mustActiveURI(t, kt.c, "key=OK")
	kt.cCTI.wait(t, "established", 5*time.Second)
	kt.aCTI.wait(t, "terminated", 5*time.Second)
	waitFor(t, "carol hears baresip", 5*time.Second, func() bool { return rtpIn(kt.c) > 25 })
}

// Attended transfer with baresip as the transfer target: carol calls
// alice; alice consults baresip (soft key Call) and completes the transfer;
// carol follows the REFER (with Replaces) to baresip and alice drops out of
// both calls.
// (baresip 1.0.0 cannot be the transferee: it prints the Refer-To through
// a format string and mangles the %3B escapes of Replaces.)
func TestAttendedTransferToBaresip(t *testing.T) {
	kt := startKamTrio(t, true)
	mustActiveURI(t, kt.c, "number=1001")
	kt.aCTI.wait(t, "incoming_call", 10*time.Second)
	mustActiveURI(t, kt.a, "key=OK")
	kt.aCTI.wait(t, "established", 5*time.Second)

	mustActiveURI(t, kt.a, "key=F_TRANSFER;2;0;0;1;F2")
	if _, err := kt.bob.WaitEvent("CALL_ESTABLISHED", 10*time.Second); err != nil {
		t.Fatal(err)
	}
	kt.aCTI.waitN(t, "established", 2, 5*time.Second)
	mustActiveURI(t, kt.a, "key=F_TRANSFER")
	kt.aCTI.wait(t, "attended_transfer", 5*time.Second)
	waitFor(t, "alice out of both calls", 10*time.Second, func() bool { return len(kt.a.Phone.Snapshot().Calls) == 0 })
	waitFor(t, "carol talking to baresip", 10*time.Second, func() bool {
		s := kt.c.Phone.Snapshot()
		// Refer-To is baresip's Contact: sip:2001-<id>@host
		return len(s.Calls) == 1 && s.Calls[0].State == emulator.CallTalking && strings.Contains(s.Calls[0].RemoteURI, "sip:2001")
	})
	// baresip 1.0.0 ignores Replaces and keeps the consultation call:
	// alice ends it herself after the grace time.
	if _, err := kt.bob.WaitEvent("CALL_CLOSED", 10*time.Second); err != nil {
		t.Fatal(err)
	}
}

// baresip transfers the phone (REFER from a real phone): alice follows it
// and calls carol.
func TestPhoneFollowsREFERFromBaresip(t *testing.T) {
	kt := startKamTrio(t, true)
	kt.aliceCallsBob(t)
	if _, err := kt.bob.Command("transfer", sipURI("1003", kt.kam.Addr())); err != nil {
		t.Fatal(err)
	}
	out := kt.aCTI.waitN(t, "outgoing_call", 2, 10*time.Second)
	if !strings.Contains(out.Query.Get("local"), "1003@") {
		t.Errorf("alice's referred call goes to %q", out.Query.Get("local"))
	}
	kt.cCTI.wait(t, "incoming_call", 10*time.Second)
	mustActiveURI(t, kt.c, "key=OK")
	kt.cCTI.wait(t, "established", 5*time.Second)
	waitFor(t, "alice talking to carol", 10*time.Second, func() bool {
		s := kt.a.Phone.Snapshot()
		for _, c := range s.Calls {
			if c.State == emulator.CallTalking && strings.Contains(c.RemoteURI, "1003@") {
				return true
			}
		}
		return false
	})
}
