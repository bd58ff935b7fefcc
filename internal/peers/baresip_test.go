package peers

import (
	"math"
	"strings"
	"testing"
	"time"
)

func TestBaresipRegistersWithDigest(t *testing.T) {
	t.Parallel()
	k := Kamailio(t, KamailioOptions{Users: map[string]string{"alice": "alice-pw"}})
	b := Baresip(t, BaresipOptions{User: "alice", Password: "alice-pw", Registrar: k.Addr()})
	if err := b.WaitRegistered(5 * time.Second); err != nil {
		t.Fatal(err)
	}
	if b.AOR != "sip:alice@"+k.Addr() {
		t.Fatalf("AOR = %q", b.AOR)
	}
	info, err := b.Command("reginfo", "")
	if err != nil || !strings.Contains(info, "sip:alice@"+k.Addr()) || !strings.Contains(info, "OK") {
		t.Fatalf("reginfo = %q, %v; want alice's account registered", info, err)
	}
}

func TestBaresipReportsRegistrationFailure(t *testing.T) {
	t.Parallel()
	k := Kamailio(t, KamailioOptions{Users: map[string]string{"alice": "alice-pw"}})
	b := Baresip(t, BaresipOptions{User: "alice", Password: "wrong", Registrar: k.Addr()})
	err := b.WaitRegistered(5 * time.Second)
	if err == nil || !strings.Contains(err.Error(), "registration failed") {
		t.Fatalf("WaitRegistered with a wrong password = %v, want a registration failure", err)
	}
}

// registeredPair starts Kamailio with alice and bob, and a registered
// baresip for each.
func registeredPair(t *testing.T, bobAutoAnswer bool) (k *KamailioProc, alice, bob *BaresipProc) {
	t.Helper()
	k = Kamailio(t, KamailioOptions{Users: map[string]string{"alice": "a-pw", "bob": "b-pw"}})
	alice = Baresip(t, BaresipOptions{User: "alice", Password: "a-pw", Registrar: k.Addr()})
	bob = Baresip(t, BaresipOptions{User: "bob", Password: "b-pw", Registrar: k.Addr(), AutoAnswer: bobAutoAnswer})
	for _, b := range []*BaresipProc{alice, bob} {
		if err := b.WaitRegistered(5 * time.Second); err != nil {
			t.Fatal(err)
		}
	}
	return k, alice, bob
}

