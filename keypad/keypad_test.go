package keypad

import (
	"strings"
	"testing"
)

func TestEveryKeyRoundTripsInAnyCase(t *testing.T) {
	all := All()
	if len(all) != 54 {
		t.Fatalf("%d keys, want the 54 of spec §3.2", len(all))
	}
	for _, k := range all {
		for _, name := range []string{k.String(), strings.ToLower(k.String()), " " + k.String() + " "} {
			got, err := Parse(name)
			if name == ConfirmSpeaker {
				continue // the confirm key (TestSpecSpellings)
			}
			if err != nil || got != k {
				t.Errorf("Parse(%q) = %v, %v; want %v", name, got, err, k)
			}
		}
	}
}

func TestSpecSpellings(t *testing.T) {
	for name, want := range map[string]Key{
		"ok": OK, "OK": OK, "Enter": OK, "speaker": OK, " speaker ": OK, "Speaker": Speaker, "SPEAKER": Speaker, "sPeaker": Speaker,
		"F_TRANSFER": Transfer, "VOLUME_UP": VolumeUp, "VOLUME_DOWN": VolumeDown,
		"MUTE": Mute, "F_HOLD": Hold, "X": X, "F_CONFERENCE": Conference,
		"F1": F1, "F4": F4, "MSG": Msg, "HEADSET": Headset, "RD": Redial,
		"UP": Up, "DOWN": Down, "LEFT": Left, "RIGHT": Right, "Reboot": Reboot,
		"AutoP": AutoP, "DNDOn": DNDOn, "DNDOff": DNDOff, "0": Digit0, "9": Digit9,
		"*": Star, "POUND": Pound, "#": Pound, "L1": L1, "L8": L8, "D1": D1, "D10": D10,
	} {
		got, err := Parse(name)
		if err != nil || got != want {
			t.Errorf("Parse(%q) = %v, %v; want %v", name, got, err, want)
		}
	}
}

func TestParseRejects(t *testing.T) {
	for _, name := range []string{"", "  ", "L9", "D11", "F5", "10", "OKAY", "key"} {
		if k, err := Parse(name); err == nil {
			t.Errorf("Parse(%q) = %v, want an error", name, k)
		}
	}
}

func TestParseSequence(t *testing.T) {
	got, err := ParseSequence("SPEAKER;1;0;0;2;OK")
	if err != nil {
		t.Fatal(err)
	}
	want := []Key{Speaker, Digit1, Digit0, Digit0, Digit2, OK}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("got %v, want %v", got, want)
		}
	}
	_, err = ParseSequence("SPEAKER;FOO;OK")
	if err == nil || !strings.Contains(err.Error(), "key 2 of 3") || !strings.Contains(err.Error(), `"FOO"`) {
		t.Fatalf("error %v should name key 2 of 3 and FOO", err)
	}
	if _, err := ParseSequence("1;;2"); err == nil {
		t.Fatal("an empty key in a sequence must be an error")
	}
	// key=# unescaped reaches the phone as key= : say how to send '#'.
	for _, s := range []string{"", "1;"} {
		if _, err := ParseSequence(s); err == nil || !strings.Contains(err.Error(), "POUND or %23") {
			t.Errorf("ParseSequence(%q) error %v, want a hint to send POUND or %%23", s, err)
		}
	}
}

func TestKindHelpers(t *testing.T) {
	if d, ok := Pound.Digit(); !ok || d != '#' {
		t.Errorf("Pound.Digit() = %q %v", d, ok)
	}
	if d, ok := Digit7.Digit(); !ok || d != '7' {
		t.Errorf("Digit7.Digit() = %q %v", d, ok)
	}
	if _, ok := OK.Digit(); ok {
		t.Error("OK is not a digit")
	}
	if n, ok := L3.Line(); !ok || n != 3 {
		t.Errorf("L3.Line() = %d %v", n, ok)
	}
	if n, ok := D10.DSS(); !ok || n != 10 {
		t.Errorf("D10.DSS() = %d %v", n, ok)
	}
	if n, ok := F2.SoftKey(); !ok || n != 2 {
		t.Errorf("F2.SoftKey() = %d %v", n, ok)
	}
	if Key(999).Valid() || None.Valid() {
		t.Error("out-of-range keys must not be valid")
	}
}

func FuzzParseSequence(f *testing.F) {
	for _, s := range []string{"SPEAKER;1;0;0;2;OK", "ok", "", ";", "D10;L8;*;#", "\x00", "F_TRANSFER;;"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		keys, err := ParseSequence(s)
		if err != nil {
			if keys != nil {
				t.Fatalf("keys %v with error %v", keys, err)
			}
			return
		}
		if len(keys) != strings.Count(s, ";")+1 {
			t.Fatalf("%q gave %d keys", s, len(keys))
		}
		for _, k := range keys {
			if !k.Valid() {
				t.Fatalf("%q gave invalid key %d", s, k)
			}
			if again, err := Parse(k.String()); err != nil || again != k {
				t.Fatalf("%v does not round-trip", k)
			}
		}
	})
}
