package peers

import (
	"encoding/xml"
	"io"
	"strings"
	"testing"
)

func TestExpandScenario(t *testing.T) {
	const text = `<pause milliseconds="{{HOLD_MS=1000}}"/> From: {{FROM_USER=sipp}}@{{DOMAIN}} again {{HOLD_MS=1000}}`
	for _, tc := range []struct {
		name    string
		params  map[string]string
		want    string
		wantErr string
	}{
		{
			name:   "defaults",
			params: map[string]string{"DOMAIN": "127.0.0.1"},
			want:   `<pause milliseconds="1000"/> From: sipp@127.0.0.1 again 1000`,
		},
		{
			name:   "params override defaults everywhere",
			params: map[string]string{"DOMAIN": "x", "HOLD_MS": "5", "FROM_USER": "alice"},
			want:   `<pause milliseconds="5"/> From: alice@x again 5`,
		},
		{
			name:    "required parameter missing",
			params:  nil,
			wantErr: "needs parameter(s) DOMAIN",
		},
		{
			name:    "unknown parameter is a typo",
			params:  map[string]string{"DOMAIN": "x", "HOLD": "5"},
			wantErr: "has no parameter(s) HOLD (it has DOMAIN, FROM_USER, HOLD_MS)",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ExpandScenario(text, tc.params)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want it to contain %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("got %q, %v\nwant %q", got, err, tc.want)
			}
		})
	}
}

func TestExpandScenarioLeavesSIPpKeywordsAlone(t *testing.T) {
	got, err := ExpandScenario("[service] [$n] [last_Via:] {not} {{ lower }}", nil)
	if err != nil || got != "[service] [$n] [last_Via:] {not} {{ lower }}" {
		t.Fatalf("got %q, %v", got, err)
	}
}

// The shipped scenarios expand with their defaults into well-formed XML
// with no placeholder left.
func TestShippedScenariosAreWellFormed(t *testing.T) {
	for name, sc := range map[string]string{
		"call": ScenarioCall, "cancel": ScenarioCancel, "busy": ScenarioBusy,
		"await_answer": ScenarioAwaitAnswer, "register": ScenarioRegister,
		"answer": ScenarioAnswer,
	} {
		t.Run(name, func(t *testing.T) {
			params := map[string]string{}
			for _, p := range ScenarioParams(sc) {
				if p == "RTP_FILE" {
					params[p] = "/tmp/tone.wav"
				}
			}
			text, err := ExpandScenario(sc, params)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(text, "{{") {
				t.Fatalf("placeholder left after expansion:\n%s", text)
			}
			d := xml.NewDecoder(strings.NewReader(text))
			d.CharsetReader = func(_ string, r io.Reader) (io.Reader, error) { return r, nil } // ASCII only
			sends := 0
			for {
				tok, err := d.Token()
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatalf("not well-formed XML: %v", err)
				}
				if se, ok := tok.(xml.StartElement); ok && se.Name.Local == "send" {
					sends++
				}
			}
			if sends == 0 {
				t.Fatal("scenario sends nothing")
			}
		})
	}
}
