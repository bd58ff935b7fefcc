package integration

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/phonesim/phonesim/config"
	"github.com/phonesim/phonesim/fleet"
)

// trio is alice (1001), bob (1002) and carol (1003) on the embedded
// registrar, each with its own CTI server.
type trio struct {
	fl               *fleet.Fleet
	a, b, c          *fleet.Member
	aCTI, bCTI, cCTI *ctiServer
	host             string // registrar host, for URIs
}

// startTrio starts alice (1001), bob (1002) and carol (1003) on an
// embedded registrar, each playing its own tone, and waits until all three
// are registered. setup, if given, changes alice's configuration first.
func startTrio(t *testing.T, setup ...func(alice *config.Phone)) *trio {
	t.Helper()
	reg := embeddedRegistrar(t, map[string]string{"1001": "s1", "1002": "s2", "1003": "s3"})
	tr := &trio{aCTI: newCTIServer(t), bCTI: newCTIServer(t), cCTI: newCTIServer(t)}
	tr.host = reg.Addr()[:strings.LastIndexByte(reg.Addr(), ':')]
	alice := phoneConfig(t, "alice", tr.aCTI, config.Line{User: "1001", Password: "s1", Server: reg.Addr(), DisplayName: "Alice"})
	alice.Media.Play = "tone:440"
	for _, f := range setup {
		f(&alice)
	}
	bob := phoneConfig(t, "bob", tr.bCTI, config.Line{User: "1002", Password: "s2", Server: reg.Addr(), DisplayName: "Bob"})
	bob.Media.Play = "tone:700"
	carol := phoneConfig(t, "carol", tr.cCTI, config.Line{User: "1003", Password: "s3", Server: reg.Addr(), DisplayName: "Carol"})
	carol.Media.Play = "tone:1100"
	tr.fl = startFleet(t, &config.File{Phones: []config.Phone{alice, bob, carol}})
	tr.a, tr.b, tr.c = tr.fl.Phone("alice"), tr.fl.Phone("bob"), tr.fl.Phone("carol")
	for _, c := range []*ctiServer{tr.aCTI, tr.bCTI, tr.cCTI} {
		c.wait(t, "registered", 5*time.Second)
	}
	return tr
}

// connect has from call number and to answer it with OK, and waits until
// both ends show the call up: the callee's Established can come before the
// caller has handled the 200 OK, and a key pressed in between would meet a
// call still ringing out.
func connect(t *testing.T, from *fleet.Member, to *fleet.Member, toCTI *ctiServer, number string, n int) {
	t.Helper()
	mustActiveURI(t, from, "number="+number)
	toCTI.waitN(t, "incoming_call", n, 5*time.Second)
	mustActiveURI(t, to, "key=OK")
	toCTI.waitN(t, "established", n, 5*time.Second)
	waitForPhone(t, from, "the caller to see the call answered", 5*time.Second, func() bool {
		for _, c := range from.Phone.Snapshot().Calls {
			if c.State == "new" || c.State == "calling" || c.State == "ringback" {
				return false
			}
		}
		return true
	})
}

// pressHold presses F_HOLD on m and waits for its n-th Hold; a failed
// re-INVITE (shown on the LCD) fails the test with its reason.
func pressHold(t *testing.T, m *fleet.Member, cti *ctiServer, n int) {
	t.Helper()
	mustActiveURI(t, m, "key=F_HOLD")
	waitFor(t, fmt.Sprintf("Hold #%d", n), 5*time.Second, func() bool {
		s := m.Phone.Snapshot()
		if k := len(s.LCD.Lines); k > 0 && strings.Contains(s.LCD.Lines[k-1], "failed") {
			t.Fatalf("hold failed: %q", s.LCD.Lines)
		}
		return cti.count("hold") >= n
	})
}

func callState(m *fleet.Member, i int) string {
	s := m.Phone.Snapshot()
	if i >= len(s.Calls) {
		return ""
	}
	return s.Calls[i].State
}

