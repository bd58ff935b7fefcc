package scenarios

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// Each problem is reported as file:line: message, on the line at fault.
func TestParseProblems(t *testing.T) {
	tests := []struct {
		name, text string
		want       []string // "line: substring"
	}{
		{"unknown step key", "phones: demo\nsteps:\n  - {phone: \"1001\", press: OK, colour: red}\n",
			[]string{`3: unknown step key "colour"`}},
		{"two actions", "phones: demo\nsteps:\n  - {phone: \"1001\", press: OK, dial: \"12\"}\n",
			[]string{"3: one action per step: press and dial"}},
		{"no action", "phones: demo\nsteps:\n  - {phone: \"1001\"}\n",
			[]string{"3: step without an action"}},
		{"unknown event", "phones: demo\nsteps:\n  - {wait: 1s}\n  - {phone: \"1002\", expect_event: incomming_call}\n",
			[]string{`4: expect_event: unknown event "incomming_call"`}},
		{"unknown phone", "phones: demo\nsteps:\n  - {phone: \"1009\", press: OK}\n",
			[]string{`3: phone "1009": no phone has that name or extension`}},
		{"bad key", "phones: demo\nsteps:\n  -\n    phone: \"1001\"\n    press: [OK, F9]\n",
			[]string{"5: press:"}},
		{"bad duration", "phones: demo\nsteps:\n  - {phone: \"1002\", expect_event: terminated, within: soon}\n",
			[]string{`3: within: "soon" is not a duration`}},
		{"modifier on the wrong step", "phones: demo\nsteps:\n  - {phone: \"1001\", press: OK, within: 2s}\n",
			[]string{"3: within does not go with press"}},
		{"unknown variable", "phones: demo\nsteps:\n  - {phone: \"1002\", expect_event: incoming_call, with: {caller: x}}\n",
			[]string{`3: with: "caller" is not one of the 12 variables`}},
		{"missing phones", "steps:\n  - {wait: 1s}\n", []string{"1: missing phones: demo or config: FILE"}},
		{"unknown top key", "phones: demo\nstep:\n  - {wait: 1s}\n",
			[]string{`2: unknown key "step"`, "1: missing steps"}},
		{"phone list on an action", "phones: demo\nsteps:\n  - {phone: [\"1001\", \"1002\"], press: OK}\n",
			[]string{"3: press acts on one phone"}},
		{"bad state", "phones: demo\nsteps:\n  - {phone: \"1001\", expect_state: {hook: up, line: {L9: registered}}}\n",
			[]string{`3: expect_state.hook: "up": want on or off`, `3: expect_state.line: "L9": want L1-L8`}},
		{"bad LED", "phones: demo\nsteps:\n  - {phone: \"1001\", expect_state: {led: {MWI: on, L1: lit}, call: ended, lamp: {D1: off}}}\n",
			[]string{`3: expect_state.led: "MWI": want L1-L8, D1-D10, MSG, DND or HEADSET`, `3: expect_state.led.L1: "lit": want on, off or blink`,
				`3: expect_state.call: "ended": want calling`, `3: expect_state.lamp.D1: "off": want idle, ringing or busy`}},
		{"set ip outside loopback", "phones: demo\nsteps:\n  - {phone: \"1001\", set: {ip: 10.0.0.1}}\n",
			[]string{"3: set.ip: \"10.0.0.1\": scenarios move phones within 127.0.0.0/8 only"}},
		{"bad dial", "phones: demo\nsteps:\n  - {phone: \"1001\", dial: \"12a\"}\n",
			[]string{"3: dial: \"12a\": the keypad has only 0-9, * and #"}},
		{"syntax", "phones: demo\nsteps:\n  - {phone: \"1001\", press: OK\n", []string{"3: "}},
		{"missing config", "config: nowhere.yaml\nsteps:\n  - {wait: 1s}\n", []string{"1: config nowhere.yaml:"}},
		{"several at once", "phones: demo\nsteps:\n  - {phone: \"1001\", presss: OK}\n  - {phone: \"1001\", press: OK, expect_status: 999}\n",
			[]string{`3: unknown step key "presss"`, "4: expect_status: \"999\" is not a number from 100 to 599"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, probs := Parse("s.yaml", []byte(tt.text))
			if len(probs) != len(tt.want) {
				t.Fatalf("got %d problems, want %d:\n%v", len(probs), len(tt.want), probs)
			}
			for i, w := range tt.want {
				if got := probs[i].Error(); !strings.HasPrefix(got, "s.yaml:"+strings.SplitN(w, ":", 2)[0]+":") || !strings.Contains(got, strings.SplitN(w, ": ", 2)[1]) {
					t.Errorf("problem %d = %q, want s.yaml:%s", i, got, w)
				}
			}
		})
	}
}

