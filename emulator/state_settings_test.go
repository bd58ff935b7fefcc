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

// SetDSS programs a key in the loop: a new BLF key is watched at once, a
// BLF key turned into a speed dial stops being watched, and the snapshot
// lists the keys as they are now.
func TestSetDSSReprogramsAndRewatches(t *testing.T) {
	p, _, sig := phoneWithRecordingSignaling(t)
	ctx := context.Background()
	if err := p.Do(ctx, emulator.SetDSS{Key: 3, DSSKey: emulator.DSSKey{Kind: emulator.DSSBLF, Value: "1002", Label: "Bob"}}); err != nil {
		t.Fatal(err)
	}
	if !sig.did("Watch D3 1002") {
		t.Errorf("SIP side asked %v, want Watch D3 1002", sig.snapshot())
	}
	dss := p.Snapshot().DSS
	if len(dss) != 1 || dss[0].Key != 3 || dss[0].Kind != emulator.DSSBLF || dss[0].Label != "Bob" || dss[0].Lamp != emulator.BLFIdle {
		t.Errorf("snapshot DSS = %+v, want D3 BLF 1002 idle", dss)
	}
	if err := p.Do(ctx, emulator.SetDSS{Key: 3, DSSKey: emulator.DSSKey{Kind: emulator.DSSSpeedDial, Value: "1003"}}); err != nil {
		t.Fatal(err)
	}
	if !sig.did("Unwatch D3") {
		t.Errorf("SIP side asked %v, want Unwatch D3", sig.snapshot())
	}
	keys(t, p, "D3")
	if !sig.did("Dial o1 1003") {
		t.Errorf("D3 pressed: SIP side asked %v, want Dial o1 1003", sig.snapshot())
	}
	for _, bad := range []emulator.SetDSS{
		{Key: 0, DSSKey: emulator.DSSKey{Kind: emulator.DSSBLF, Value: "1"}},
		{Key: 11, DSSKey: emulator.DSSKey{Kind: emulator.DSSBLF, Value: "1"}},
		{Key: 1, DSSKey: emulator.DSSKey{Kind: "intercom", Value: "1"}},
		{Key: 1, DSSKey: emulator.DSSKey{Kind: emulator.DSSSpeedDial, Value: ""}},
		{Key: 1, DSSKey: emulator.DSSKey{Kind: emulator.DSSSpeedDial, Value: "<sip:x>"}},
	} {
		if err := p.Do(ctx, bad); !errors.Is(err, emulator.ErrBadDSS) {
			t.Errorf("%+v: err %v, want ErrBadDSS", bad, err)
		}
	}
	if err := p.Do(ctx, emulator.SetDSS{Key: 3}); err != nil {
		t.Fatal(err)
	}
	if dss := p.Snapshot().DSS; len(dss) != 0 {
		t.Errorf("D3 cleared, snapshot still lists %+v", dss)
	}
}