// F_HOLD holds the call (re-INVITE a=sendonly): Hold fires, the far end
// shows it is held; F_HOLD again resumes: Unhold fires.
func TestHoldAndResumeBetweenPhones(t *testing.T) {
	tr := startTrio(t)
	connect(t, tr.a, tr.b, tr.bCTI, "1002", 1)
	est := tr.aCTI.wait(t, "established", 5*time.Second)

	mustActiveURI(t, tr.a, "key=F_HOLD")
	hold := tr.aCTI.wait(t, "hold", 5*time.Second)
	if hold.Query.Get("call_id") != est.Query.Get("call_id") {
		t.Errorf("Hold $call_id %q, call is %q", hold.Query.Get("call_id"), est.Query.Get("call_id"))
	}
	waitForPhone(t, tr.b, "bob to see the remote hold", 5*time.Second, func() bool {
		s := tr.b.Phone.Snapshot()
		return len(s.Calls) == 1 && s.Calls[0].RemoteHeld
	})
	if st := callState(tr.a, 0); st != "held" {
		t.Fatalf("alice's call is %q, want held", st)
	}
	if sk := tr.a.Phone.Snapshot().LCD.SoftKeys; sk[0] != "Resume" {
		t.Errorf("held soft keys %q", sk)
	}
	// On hold alice keeps sending (music on hold, a=sendonly) and bob,
	// who answered a=recvonly, sends nothing (RFC 3264 §6.1).
	rtp := func(m *fleet.Member) (in, out uint64) {
		if s := m.Phone.Snapshot(); len(s.Calls) == 1 {
			return s.Calls[0].RTPIn, s.Calls[0].RTPOut
		}
		return 0, 0
	}
	bIn0, bOut0 := rtp(tr.b)
	waitFor(t, "music on hold reaching bob", 5*time.Second, func() bool {
		in, _ := rtp(tr.b)
		return in > bIn0+15
	})
	if _, out := rtp(tr.b); out > bOut0+2 {
		t.Errorf("held bob sent %d RTP packets while alice's music on hold arrived", out-bOut0)
	}
	mustActiveURI(t, tr.a, "key=F_HOLD")
	tr.aCTI.wait(t, "unhold", 5*time.Second)
	waitForPhone(t, tr.b, "bob to see the resume", 5*time.Second, func() bool {
		s := tr.b.Phone.Snapshot()
		return len(s.Calls) == 1 && !s.Calls[0].RemoteHeld
	})
	_, bOut1 := rtp(tr.b)
	waitFor(t, "bob sending again after the resume", 5*time.Second, func() bool {
		_, out := rtp(tr.b)
		return out > bOut1+15
	})
	if n := tr.aCTI.count("established"); n != 1 {
		t.Errorf("resuming fired Established again (%d)", n)
	}
}

// Blind transfer: bob presses F_TRANSFER, dials 1003, F_TRANSFER. Bob's CTI gets
// Transfer Call and Blind Transfer; alice follows the REFER and calls
// carol; bob's call ends.
func TestBlindTransferBetweenPhones(t *testing.T) {
	tr := startTrio(t)
	connect(t, tr.a, tr.b, tr.bCTI, "1002", 1)

	mustActiveURI(t, tr.b, "key=F_TRANSFER;1;0;0;3;F_TRANSFER")
	tr.bCTI.wait(t, "transfer_call", 5*time.Second)
	if n := tr.bCTI.count("transfer_call"); n != 1 {
		t.Errorf("Transfer Call sent %d times, want once", n)
	}
	tr.bCTI.wait(t, "blind_transfer", 5*time.Second)
	out := tr.aCTI.waitN(t, "outgoing_call", 2, 5*time.Second) // the first was to bob
	if got := out.Query.Get("local"); !strings.HasPrefix(got, "sip:1003@") {
		t.Errorf("alice's referred call goes to %q, want 1003", got)
	}
	tr.cCTI.wait(t, "incoming_call", 5*time.Second)
	mustActiveURI(t, tr.c, "key=OK")
	tr.cCTI.wait(t, "established", 5*time.Second)
	tr.bCTI.wait(t, "terminated", 5*time.Second)
	waitForPhone(t, tr.a, "alice talking to carol only", 5*time.Second, func() bool {
		s := tr.a.Phone.Snapshot()
		return len(s.Calls) == 1 && s.Calls[0].State == "talking" && strings.HasPrefix(s.Calls[0].RemoteURI, "sip:1003@")
	})
}

