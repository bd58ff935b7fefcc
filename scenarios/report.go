package scenarios

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"
)

// JUnit XML, the subset CI servers (Jenkins, GitLab, GitHub actions)
// read: one testsuite, one testcase per scenario, one failure per failed
// step, an error when the phones did not start.
type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name      string      `xml:"name,attr"`
	Tests     int         `xml:"tests,attr"`
	Failures  int         `xml:"failures,attr"`
	Errors    int         `xml:"errors,attr"`
	Time      string      `xml:"time,attr"`
	Timestamp string      `xml:"timestamp,attr"`
	Cases     []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name      string         `xml:"name,attr"`
	Classname string         `xml:"classname,attr"`
	File      string         `xml:"file,attr"`
	Time      string         `xml:"time,attr"`
	Failures  []junitProblem `xml:"failure"`
	Error     *junitProblem  `xml:"error"`
	SystemOut string         `xml:"system-out,omitempty"`
}

type junitProblem struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",chardata"`
}

func seconds(d time.Duration) string { return fmt.Sprintf("%.3f", d.Seconds()) }

// WriteJUnit writes results as JUnit XML.
func WriteJUnit(w io.Writer, results []*Result, started time.Time) error {
	suite := junitSuite{Name: "phonesim scenarios", Timestamp: started.UTC().Format("2006-01-02T15:04:05")}
	var total time.Duration
	for _, r := range results {
		total += r.Duration
		c := junitCase{
			Name:      r.Name,
			Classname: "scenarios." + strings.TrimSuffix(filepath.Base(r.File), filepath.Ext(r.File)),
			File:      r.File,
			Time:      seconds(r.Duration),
		}
		var out strings.Builder
		for _, st := range r.Steps {
			fmt.Fprintf(&out, "%s %s:%d %s\n", st.Status, r.File, st.Line, st.Step)
			if st.Status != "failed" {
				continue
			}
			c.Failures = append(c.Failures, junitProblem{
				Message: fmt.Sprintf("%s:%d: %s: expected %s", r.File, st.Line, st.Step, st.Failure.Expected),
				Type:    "step",
				Text:    (&Result{File: r.File, Steps: []StepResult{st}}).Message(),
			})
		}
		c.SystemOut = out.String()
		if r.Error != "" {
			c.Error = &junitProblem{Message: r.Error, Type: "setup", Text: r.Message()}
			suite.Errors++
		}
		if len(c.Failures) > 0 {
			suite.Failures++
		}
		suite.Cases = append(suite.Cases, c)
	}
	suite.Tests = len(results)
	suite.Time = seconds(total)
	doc := junitSuites{Name: suite.Name, Tests: suite.Tests, Failures: suite.Failures, Errors: suite.Errors, Time: suite.Time, Suites: []junitSuite{suite}}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

// Report is the --json document.
type Report struct {
	Passed    bool      `json:"passed"`
	Scenarios []*Result `json:"scenarios"`
}

// WriteJSON writes results as one JSON document.
func WriteJSON(w io.Writer, results []*Result) error {
	rep := Report{Passed: true, Scenarios: results}
	for _, r := range results {
		rep.Passed = rep.Passed && r.Passed
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(rep)
}
