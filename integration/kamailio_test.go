package integration

import (
	"math"
	"testing"
	"time"

	"github.com/phonesim/phonesim/config"
	"github.com/phonesim/phonesim/internal/peers"
)

// The phone registers to Kamailio with digest auth and calls a baresip
// peer through it. Audio goes both ways and is checked by content: baresip
// hears the phone's 440 Hz tone, the phone records baresip's 1 kHz tone.
func TestPhoneCallsBaresipThroughKamailio(t *testing.T) {
	cti := newCTIServer(t)
	kam := peers.Kamailio(t, peers.KamailioOptions{Users: map[string]string{"1001": "phonepw", "2001": "baresippw"}})
	bob := peers.Baresip(t, peers.BaresipOptions{User: "2001", Password: "baresippw", Registrar: kam.Addr(), AutoAnswer: true, AudioSeconds: 30})
	if err := bob.WaitRegistered(10 * time.Second); err != nil {
		t.Fatal(err)
	}

	recDir := t.TempDir()
	p := phoneConfig(t, "desk", cti, config.Line{User: "1001", Password: "phonepw", Server: kam.Addr(), DisplayName: "Desk"})
	p.Media = config.Media{Play: "tone:440", RecordDir: recDir}
	fl := startFleet(t, &config.File{Phones: []config.Phone{p}})
	desk := fl.Phones[0]
	cti.wait(t, "registered", 10*time.Second)

	mustActiveURI(t, desk, "number=2001&outgoing_uri=1001@"+kam.IP)
	out := cti.wait(t, "outgoing_call", 5*time.Second)
	if got := out.Query.Get("local"); got != sipURI("2001", kam.IP) {
		t.Errorf("$local = %q, want %s", got, sipURI("2001", kam.IP))
	}
	if _, err := bob.WaitEvent("CALL_ESTABLISHED", 10*time.Second); err != nil {
		t.Fatal(err)
	}
	cti.wait(t, "established", 5*time.Second)
	waitFor(t, "RTP both ways", 10*time.Second, func() bool {
		s := desk.Phone.Snapshot()
		return len(s.Calls) == 1 && s.Calls[0].RTPIn >= 50 && s.Calls[0].RTPOut >= 50
	})
	call := desk.Phone.Snapshot().Calls[0]
	t.Logf("phone RTP in %d out %d codec %s", call.RTPIn, call.RTPOut, call.Codec)

	mustActiveURI(t, desk, "key=X")
	cti.wait(t, "terminated", 5*time.Second)
	if _, err := bob.WaitEvent("CALL_CLOSED", 10*time.Second); err != nil {
		t.Fatal(err)
	}
	heard, err := bob.LastRecording()
	if err != nil {
		t.Fatal(err)
	}
	if heard.Seconds() < 0.5 || heard.RMS < 1000 || math.Abs(heard.ToneHz-440) > 25 {
		t.Errorf("baresip heard %.2fs RMS %.0f tone %.0f Hz; want the phone's 440 Hz tone", heard.Seconds(), heard.RMS, heard.ToneHz)
	}
	got := recording(t, recDir)
	if got.Seconds() < 0.5 || got.RMS < 1000 || math.Abs(got.ToneHz-1000) > 50 {
		t.Errorf("phone recorded %.2fs RMS %.0f tone %.0f Hz; want baresip's 1 kHz tone", got.Seconds(), got.RMS, got.ToneHz)
	}
}

// baresip calls the phone through Kamailio; the phone answers with
// SPEAKER (the hands-free key) and baresip hangs up: Terminated.
func TestBaresipCallsPhoneThroughKamailio(t *testing.T) {
	cti := newCTIServer(t)
	kam := peers.Kamailio(t, peers.KamailioOptions{Users: map[string]string{"1001": "phonepw", "2001": "baresippw"}})
	p := phoneConfig(t, "desk", cti, config.Line{User: "1001", Password: "phonepw", Server: kam.Addr(), DisplayName: "Desk"})
	fl := startFleet(t, &config.File{Phones: []config.Phone{p}})
	desk := fl.Phones[0]
	cti.wait(t, "registered", 10*time.Second)
	bob := peers.Baresip(t, peers.BaresipOptions{User: "2001", Password: "baresippw", Registrar: kam.Addr(), AudioSeconds: 30})
	if err := bob.WaitRegistered(10 * time.Second); err != nil {
		t.Fatal(err)
	}
	if err := bob.Dial(sipURI("1001", kam.IP)); err != nil {
		t.Fatal(err)
	}
	in := cti.wait(t, "incoming_call", 10*time.Second)
	// $remote is the caller's From URI, its AOR, as sip:user@host
	// (docs/events.md: no port).
	if got, want := in.Query.Get("remote"), "sip:2001@"+kam.IP; got != want {
		t.Errorf("$remote = %q, want baresip's AOR %s as %s", got, bob.AOR, want)
	}
	mustActiveURI(t, desk, "key=SPEAKER")
	cti.wait(t, "established", 5*time.Second)
	if _, err := bob.WaitEvent("CALL_ESTABLISHED", 10*time.Second); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "RTP both ways", 10*time.Second, func() bool {
		s := desk.Phone.Snapshot()
		return len(s.Calls) == 1 && s.Calls[0].RTPIn >= 25 && s.Calls[0].RTPOut >= 25
	})
	if err := bob.Hangup(); err != nil {
		t.Fatal(err)
	}
	cti.wait(t, "terminated", 10*time.Second)
	cti.wait(t, "busy_to_idle", 5*time.Second)
}