// Attended transfer: bob puts alice on hold with F_TRANSFER, calls carol
// (soft key Call), talks, presses F_TRANSFER again. Alice's INVITE with
// Replaces takes over bob's call at carol; bob drops out of both.
func TestAttendedTransferBetweenPhones(t *testing.T) {
	tr := startTrio(t)
	connect(t, tr.a, tr.b, tr.bCTI, "1002", 1)

	mustActiveURI(t, tr.b, "key=F_TRANSFER;1;0;0;3")
	if sk := tr.b.Phone.Snapshot().LCD.SoftKeys; sk[1] != "Call" {
		t.Fatalf("transfer soft keys %q, want F2 Call", sk)
	}
	mustActiveURI(t, tr.b, "key=F2")
	tr.cCTI.wait(t, "incoming_call", 5*time.Second)
	mustActiveURI(t, tr.c, "key=OK")
	tr.bCTI.waitN(t, "established", 2, 5*time.Second)
	mustActiveURI(t, tr.b, "key=F_TRANSFER")
	tr.bCTI.wait(t, "transfer_call", 5*time.Second)
	tr.bCTI.wait(t, "attended_transfer", 5*time.Second)
	waitForPhone(t, tr.b, "bob to drop out", 10*time.Second, func() bool { return len(tr.b.Phone.Snapshot().Calls) == 0 })
	waitForPhones(t, []*fleet.Member{tr.a, tr.c}, "alice and carol connected", 10*time.Second, func() bool {
		sa, sc := tr.a.Phone.Snapshot(), tr.c.Phone.Snapshot()
		return len(sa.Calls) == 1 && sa.Calls[0].State == "talking" && strings.HasPrefix(sa.Calls[0].RemoteURI, "sip:1003@") &&
			len(sc.Calls) == 1 && sc.Calls[0].State == "talking" && strings.HasPrefix(sc.Calls[0].RemoteURI, "sip:1001@")
	})
	if n := tr.cCTI.count("missed_call"); n != 0 {
		t.Errorf("carol counted a missed call")
	}
}

// Conference: alice talks to bob, holds him, calls carol, then
// F_CONFERENCE: both calls join alice's local conference and audio flows
// on both legs.
func TestThreeWayConferenceBetweenPhones(t *testing.T) {
	tr := startTrio(t)
	connect(t, tr.a, tr.b, tr.bCTI, "1002", 1)
	pressHold(t, tr.a, tr.aCTI, 1)
	connect(t, tr.a, tr.c, tr.cCTI, "1003", 1)
	if sk := tr.a.Phone.Snapshot().LCD.SoftKeys; sk[2] != "Conf" {
		t.Errorf("soft keys with a held and an active call: %q", sk)
	}
	mustActiveURI(t, tr.a, "key=F_CONFERENCE")
	waitForPhone(t, tr.a, "both calls in conference", 5*time.Second, func() bool {
		return callState(tr.a, 0) == "conference" && callState(tr.a, 1) == "conference"
	})
	if title := tr.a.Phone.Snapshot().LCD.Title; title != "Conference" {
		t.Errorf("LCD title %q", title)
	}
	// Every leg keeps carrying RTP both ways.
	before := tr.b.Phone.Snapshot().Calls[0].RTPIn
	waitFor(t, "RTP into bob and carol", 5*time.Second, func() bool {
		sb, sc := tr.b.Phone.Snapshot(), tr.c.Phone.Snapshot()
		return len(sb.Calls) == 1 && len(sc.Calls) == 1 && sb.Calls[0].RTPIn > before+25 && sc.Calls[0].RTPIn > 25
	})
	// Carol leaves: alice and bob go on as an ordinary call.
	mustActiveURI(t, tr.c, "key=X")
	waitForPhone(t, tr.a, "alice back to one call", 5*time.Second, func() bool {
		s := tr.a.Phone.Snapshot()
		return len(s.Calls) == 1 && s.Calls[0].State == "talking"
	})
}

