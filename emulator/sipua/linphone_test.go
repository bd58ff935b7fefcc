package sipua_test

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/phonesim/phonesim/emulator"
	"github.com/phonesim/phonesim/emulator/sipua"
	"github.com/phonesim/phonesim/internal/peers"
)

// Interop with linphone (linphone-cli 5, belle-sip) behind Kamailio, the
// record-routing proxy: linphone as the far end of a held call, as the
// transferee of a blind and of an attended transfer, and as the target of
// an attended transfer. Users: 1001 desk and 1003 carol (our UAs), 2001
// bob (linphone).

func linphoneSetup(t *testing.T) (k *peers.KamailioProc, bob *peers.LinphoneProc, desk, carol *ua) {
	t.Helper()
	k = peers.Kamailio(t, peers.KamailioOptions{Users: map[string]string{
		"1001": "1001-pw", "1003": "1003-pw", "2001": "2001-pw",
	}})
	bob = peers.Linphone(t, peers.LinphoneOptions{User: "2001", Password: "2001-pw", Registrar: k.Addr(), AutoAnswer: true})
	return k, bob, registered(t, k, "1001"), registered(t, k, "1003")
}

// linphoneCall has desk call bob (linphone answers by itself) and waits for
// audio from bob.
func linphoneCall(t *testing.T, desk *ua, bob *peers.LinphoneProc) (emulator.CallRef, *emulator.MediaStats) {
	t.Helper()
	ref, _ := desk.dial(t, "2001")
	stats := desk.answered(t, ref)
	if err := bob.WaitOutput(regexp.MustCompile(`Call \d+ with .* connected`), 5*time.Second); err != nil {
		t.Fatal(err)
	}
	flowing(t, "desk hears linphone", &stats.RTPIn)
	return ref, stats
}

// desk holds linphone and resumes (linphone goes quiet and comes back), then
// linphone holds desk ("pause") and resumes.
//
// linphone also sends STUN keep-alives to our RTCP port: they are counted
// as ignored datagrams, not logged as errors (issue 12, defect 4).
func TestHoldWithLinphone(t *testing.T) {
	_, bob, desk, _ := linphoneSetup(t)
	ignored := sipua.IgnoredRTCP()
	ref, stats := linphoneCall(t, desk, bob)

	from := desk.in.mark()
	desk.Hold(ref)
	expect(t, desk.in, from, "desk holds linphone", is(emulator.SIPHold{Ref: ref, Held: true}))
	stalled(t, "linphone on hold", &stats.RTPIn)
	desk.Unhold(ref)
	expect(t, desk.in, from, "desk resumes linphone", is(emulator.SIPHold{Ref: ref, Held: false}))
	flowing(t, "linphone resumed", &stats.RTPIn)

	from = desk.in.mark()
	if err := bob.Command("pause 1"); err != nil {
		t.Fatal(err)
	}
	expect(t, desk.in, from, "linphone holds desk", is(emulator.SIPHold{Ref: ref, Held: true, Remote: true}))
	// linphone takes "resume" only once its pause is through (200, ACK).
	if err := bob.WaitOutput(regexp.MustCompile(`Call 1 with .* is now paused`), 5*time.Second); err != nil {
		t.Fatal(err)
	}
	if err := bob.Command("resume 1"); err != nil {
		t.Fatal(err)
	}
	expect(t, desk.in, from, "linphone resumes desk", is(emulator.SIPHold{Ref: ref, Held: false, Remote: true}))
	flowing(t, "linphone sends again", &stats.RTPIn)
	waitFor(t, "linphone's STUN on our RTCP port counted", expectTimeout, func() bool { return sipua.IgnoredRTCP() > ignored })
	desk.Hangup(ref)
	desk.ended(t, ref)
}

