package integration

import (
	"testing"
	"time"

	"github.com/phonesim/phonesim/config"
	"github.com/phonesim/phonesim/emulator"
)

// The DND and forwarding of the configuration are the state the phone
// boots in: the CTI server gets no Activate DND or Activate ... Forward for
// them, on every start alike, and the phone acts on them.
func TestConfigStateBootsWithoutEvents(t *testing.T) {
	for run := 0; run < 3; run++ {
		cti := newCTIServer(t)
		p := phoneConfig(t, "desk", cti, config.Line{User: "1001", Password: "pw", Server: "127.0.0.1:9"})
		p.DND = true
		p.Forward = config.Forward{Always: "2001", Busy: "2002", NoAnswer: "2003", NoAnswerSeconds: 7}
		fl := startFleet(t, &config.File{Phones: []config.Phone{p}})
		cti.wait(t, "setup_completed", 5*time.Second)
		cti.wait(t, "registration_failed", 5*time.Second) // nothing listens on :9
		for _, ev := range []string{"dnd_on", "always_forward_on", "busy_forward_on", "no_answer_forward_on"} {
			if n := cti.count(ev); n != 0 {
				t.Errorf("run %d: %s fired at boot", run, ev)
			}
		}
		s := fl.Phones[0].Phone.Snapshot()
		want := [3]emulator.ForwardStatus{{On: true, Target: "2001"}, {On: true, Target: "2002"}, {On: true, Target: "2003"}}
		if !s.DND || s.Forward != want {
			t.Fatalf("run %d: booted with DND %v, forward %+v", run, s.DND, s.Forward)
		}
		// Turning it off later is a change, and fires.
		mustActiveURI(t, fl.Phones[0], "key=DNDOff")
		cti.wait(t, "dnd_off", 5*time.Second)
	}
}
