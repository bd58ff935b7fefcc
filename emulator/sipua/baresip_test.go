package sipua_test

import (
	"testing"
	"time"

	"github.com/phonesim/phonesim/emulator"
	"github.com/phonesim/phonesim/internal/peers"
)

// registered starts a UA for user registered with Kamailio k.
func registered(t *testing.T, k *peers.KamailioProc, user string) *ua {
	t.Helper()
	u := startUA(t, peers.LoopbackIP(t), user, k.Addr())
	u.Register()
	expect(t, u.in, 0, user+" registers", is(emulator.SIPRegistration{Line: 1, State: emulator.RegRegistered, Code: 200}))
	return u
}

// Hold, resume and blind transfer with baresip 1.0.0 through Kamailio
// (registrar and record-routing proxy): our UA holds baresip and resumes,
// baresip holds us and resumes, then our UA refers baresip to a second UA
// of ours, which baresip calls through Kamailio.
func TestHoldAndTransferWithBaresip(t *testing.T) {
	k := peers.Kamailio(t, peers.KamailioOptions{Users: map[string]string{
		"1001": "1001-pw", "1003": "1003-pw", "2001": "2001-pw",
	}})
	bob := peers.Baresip(t, peers.BaresipOptions{User: "2001", Password: "2001-pw", Registrar: k.Addr(), AutoAnswer: true, AudioSeconds: 30})
	desk := registered(t, k, "1001")
	carol := registered(t, k, "1003")
	if err := bob.WaitRegistered(5 * time.Second); err != nil {
		t.Fatal(err)
	}

	ref, _ := desk.dial(t, "2001")
	stats := desk.answered(t, ref)
	if _, err := bob.WaitEvent("CALL_ESTABLISHED", 5*time.Second); err != nil {
		t.Fatal(err)
	}
	flowing(t, "desk hears baresip", &stats.RTPIn)

	// We hold baresip: it answers a=recvonly and goes quiet.
	from := desk.in.mark()
	desk.Hold(ref)
	expect(t, desk.in, from, "desk holds baresip", is(emulator.SIPHold{Ref: ref, Held: true}))
	stalled(t, "baresip on hold", &stats.RTPIn)
	desk.Unhold(ref)
	expect(t, desk.in, from, "desk resumes baresip", is(emulator.SIPHold{Ref: ref, Held: false}))
	flowing(t, "baresip resumed", &stats.RTPIn)

	// baresip holds us (menu command "hold": re-INVITE a=sendonly).
	from = desk.in.mark()
	if _, err := bob.Command("hold", ""); err != nil {
		t.Fatal(err)
	}
	expect(t, desk.in, from, "baresip holds desk", is(emulator.SIPHold{Ref: ref, Held: true, Remote: true}))
	if _, err := bob.Command("resume", ""); err != nil {
		t.Fatal(err)
	}
	expect(t, desk.in, from, "baresip resumes desk", is(emulator.SIPHold{Ref: ref, Held: false, Remote: true}))

	// Blind transfer: baresip calls 1003 (carol) for us.
	from = desk.in.mark()
	desk.Transfer(ref, "1003", "")
	expect(t, desk.in, from, "baresip accepts the REFER", is(emulator.SIPTransfer{Ref: ref, Code: 202}))
	in, _ := expect(t, carol.in, 0, "carol rings", func(s emulator.SIPIncoming) bool { return s.RemoteURI == "sip:2001@"+k.IP })
	carol.Answer(in.Ref)
	carolStats := carol.answered(t, in.Ref)
	expect(t, desk.in, from, "NOTIFY 200 from baresip", is(emulator.SIPTransfer{Ref: ref, Notify: 200}))
	desk.Hangup(ref)
	desk.ended(t, ref)
	flowing(t, "carol hears baresip", &carolStats.RTPIn)

	// baresip refers carol back to the desk: carol receives the REFER
	// (record-routed by Kamailio) and calls 1001.
	from = carol.in.mark()
	if _, err := bob.Command("transfer", "sip:1001@"+k.Addr()); err != nil {
		t.Fatal(err)
	}
	referred, _ := expect(t, carol.in, from, "baresip refers carol", func(r emulator.SIPReferred) bool { return r.From == in.Ref })
	if referred.Target != "sip:1001@"+k.Addr() {
		t.Errorf("carol referred to %q, want sip:1001@%s", referred.Target, k.Addr())
	}
	deskIn, _ := expect(t, desk.in, 0, "desk rings", func(s emulator.SIPIncoming) bool { return s.RemoteURI == "sip:1003@"+k.IP })
	desk.Answer(deskIn.Ref)
	carol.answered(t, referred.Ref)
	desk.answered(t, deskIn.Ref)
	t.Logf("baresip events: %v", bob.Events())
	carol.ended(t, in.Ref)
	carol.Hangup(referred.Ref)
	desk.ended(t, deskIn.Ref)
}
