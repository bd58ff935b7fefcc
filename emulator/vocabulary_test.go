package emulator_test

import (
	"encoding"
	"encoding/json"
	"strings"
	"testing"

	"github.com/phonesim/phonesim/emulator"
)

type textValue interface {
	encoding.TextMarshaler
	String() string
}

// Each typed value writes the word the status JSON has always carried and
// reads it back; an unknown word is an error naming the known ones.
func TestVocabularyWords(t *testing.T) {
	for _, tc := range []struct {
		v    textValue
		want string
		back encoding.TextUnmarshaler
	}{
		{emulator.LEDOff, "off", new(emulator.LED)},
		{emulator.LEDBlink, "blink", new(emulator.LED)},
		{emulator.CallRingback, "ringback", new(emulator.CallState)},
		{emulator.CallConf, "conference", new(emulator.CallState)},
		{emulator.HookOff, "off_hook", new(emulator.Hook)},
		{emulator.PathHandset, "handset", new(emulator.AudioPath)},
		{emulator.RegFailed, "failed", new(emulator.RegState)},
		{emulator.BLFRinging, "ringing", new(emulator.BLFLamp)},
	} {
		b, err := tc.v.MarshalText()
		if err != nil || string(b) != tc.want || tc.v.String() != tc.want {
			t.Errorf("%#v: MarshalText %q %v, String %q, want %q", tc.v, b, err, tc.v.String(), tc.want)
			continue
		}
		if err := tc.back.UnmarshalText(b); err != nil {
			t.Errorf("UnmarshalText(%q): %v", b, err)
		} else if got := tc.back.(textValue).String(); got != tc.want {
			t.Errorf("UnmarshalText(%q) reads back %q", b, got)
		}
		if err := tc.back.UnmarshalText([]byte("Blinking")); err == nil {
			t.Errorf("%T accepted %q", tc.back, "Blinking")
		}
	}
	if _, err := emulator.LED(7).MarshalText(); err == nil {
		t.Error("LED(7) marshalled")
	}
	b, err := json.Marshal(emulator.CallStatus{State: emulator.CallTalking})
	if err != nil || !strings.Contains(string(b), `"state":"talking"`) {
		t.Fatalf("%s %v", b, err)
	}
}

// The LCD's JSON keeps the "leds" map front ends and CTI clients read:
// every configured line, and the other LEDs while lit.
func TestLCDJSONKeepsTheLEDMap(t *testing.T) {
	lcd := emulator.LCD{Title: "x", LineKeys: []emulator.LED{emulator.LEDOff, emulator.LEDBlink}, MSG: emulator.LEDBlink}
	lcd.DSSKeys[2] = emulator.LEDOn
	b, err := json.Marshal(lcd)
	if err != nil {
		t.Fatal(err)
	}
	const want = `{"title":"x","lines":null,"soft_keys":["","","",""],"leds":{"D3":"on","L1":"off","L2":"blink","MSG":"blink"}}`
	if string(b) != want {
		t.Errorf("LCD JSON\n got %s\nwant %s", b, want)
	}
}

// Words from outside (scenario files) never panic the parsers.
func FuzzVocabularyUnmarshal(f *testing.F) {
	for _, s := range []string{"off", "on", "blink", "ringing", "off_hook", "handset", "registered", "", "\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, v := range []encoding.TextUnmarshaler{new(emulator.LED), new(emulator.CallState), new(emulator.Hook), new(emulator.AudioPath), new(emulator.RegState), new(emulator.BLFLamp)} {
			if err := v.UnmarshalText([]byte(s)); err == nil {
				if got := v.(textValue).String(); got != s {
					t.Errorf("%T read %q as %q", v, s, got)
				}
			}
		}
	})
}

// LED(name) reads the LEDs by the names scenarios and the JSON use and
// refuses any other name.
func TestLCDLEDByName(t *testing.T) {
	lcd := emulator.LCD{LineKeys: []emulator.LED{emulator.LEDOn}, Headset: emulator.LEDOn}
	lcd.DSSKeys[9] = emulator.LEDBlink
	for name, want := range map[string]emulator.LED{"L1": emulator.LEDOn, "L8": emulator.LEDOff, "D10": emulator.LEDBlink,
		"D1": emulator.LEDOff, "HEADSET": emulator.LEDOn, "MSG": emulator.LEDOff} {
		if got, ok := lcd.LED(name); !ok || got != want {
			t.Errorf("LED(%q) = %s %v, want %s", name, got, ok, want)
		}
	}
	for _, name := range []string{"L0", "L9", "D11", "D01", "L", "X1", "msg", "L1x", ""} {
		if _, ok := lcd.LED(name); ok {
			t.Errorf("LED(%q) accepted", name)
		}
	}
}