// Call waiting: a second call during a call rings (Incoming Call with its
// own $call_id and $remote); answering it holds the first.
func TestCallWaitingHoldsTheFirstCall(t *testing.T) {
	tr := startTrio(t)
	connect(t, tr.a, tr.b, tr.bCTI, "1002", 1)
	first := tr.bCTI.wait(t, "incoming_call", time.Second)

	mustActiveURI(t, tr.c, "number=1002")
	second := tr.bCTI.waitN(t, "incoming_call", 2, 5*time.Second)
	if second.Query.Get("call_id") == first.Query.Get("call_id") || !strings.HasPrefix(second.Query.Get("remote"), "sip:1003@") {
		t.Errorf("second Incoming Call vars %v", second.Query)
	}
	if n := tr.bCTI.count("idle_to_busy"); n != 1 {
		t.Errorf("Idle to Busy fired %d times; the phone was already busy", n)
	}
	mustActiveURI(t, tr.b, "key=OK")
	hold := tr.bCTI.wait(t, "hold", 5*time.Second)
	if hold.Query.Get("call_id") != first.Query.Get("call_id") {
		t.Errorf("Hold for %q, want the first call %q", hold.Query.Get("call_id"), first.Query.Get("call_id"))
	}
	est := tr.bCTI.waitN(t, "established", 2, 5*time.Second)
	if est.Query.Get("call_id") != second.Query.Get("call_id") {
		t.Errorf("Established for %q, want the second call", est.Query.Get("call_id"))
	}
	// L1 resumes the held call (both calls are on line 1): the talking
	// one is held first.
	pressHold(t, tr.b, tr.bCTI, 2)
	mustActiveURI(t, tr.b, "key=L1")
	unhold := tr.bCTI.wait(t, "unhold", 5*time.Second)
	if unhold.Query.Get("call_id") == "" {
		t.Errorf("Unhold without $call_id")
	}
}

// Two accounts on L1 and L2: each registers (Registered per line) and L2
// selects the account for the next call.
func TestTwoLinesRegisterAndL2Dials(t *testing.T) {
	cti := newCTIServer(t)
	reg := embeddedRegistrar(t, map[string]string{"1001": "s1", "1004": "s4", "1002": "s2"})
	alice := phoneConfig(t, "alice", cti,
		config.Line{User: "1001", Password: "s1", Server: reg.Addr(), DisplayName: "Alice"},
		config.Line{User: "1004", Password: "s4", Server: reg.Addr(), DisplayName: "Alice sales"})
	bobCTI := newCTIServer(t)
	bob := phoneConfig(t, "bob", bobCTI, config.Line{User: "1002", Password: "s2", Server: reg.Addr()})
	fl := startFleet(t, &config.File{Phones: []config.Phone{alice, bob}})
	a := fl.Phone("alice")
	cti.waitN(t, "registered", 2, 5*time.Second)
	bobCTI.wait(t, "registered", 5*time.Second)
	leds := a.Phone.Snapshot().LCD.LEDs
	if leds["L1"] != "on" || leds["L2"] != "on" {
		t.Fatalf("line LEDs %v", leds)
	}
	mustActiveURI(t, a, "key=L2;X;1;0;0;2;OK")
	in := bobCTI.wait(t, "incoming_call", 5*time.Second)
	if !strings.HasPrefix(in.Query.Get("remote"), "sip:1004@") || in.Query.Get("display_remote") != "Alice sales" {
		t.Errorf("bob sees %q %q, want line 2's account", in.Query.Get("remote"), in.Query.Get("display_remote"))
	}
	out := cti.wait(t, "outgoing_call", 5*time.Second)
	if out.Query.Get("active_user") != "1004" {
		t.Errorf("$active_user %q, want 1004", out.Query.Get("active_user"))
	}
}

// BLF: alice's D1 watches bob through the embedded registrar's dialog
// event package: the lamp follows carol's call to bob (ringing, busy,
// idle), and D1 calls bob.
func TestBLFKeyFollowsTheWatchedExtension(t *testing.T) {
	tr := startTrio(t, blfOnBob)
	a, b, c, bCTI := tr.a, tr.b, tr.c, tr.bCTI
	lamp := func() string { return blfLamp(a) }
	waitForPhone(t, a, "the BLF lamp idle", 5*time.Second, func() bool { return lamp() == "idle" })

	mustActiveURI(t, c, "number=1002")
	bCTI.wait(t, "incoming_call", 5*time.Second)
	waitForPhone(t, a, "the BLF lamp ringing", 5*time.Second, func() bool { return lamp() == "ringing" })
	if led := a.Phone.Snapshot().LCD.LEDs["D1"]; led != "blink" {
		t.Errorf("D1 LED %q while bob rings, want blink", led)
	}
	mustActiveURI(t, b, "key=OK")
	waitForPhone(t, a, "the BLF lamp busy", 5*time.Second, func() bool { return lamp() == "busy" })
	mustActiveURI(t, c, "key=X")
	waitForPhone(t, a, "the BLF lamp idle again", 5*time.Second, func() bool { return lamp() == "idle" })

	mustActiveURI(t, a, "key=D1")
	bCTI.waitN(t, "incoming_call", 2, 5*time.Second)
}