// Blind transfer as the phone's core does it: hold, then REFER at once;
// linphone (the transferee) calls carol through Kamailio and reports
// NOTIFY 200; desk leaves.
//
// The SIP to and from desk is captured on lo: its hold re-INVITE, REFER
// and BYE go to Kamailio from desk's SIP socket (issue 12, defect 1).
func TestBlindTransferOfLinphone(t *testing.T) {
	k, bob, desk, carol := linphoneSetup(t)
	deskIP, _, _ := strings.Cut(desk.Addr(), ":")
	capture := peers.CaptureLoopback(t, deskIP)
	ref, _ := linphoneCall(t, desk, bob)

	from := desk.in.mark()
	desk.Hold(ref)
	expect(t, desk.in, from, "desk holds linphone", is(emulator.SIPHold{Ref: ref, Held: true}))
	desk.Transfer(ref, "1003", "")
	expect(t, desk.in, from, "linphone accepts the REFER", is(emulator.SIPTransfer{Ref: ref, Code: 202}))
	in, _ := expect(t, carol.in, 0, "carol rings", func(s emulator.SIPIncoming) bool { return s.RemoteURI == "sip:2001@"+k.IP })
	carol.Answer(in.Ref)
	carolStats := carol.answered(t, in.Ref)
	expect(t, desk.in, from, "NOTIFY 200 from linphone", is(emulator.SIPTransfer{Ref: ref, Notify: 200}))
	desk.Hangup(ref)
	desk.ended(t, ref)
	flowing(t, "carol hears linphone", &carolStats.RTPIn)
	carol.Hangup(in.Ref)
	carol.ended(t, in.Ref)
	seen := checkFirstHops(t, capture, k.Addr(), desk)
	for _, m := range []string{"INVITE", "ACK", "REFER", "BYE"} {
		if !seen[m] {
			t.Errorf("no in-dialog %s captured from desk", m)
		}
	}
}

// Attended transfer with linphone as the transferee: desk holds bob,
// consults carol, and refers bob to carol with Replaces; linphone's INVITE
// with Replaces reaches carol through Kamailio and takes over the
// consultation call.
func TestAttendedTransferOfLinphone(t *testing.T) {
	_, bob, desk, carol := linphoneSetup(t)
	ref, _ := linphoneCall(t, desk, bob)
	desk.Hold(ref)
	expect(t, desk.in, 0, "desk holds linphone", is(emulator.SIPHold{Ref: ref, Held: true}))
	consult, callID := desk.dial(t, "1003")
	atCarol := carol.incoming(t, callID)
	carol.Answer(atCarol.Ref)
	desk.answered(t, consult)
	carol.answered(t, atCarol.Ref)

	from := desk.in.mark()
	desk.Transfer(ref, "", consult)
	expect(t, desk.in, from, "linphone accepts the REFER", is(emulator.SIPTransfer{Ref: ref, Code: 202}))
	replaced, _ := expect(t, carol.in, 0, "linphone's INVITE replaces the consultation call", func(r emulator.SIPReplaced) bool { return r.Old == atCarol.Ref })
	stats := carol.answered(t, replaced.New)
	carol.ended(t, atCarol.Ref)
	desk.ended(t, consult)
	expect(t, desk.in, from, "NOTIFY 200 from linphone", is(emulator.SIPTransfer{Ref: ref, Notify: 200}))
	desk.Hangup(ref)
	desk.ended(t, ref)
	flowing(t, "carol hears linphone", &stats.RTPIn)
	carol.Hangup(replaced.New)
	carol.ended(t, replaced.New)
}

// Attended transfer with linphone as the target: desk calls carol, consults
// linphone, and refers carol to linphone with Replaces; carol's INVITE with
// Replaces reaches linphone through Kamailio, which takes it in place of
// desk's call.
func TestAttendedTransferToLinphone(t *testing.T) {
	_, bob, desk, carol := linphoneSetup(t)
	first, callID := desk.dial(t, "1003")
	atCarol := carol.incoming(t, callID)
	carol.Answer(atCarol.Ref)
	desk.answered(t, first)
	carol.answered(t, atCarol.Ref)
	desk.Hold(first)
	expect(t, desk.in, 0, "desk holds carol", is(emulator.SIPHold{Ref: first, Held: true}))
	consult, _ := linphoneCall(t, desk, bob)

	from := desk.in.mark()
	desk.Transfer(first, "", consult)
	expect(t, desk.in, from, "carol accepts the REFER", is(emulator.SIPTransfer{Ref: first, Code: 202}))
	referred, _ := expect(t, carol.in, 0, "carol is referred", func(r emulator.SIPReferred) bool { return r.From == atCarol.Ref })
	stats := carol.answered(t, referred.Ref)
	desk.ended(t, consult) // linphone ends the replaced call
	expect(t, desk.in, from, "NOTIFY 200 from carol", is(emulator.SIPTransfer{Ref: first, Notify: 200}))
	desk.Hangup(first)
	desk.ended(t, first)
	flowing(t, "carol hears linphone", &stats.RTPIn)
	if out := bob.Output(); !strings.Contains(out, "connected") {
		t.Errorf("linphone did not report the new call connected:\n%s", out)
	}
	carol.Hangup(referred.Ref)
	carol.ended(t, referred.Ref)
}