// checkTone asserts that bob's recording of the last call holds the 1 kHz
// tone the other side sent.
func checkTone(t *testing.T, b *BaresipProc, minSeconds float64) {
	t.Helper()
	var info WAVInfo
	var err error
	// The recording is complete once baresip closed the call's audio,
	// just after CALL_CLOSED.
	for deadline := time.Now().Add(2 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		info, err = b.LastRecording()
		if (err == nil && info.Seconds() >= minSeconds) || time.Now().After(deadline) {
			break
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	if info.Seconds() < minSeconds || math.Abs(info.ToneHz-1000) > 50 || info.RMS < 2000 {
		t.Fatalf("%s received %.2f s of audio at %.0f Hz, RMS %.0f; want >= %.1f s of the 1 kHz tone",
			b.User, info.Seconds(), info.ToneHz, info.RMS, minSeconds)
	}
}

func TestBaresipCallThroughKamailio(t *testing.T) {
	t.Parallel()
	k, alice, bob := registeredPair(t, true)
	if err := alice.Dial("sip:bob@" + k.Addr()); err != nil {
		t.Fatal(err)
	}
	for _, b := range []*BaresipProc{alice, bob} {
		ev, err := b.WaitEvent("CALL_ESTABLISHED", 5*time.Second)
		if err != nil {
			t.Fatalf("%s: %v", b.User, err)
		}
		if b == bob && (ev.Direction != "incoming" || ev.PeerURI != "sip:alice@"+k.Addr()) {
			t.Fatalf("bob's CALL_ESTABLISHED = %+v, want an incoming call from alice", ev)
		}
	}
	time.Sleep(time.Second) // let a second of audio flow
	if err := alice.Hangup(); err != nil {
		t.Fatal(err)
	}
	for _, b := range []*BaresipProc{alice, bob} {
		if _, err := b.WaitEvent("CALL_CLOSED", 5*time.Second); err != nil {
			t.Fatalf("%s: %v", b.User, err)
		}
	}
	checkTone(t, bob, 0.7)
	checkTone(t, alice, 0.7)
}

// SIPp calls bob through Kamailio and cancels while bob rings.
func TestSIPpCancelsRingingBaresip(t *testing.T) {
	t.Parallel()
	k, bob := kamailioWithBob(t)
	caller := sippAliceCallsBob(t, k, ScenarioCancel, map[string]string{"CANCEL_AFTER_MS": "300"})
	if err := caller.Wait(10 * time.Second); err != nil {
		t.Fatal(err)
	}
	if _, err := bob.WaitEvent("CALL_INCOMING", time.Second); err != nil {
		t.Fatal(err)
	}
	if _, err := bob.WaitEvent("CALL_CLOSED", 5*time.Second); err != nil {
		t.Fatal(err)
	}
	if _, err := bob.WaitEvent("CALL_ESTABLISHED", 0); err == nil {
		t.Fatal("bob established the cancelled call")
	}
}

// SIPp calls bob and waits; the test answers for bob; SIPp streams a tone
// that bob records, then hangs up.
func TestSIPpAwaitAnswerStreamsRTPToBaresip(t *testing.T) {
	t.Parallel()
	k, bob := kamailioWithBob(t)
	caller := sippAliceCallsBob(t, k, ScenarioAwaitAnswer, map[string]string{"HOLD_MS": "1500"})
	if _, err := bob.WaitEvent("CALL_INCOMING", 5*time.Second); err != nil {
		t.Fatal(err)
	}
	if err := bob.Accept(); err != nil {
		t.Fatal(err)
	}
	if err := caller.Wait(10 * time.Second); err != nil {
		t.Fatal(err)
	}
	if _, err := bob.WaitEvent("CALL_CLOSED", 5*time.Second); err != nil {
		t.Fatal(err)
	}
	checkTone(t, bob, 1.0)
}

// bob rejects the ringing call; the SIPp caller expecting 486 passes.
func TestSIPpBusyWhenBaresipRejects(t *testing.T) {
	t.Parallel()
	k, bob := kamailioWithBob(t)
	caller := sippAliceCallsBob(t, k, ScenarioBusy, nil)
	if _, err := bob.WaitEvent("CALL_INCOMING", 5*time.Second); err != nil {
		t.Fatal(err)
	}
	if err := bob.Hangup(); err != nil {
		t.Fatal(err)
	}
	if err := caller.Wait(10 * time.Second); err != nil {
		t.Fatal(err)
	}
}

func TestBaresipRefusesBadAccountValues(t *testing.T) {
	for _, v := range []string{"a b", "a;b", "<a>", `a"b`} {
		if err := checkAccountValue(v); err == nil {
			t.Errorf("checkAccountValue(%q) = nil", v)
		}
	}
	if err := checkAccountValue("alice", "s3cret!", "127.0.0.1:5060"); err != nil {
		t.Error(err)
	}
}

// Without a registrar, baresip is reached at its ContactURI.
func TestBaresipDirectCallWithoutRegistrar(t *testing.T) {
	t.Parallel()
	alice := Baresip(t, BaresipOptions{User: "alice"})
	bob := Baresip(t, BaresipOptions{User: "bob", AutoAnswer: true})
	if bob.AOR != bob.ContactURI() || !strings.HasPrefix(bob.ContactURI(), "sip:bob@"+bob.IP+":") {
		t.Fatalf("AOR %q, ContactURI %q: want sip:bob@%s:port for both", bob.AOR, bob.ContactURI(), bob.IP)
	}
	if err := alice.Dial(bob.ContactURI()); err != nil {
		t.Fatal(err)
	}
	for _, b := range []*BaresipProc{alice, bob} {
		if _, err := b.WaitEvent("CALL_ESTABLISHED", 5*time.Second); err != nil {
			t.Fatalf("%s: %v", b.User, err)
		}
	}
	if err := bob.Hangup(); err != nil {
		t.Fatal(err)
	}
	ev, err := alice.WaitEvent("CALL_CLOSED", 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if ev.Direction != "outgoing" || !strings.HasPrefix(ev.PeerURI, bob.ContactURI()) {
		t.Fatalf("alice's CALL_CLOSED = %+v, want her outgoing call to bob", ev)
	}
	var types []string
	for _, e := range alice.Events() {
		types = append(types, e.Type)
	}
	if strings.Contains(strings.Join(types, " "), "REGISTER") {
		t.Fatalf("alice registered without a registrar: %v", types)
	}
}

// kamailioWithBob starts Kamailio with users alice and bob, and baresip
// registered there as bob.
func kamailioWithBob(t *testing.T) (*KamailioProc, *BaresipProc) {
	t.Helper()
	k := Kamailio(t, KamailioOptions{Users: map[string]string{"alice": "a-pw", "bob": "b-pw"}})
	bob := Baresip(t, BaresipOptions{User: "bob", Password: "b-pw", Registrar: k.Addr()})
	if err := bob.WaitRegistered(5 * time.Second); err != nil {
		t.Fatal(err)
	}
	return k, bob
}

// sippAliceCallsBob runs a SIPp scenario calling bob through Kamailio as
// alice (digest authenticated); params add to FROM_USER and FROM_DOMAIN.
func sippAliceCallsBob(t *testing.T, k *KamailioProc, scenario string, params map[string]string) *SIPpProc {
	t.Helper()
	all := map[string]string{"FROM_USER": "alice", "FROM_DOMAIN": k.IP}
	for key, v := range params {
		all[key] = v
	}
	return SIPp(t, SIPpOptions{Scenario: scenario, Params: all, Target: k.Addr(), Service: "bob", AuthUser: "alice", AuthPass: "a-pw"})
}
