package scenarios

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"strings"
	"testing"
	"time"
)

func load(t *testing.T, path string) *Scenario {
	t.Helper()
	list, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	return list[0]
}

// A scenario expecting an event that does not come fails at that step,
// naming file and line, what it expected and what happened: the phone's
// last events and its LCD. Later steps are skipped.
func TestWrongEventFailsNamingFileAndLine(t *testing.T) {
	var out bytes.Buffer
	res := Run(context.Background(), load(t, "testdata/wrong_event.yaml"), Options{Out: &out})
	if res.Passed {
		t.Fatalf("passed:\n%s", out.String())
	}
	st := res.Failed()
	if st == nil || st.Line != 6 {
		t.Fatalf("failed step %+v, want line 6", st)
	}
	msg := res.Message()
	for _, want := range []string{
		"testdata/wrong_event.yaml:6: bob (1002) should send Missed Call: expected bob: missed_call within 300ms",
		"got events since the last one matched: none",
		"bob last events: setup_completed, registered, idle_to_busy, incoming_call",
		`bob LCD: "Incoming call"`,
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("message lacks %q:\n%s", want, msg)
		}
	}
	if last := res.Steps[len(res.Steps)-1]; last.Status != "skipped" {
		t.Errorf("the step after the failure: %s", last.Status)
	}
	if !strings.Contains(out.String(), "  FAIL testdata/wrong_event.yaml:6 ") {
		t.Errorf("progress:\n%s", out.String())
	}
}

// The JUnit XML is valid: encoding/xml reads it back with one test case
// per scenario and one failure for the failed step.
func TestJUnitParses(t *testing.T) {
	pass := Run(context.Background(), load(t, "basic_call.yaml"), Options{})
	fail := Run(context.Background(), load(t, "testdata/wrong_event.yaml"), Options{})
	var buf bytes.Buffer
	if err := WriteJUnit(&buf, []*Result{pass, fail}, time.Now()); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		XMLName  xml.Name `xml:"testsuites"`
		Tests    int      `xml:"tests,attr"`
		Failures int      `xml:"failures,attr"`
		Suites   []struct {
			Cases []struct {
				Name     string `xml:"name,attr"`
				Time     string `xml:"time,attr"`
				Failures []struct {
					Message string `xml:"message,attr"`
					Text    string `xml:",chardata"`
				} `xml:"failure"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatalf("not XML: %v\n%s", err, buf.String())
	}
	if doc.Tests != 2 || doc.Failures != 1 || len(doc.Suites) != 1 || len(doc.Suites[0].Cases) != 2 {
		t.Fatalf("counts: %+v", doc)
	}
	c0, c1 := doc.Suites[0].Cases[0], doc.Suites[0].Cases[1]
	if c0.Name != "inbound call answered by the CTI" || len(c0.Failures) != 0 || c0.Time == "" {
		t.Errorf("passing case %+v", c0)
	}
	if len(c1.Failures) != 1 || !strings.HasPrefix(c1.Failures[0].Message, "testdata/wrong_event.yaml:6:") ||
		!strings.Contains(c1.Failures[0].Text, "bob LCD:") {
		t.Errorf("failing case %+v", c1)
	}
}

func TestJSONReport(t *testing.T) {
	fail := Run(context.Background(), load(t, "testdata/wrong_event.yaml"), Options{})
	var buf bytes.Buffer
	if err := WriteJSON(&buf, []*Result{fail}); err != nil {
		t.Fatal(err)
	}
	var rep Report
	if err := json.Unmarshal(buf.Bytes(), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Passed || len(rep.Scenarios) != 1 || rep.Scenarios[0].Steps[2].Failure == nil ||
		rep.Scenarios[0].Steps[2].Failure.Phones[0].Phone != "bob" {
		t.Errorf("report %s", buf.String())
	}
}

// --pace says each step in words and pauses; --step waits for Enter.
func TestPaceAndStep(t *testing.T) {
	var out bytes.Buffer
	start := time.Now()
	res := Run(context.Background(), load(t, "testdata/short.yaml"), Options{
		Out: &out, Pace: 100 * time.Millisecond, StepIn: strings.NewReader("\n\n\n"),
	})
	if !res.Passed {
		t.Fatal(res.Message())
	}
	text := out.String()
	for _, want := range []string{"step 1/3: alice (1001) presses VOLUME_UP — press Enter", "… Alice (1001) presses VOLUME_UP; pausing 100ms"} {
		if !strings.Contains(text, want) {
			t.Errorf("output lacks %q:\n%s", want, text)
		}
	}
	// Two pauses (none after the last step); a lower bound only.
	if d := time.Since(start); d < 200*time.Millisecond {
		t.Errorf("ran in %s with two 100ms pauses", d)
	}
}

// A set of phones that cannot start is a failed result with the reason,
// not a panic.
func TestPhonesThatCannotStart(t *testing.T) {
	sc := &Scenario{Path: "x.yaml", Name: "x", Config: "testdata/nosuch-phones.yaml", Steps: []Step{{Kind: KindWait, Wait: time.Millisecond}}}
	res := Run(context.Background(), sc, Options{})
	if res.Passed || !strings.Contains(res.Message(), "x.yaml: could not start the phones") {
		t.Errorf("result %+v", res)
	}
}

// hook: on when the phone is already on hook fails with why.
func TestHookTwiceFails(t *testing.T) {
	res := Run(context.Background(), load(t, "testdata/hook_twice.yaml"), Options{})
	st := res.Failed()
	if st == nil || st.Line != 7 || st.Failure.Got != "already on hook" {
		t.Fatalf("result %s", res.Message())
	}
}

// On a terminal the running step is shown, then its line is rewritten
// with the outcome.
func TestLiveProgress(t *testing.T) {
	var out bytes.Buffer
	if res := Run(context.Background(), load(t, "testdata/short.yaml"), Options{Out: &out, Live: true}); !res.Passed {
		t.Fatal(res.Message())
	}
	if want := "  … testdata/short.yaml:4 alice (1001) presses VOLUME_UP\r\033[K  ok   testdata/short.yaml:4 "; !strings.Contains(out.String(), want) {
		t.Errorf("output %q lacks %q", out.String(), want)
	}
}
