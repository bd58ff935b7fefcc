package main

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.uber.org/goleak"
)

const scenarioDir = "../../scenarios/"

func scenarioRun(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(append([]string{"scenario"}, args...), &out, &errOut)
	return code, out.String(), errOut.String()
}

// The example passes: exit 0, a line per step.
func TestScenarioExamplePassesExit0(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	code, out, errOut := scenarioRun(t, scenarioDir+"basic_call.yaml")
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	if n := strings.Count(out, "\n  ok   "); n != 8 || !strings.Contains(out, "all 1 scenarios passed") {
		t.Errorf("%d ok lines:\n%s", n, out)
	}
	// The last line is the plain tally CI systems read.
	if !strings.HasSuffix(out, "\nscenarios: 1 passed, 0 failed\n") {
		t.Errorf("no closing tally line:\n%s", out)
	}
}

// A scenario expecting a wrong event exits 1 naming its file and line;
// --junit writes JUnit XML that encoding/xml reads; --json prints the
// results on stdout.
func TestScenarioWrongEventExits1WithJUnitAndJSON(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	junit := filepath.Join(t.TempDir(), "junit.xml")
	wrong := scenarioDir + "testdata/wrong_event.yaml"
	code, out, errOut := scenarioRun(t, "--junit", junit, "--json", wrong, scenarioDir+"basic_call.yaml")
	if code != 1 {
		t.Fatalf("exit %d, want 1\n%s\n%s", code, out, errOut)
	}
	if !strings.Contains(errOut, wrong+":6: bob (1002) should send Missed Call: expected bob: missed_call") ||
		!strings.Contains(errOut, "bob LCD:") {
		t.Errorf("stderr should name %s:6 with the LCD:\n%s", wrong, errOut)
	}
	if !strings.HasSuffix(errOut, "\nscenarios: 1 passed, 1 failed\n") {
		t.Errorf("stderr should close with the tally:\n%s", errOut)
	}
	var rep struct {
		Passed    bool `json:"passed"`
		Scenarios []struct {
			File   string `json:"file"`
			Passed bool   `json:"passed"`
		} `json:"scenarios"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("--json stdout is not JSON (%v):\n%s", err, out)
	}
	if rep.Passed || len(rep.Scenarios) != 2 || rep.Scenarios[0].Passed || !rep.Scenarios[1].Passed {
		t.Errorf("report %+v", rep)
	}
	data, err := os.ReadFile(junit)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Tests    int `xml:"tests,attr"`
		Failures int `xml:"failures,attr"`
		Suite    struct {
			Cases []struct {
				Name     string `xml:"name,attr"`
				Failures []struct {
					Message string `xml:"message,attr"`
				} `xml:"failure"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal(data, &doc); err != nil {
		t.Fatalf("--junit is not XML: %v\n%s", err, data)
	}
	if doc.Tests != 2 || doc.Failures != 1 || len(doc.Suite.Cases) != 2 ||
		len(doc.Suite.Cases[0].Failures) != 1 || !strings.HasPrefix(doc.Suite.Cases[0].Failures[0].Message, wrong+":6:") {
		t.Errorf("junit %+v\n%s", doc, data)
	}
}

// An invalid scenario exits 2 with file:line and runs nothing, not even
// the valid file given with it.
func TestScenarioInvalidExits2(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("phones: demo\nsteps:\n  - {phone: \"1001\", press: OK}\n  - {phone: \"1001\", prress: OK}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := scenarioRun(t, scenarioDir+"basic_call.yaml", bad)
	if code != 2 {
		t.Fatalf("exit %d, want 2\n%s", code, errOut)
	}
	if !strings.Contains(errOut, bad+`:4: unknown step key "prress"`) {
		t.Errorf("stderr: %s", errOut)
	}
	if out != "" {
		t.Errorf("something ran: %s", out)
	}
	for _, args := range [][]string{{}, {"--parallel", "0", bad}, {"--parallel", "2", "--step", bad}, {"--log-level", "loud", bad}} {
		if code, _, _ := scenarioRun(t, args...); code != 2 {
			t.Errorf("phonesim scenario %q: exit %d, want 2", args, code)
		}
	}
}

// --parallel runs scenarios side by side, each on free ports, and prints
// each one's lines together.
func TestScenarioParallel(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	code, out, errOut := scenarioRun(t, "--parallel", "2", scenarioDir+"basic_call.yaml", scenarioDir+"missed_call.yaml")
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	for _, name := range []string{"inbound call answered by the CTI", "missed call"} {
		i := strings.Index(out, "=== "+name)
		j := strings.Index(out, "--- PASS "+name)
		if i < 0 || j < i || strings.Contains(out[i:j], "=== ") && strings.Count(out[i:j], "=== ") > 1 {
			t.Errorf("%s: lines not together:\n%s", name, out)
		}
	}
}
