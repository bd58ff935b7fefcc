package webui

import (
	"flag"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/phonesim/phonesim/emulator"
)

var update = flag.Bool("update", false, "rewrite testdata/status.golden.json")

// goldenSnapshot is a phone with something in every part of the status: a
// failed and a registered line, a talking and a ringing call, BLF keys,
// the message, DND and headset LEDs.
func goldenSnapshot() emulator.Snapshot {
	started := time.Date(2026, 1, 2, 15, 4, 5, 0, time.UTC)
	s := emulator.Snapshot{
		Identity: emulator.Identity{Name: "desk1", MAC: "00a859000001", IP: "127.0.0.1", Model: "X4U", Firmware: "2.12.0"},
		Seq:      12, Hook: emulator.HookOff, Busy: true, DND: true, Dialing: "10", Selected: 2, Volume: 7, Muted: true,
		AudioPath: emulator.PathHeadset,
		Lines: []emulator.LineStatus{
			{Line: 1, User: "1001", Server: "127.0.0.1:5060", URI: "sip:1001@127.0.0.1", DisplayName: "Alice",
				Registration: emulator.RegFailed, LastCode: 403, LastError: "403 Forbidden"},
			{Line: 2, User: "1002", Server: "127.0.0.1:5060", URI: "sip:1002@127.0.0.1",
				Registration: emulator.RegRegistered, LastCode: 200},
		},
		Calls: []emulator.CallStatus{
			{Ref: "o1", Line: 2, Direction: "outgoing", State: emulator.CallTalking, CallID: "abc@127.0.0.1",
				LocalURI: "sip:1002@127.0.0.1", RemoteURI: "sip:1003@127.0.0.1",
				RemoteDisplay: "Bob", Started: started, Answered: started.Add(2 * time.Second),
				RTPIn: 100, RTPOut: 101, DTMFIn: 1, DTMFOut: 2, Codec: "PCMU"},
			{Ref: "i1", Line: 2, Direction: "incoming", State: emulator.CallRinging, Started: started},
		},
		Voicemail: []emulator.VoicemailStatus{{Line: 1, Waiting: true, New: 2, Old: 1}},
		DSS: []emulator.DSSStatus{
			{Key: 1, Kind: "blf", Value: "1003", Label: "Bob", Lamp: emulator.BLFRinging, Pickup: true},
			{Key: 3, Kind: "blf", Value: "1004", Lamp: emulator.BLFBusy},
			{Key: 4, Kind: "speeddial", Value: "1005", Label: "Carol"},
		},
		Provision: emulator.ProvisionStatus{State: "never"},
		Counters:  emulator.Counters{Events: 30, CallsIn: 1, CallsOut: 2, Missed: 3, Registrations: 4},
		History:   []emulator.HistoryEntry{{Kind: "missed", Remote: "sip:1009@127.0.0.1", CallID: "x@127.0.0.1", At: started}},
	}
	s.Forward[emulator.ForwardBusy] = emulator.ForwardStatus{On: true, Target: "1010"}
	s.LCD = goldenLCD()
	return s
}

// The bytes of /api/status are the contract CTI clients parse: this test
// pins them for a representative phone, whatever types the core uses.
func TestStatusJSONGolden(t *testing.T) {
	dev := newRecordingDevice()
	dev.snap = goldenSnapshot()
	s := startServer(t, dev, WebOptions{})
	resp, body := s.get(t, PathStatus, admin)
	wantStatus(t, resp, body, http.StatusOK)
	const golden = "testdata/status.golden.json"
	if *update {
		if err := os.WriteFile(golden, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if body != string(want) {
		t.Errorf("/api/status changed:\n got %s\nwant %s", body, want)
	}
}

func goldenLCD() emulator.LCD {
	lcd := emulator.LCD{Title: "Talking", Lines: []string{"Bob", "1003@127.0.0.1", "2 calls"},
		SoftKeys: [4]string{"Hold", "Transfer", "", "End"},
		LineKeys: []emulator.LED{emulator.LEDOff, emulator.LEDBlink},
		MSG:      emulator.LEDBlink, DND: emulator.LEDOn, Headset: emulator.LEDOn}
	lcd.DSSKeys[0], lcd.DSSKeys[2] = emulator.LEDBlink, emulator.LEDOn
	return lcd
}
