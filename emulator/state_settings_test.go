package emulator_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/phonesim/phonesim/emulator"
)

// SetLine changes the account in the loop (the snapshot shows it at once)
// and hands it to the SIP side to swap the registration; a bad account or
// an unknown line is refused and changes nothing.
func TestSetLineSwapsTheAccount(t *testing.T) {
	p, _, sig := phoneWithRecordingSignaling(t)
	ctx := context.Background()
	err := p.Do(ctx, emulator.SetLine{Line: 1, Config: emulator.LineConfig{
		User: "1011", Password: "pw", Server: "127.0.0.1:5062", DisplayName: "Spare"}})
	if err != nil {
		t.Fatal(err)
	}
	if !sig.did("SetLine L1 1011@127.0.0.1:5062") {
		t.Errorf("SIP side asked %v, want SetLine L1 1011@127.0.0.1:5062", sig.snapshot())
	}
	l := p.Snapshot().Lines[0]
	if l.User != "1011" || l.Server != "127.0.0.1:5062" || l.DisplayName != "Spare" || l.URI != "sip:1011@127.0.0.1" {
		t.Errorf("snapshot L1 = %+v, want the new account", l)
	}
	for _, bad := range []emulator.SetLine{
		{Line: 2, Config: emulator.LineConfig{User: "1", Server: "127.0.0.1:5060"}},
		{Line: 0, Config: emulator.LineConfig{User: "1", Server: "127.0.0.1:5060"}},
		{Line: 1, Config: emulator.LineConfig{User: " ", Server: "127.0.0.1:5060"}},
		{Line: 1, Config: emulator.LineConfig{User: "1", Server: ""}},
		{Line: 1, Config: emulator.LineConfig{User: "1", Server: "127.0.0.1:5060", Expires: -time.Second}},
	} {
		if err := p.Do(ctx, bad); !errors.Is(err, emulator.ErrBadLine) {
			t.Errorf("%+v: err %v, want ErrBadLine", bad, err)
		}
	}
	if l := p.Snapshot().Lines[0]; l.User != "1011" {
		t.Errorf("a refused SetLine changed L1 to %q", l.User)
	}
}