// blfOnBob programs alice's D1 as a BLF key watching bob (1002).
func blfOnBob(alice *config.Phone) {
	alice.DSS = []config.DSSKey{{Type: "blf", Value: "1002", Label: "Bob"}}
}

// blfLamp is the lamp of m's D1 ("" when it has no DSS key).
func blfLamp(m *fleet.Member) string {
	if d := m.Phone.Snapshot().DSS; len(d) > 0 {
		return d[0].Lamp
	}
	return ""
}

// MUTE: the far end receives RTP, but it carries silence.
func TestMuteSendsSilence(t *testing.T) {
	reg := embeddedRegistrar(t, map[string]string{"1001": "s1", "1002": "s2"})
	aCTI, bCTI := newCTIServer(t), newCTIServer(t)
	alice := phoneConfig(t, "alice", aCTI, config.Line{User: "1001", Password: "s1", Server: reg.Addr()})
	bob := phoneConfig(t, "bob", bCTI, config.Line{User: "1002", Password: "s2", Server: reg.Addr()})
	bob.Media.RecordDir = t.TempDir()
	fl := startFleet(t, &config.File{Phones: []config.Phone{alice, bob}})
	a, b := fl.Phone("alice"), fl.Phone("bob")
	aCTI.wait(t, "registered", 5*time.Second)
	bCTI.wait(t, "registered", 5*time.Second)

	mustActiveURI(t, a, "key=MUTE")
	if !a.Phone.Snapshot().Muted {
		t.Fatal("MUTE did not mute")
	}
	connect(t, a, b, bCTI, "1002", 1)
	waitFor(t, "RTP at bob", 5*time.Second, func() bool { return rtpIn(b) > 40 })
	mustActiveURI(t, a, "key=X")
	bCTI.wait(t, "terminated", 5*time.Second)
	if heard := recording(t, bob.Media.RecordDir); heard.RMS > 50 {
		t.Errorf("bob heard %.2fs at RMS %.0f from a muted phone; want silence", heard.Seconds(), heard.RMS)
	}
}

// Pressing a ringing BLF key picks the call up (directed pickup: an INVITE
// to the caller with Replaces of its early dialog, RFC 3891): carol calls
// bob, bob rings, alice presses D1 and talks to carol; bob's phone stops
// ringing (Missed Call).
func TestRingingBLFKeyPicksUpTheCall(t *testing.T) {
	tr := startTrio(t, blfOnBob)
	a, c, aCTI, bCTI := tr.a, tr.c, tr.aCTI, tr.bCTI
	mustActiveURI(t, c, "number=1002")
	bCTI.wait(t, "incoming_call", 5*time.Second)
	// The lamp blinks from the INVITE on; a pickup needs the early
	// dialog's tags, which come with bob's 180.
	waitForPhone(t, a, "the BLF key ready to pick up", 5*time.Second, func() bool {
		d := a.Phone.Snapshot().DSS
		return len(d) == 1 && d[0].Lamp == "ringing" && d[0].Pickup
	})
	mustActiveURI(t, a, "key=D1")
	aCTI.wait(t, "established", 5*time.Second)
	bCTI.wait(t, "missed_call", 5*time.Second)
	waitForPhone(t, c, "carol talking to alice", 5*time.Second, func() bool {
		s := c.Phone.Snapshot()
		return len(s.Calls) == 1 && s.Calls[0].State == "talking" && strings.HasPrefix(s.Calls[0].RemoteURI, "sip:1001@")
	})
	if n := bCTI.count("established"); n != 0 {
		t.Errorf("bob's phone answered a picked-up call")
	}
}