// Load reports the problems of every file and returns no scenario, so
// nothing runs.
func TestLoadReportsEveryFile(t *testing.T) {
	list, err := Load("basic_call.yaml", "testdata/bad_event.yaml", "testdata/nosuch.yaml")
	var probs Problems
	if !errors.As(err, &probs) || list != nil {
		t.Fatalf("Load = %v, %v; want Problems and no scenario", list, err)
	}
	text := err.Error()
	for _, want := range []string{"testdata/bad_event.yaml:5: expect_event: unknown event", "testdata/nosuch.yaml:1: no such file"} {
		if !strings.Contains(text, want) {
			t.Errorf("problems:\n%s\nwant %q", text, want)
		}
	}
}

func TestParseDefaultsAndValues(t *testing.T) {
	sc, probs := Parse("s.yaml", []byte(`phones: demo
steps:
  - {phone: alice, expect_event: incoming_call}
  - {phone: bob, expect_no_event: missed_call}
  - {phone: "1001", set: {forward: {no_answer: "1003", after: 3s}}}
  - {phone: "1001", hook: off}
`))
	if len(probs) > 0 {
		t.Fatal(probs)
	}
	if sc.Name != "s" || !sc.Demo || len(sc.Steps) != 4 {
		t.Fatalf("scenario %+v", sc)
	}
	if st := sc.Steps[0]; st.Within != DefaultWithin || st.Line != 3 {
		t.Errorf("step 1 within %s line %d", st.Within, st.Line)
	}
	if st := sc.Steps[1]; st.For != DefaultFor {
		t.Errorf("expect_no_event for %s", st.For)
	}
	if f := sc.Steps[2].Set.Forward; f == nil || f.Target != "1003" || f.Timeout != 3*time.Second {
		t.Errorf("forward %+v", f)
	}
	if sc.Steps[3].Hook != "off" { // YAML 1.1 reads off as false; the runner means the hook
		t.Errorf("hook %q", sc.Steps[3].Hook)
	}
}

func TestGlob(t *testing.T) {
	for _, tt := range []struct {
		pattern, s string
		want       bool
	}{
		{"*1001*", "sip:1001@127.0.0.1", true},
		{"sip:1002@*", "sip:1001@127.0.0.1", false},
		{"?*", "", false},
		{"?*", "x", true},
		{"", "", true},
		{"a*b*c", "axxbyyc", true},
		{"a*b*c", "axxbyy", false},
		{"[::1]*", "[::1]:5060", true},
	} {
		if got := glob(tt.pattern, tt.s); got != tt.want {
			t.Errorf("glob(%q, %q) = %v", tt.pattern, tt.s, got)
		}
	}
}

// Outside input never panics the parser, and every problem has a line.
func FuzzParse(f *testing.F) {
	for _, seed := range []string{
		"phones: demo\nsteps:\n  - {phone: \"1001\", press: OK}\n",
		"name: x\nconfig: phones/office.yaml\nsteps:\n  - {phone: alice, expect_state: {line: {L1: registered}, forward: {busy: off}}}\n",
		"phones: demo\nsteps:\n  - {phone: [\"1001\", \"1002\"], expect_event: established, with: {remote: \"*\"}, within: 2s}\n",
		"phones: demo\nsteps:\n  - &a {wait: 1s}\n  - *a\n",
		"phones: demo\nsteps:\n  - {phone: \"1001\", mwi: {new: 2, old: 8}}\n  - {phone: \"1001\", set: {forward: {no_answer: \"1\", after: 2s}}}\n",
		"- a\n- b\n", "", "steps: 3", "phones: [demo]\n", "---\n---\n",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		_, probs := Parse("f.yaml", data)
		for _, p := range probs {
			if p.Line < 1 || p.Msg == "" {
				t.Fatalf("problem without a line or message: %+v", p)
			}
		}
	})
}
