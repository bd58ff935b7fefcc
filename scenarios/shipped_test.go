package scenarios

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/phonesim/phonesim/emulator"
	"github.com/phonesim/phonesim/keypad"
)

var update = flag.Bool("update", false, "rewrite the scenario coverage section of docs/events.md")

func shipped(t *testing.T) []*Scenario {
	t.Helper()
	files, err := filepath.Glob("*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no shipped scenarios: %v", err)
	}
	list, err := Load(files...)
	if err != nil {
		t.Fatalf("a shipped scenario is invalid:\n%v", err)
	}
	return list
}

// Every shipped scenario passes (make test runs them), two at a time,
// each on its own free ports.
func TestShippedScenarios(t *testing.T) {
	for _, sc := range shipped(t) {
		t.Run(strings.TrimSuffix(sc.Path, ".yaml"), func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			var out strings.Builder
			res := Run(ctx, sc, Options{Out: &out})
			if !res.Passed {
				t.Fatalf("%s\n%s", res.Message(), out.String())
			}
		})
	}
}

// The example is shipped exactly as written.
func TestExampleShippedAsWritten(t *testing.T) {
	const example = `name: inbound call answered by the CTI
phones: demo
steps:
  - {phone: "1001", uri: "number=1002&outgoing_uri=1001@127.0.0.1"}  # an Active URI request
  - {phone: "1002", expect_event: incoming_call, with: {remote: "*1001*"}, within: 2s}
  - {phone: "1002", press: OK}
  - {phone: ["1001", "1002"], expect_event: established}
  - {phone: "1002", expect_lcd: "1001"}
  - {wait: 500ms}
  - {phone: "1001", press: X}
  - {phone: "1002", expect_event: terminated}
`
	got, err := os.ReadFile("basic_call.yaml")
	if err != nil || string(got) != example {
		t.Fatalf("basic_call.yaml is not the issue's example (%v):\n%s", err, got)
	}
}

const coverageHeading = "## Scenario coverage"

// The coverage section of docs/events.md is what the shipped scenarios
// assert and press, and together they cover all 27 events and every key.
// go test ./scenarios -run TestCoverageTable -update rewrites it.
func TestCoverageTable(t *testing.T) {
	cov := CoverageOf(shipped(t))
	want := coverageSection(cov)
	doc := filepath.Join("..", "docs", "events.md")
	data, err := os.ReadFile(doc)
	if err != nil {
		t.Fatal(err)
	}
	text := string(data)
	i := strings.Index(text, coverageHeading)
	if *update {
		if i < 0 {
			i = len(text)
			want = "\n" + want
		}
		if err := os.WriteFile(doc, []byte(text[:i]+want), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if i < 0 || text[i:] != want {
		t.Errorf("the last section of docs/events.md is not what the scenarios cover; run go test ./scenarios -run TestCoverageTable -update. Want:\n%s", want)
	}
	for _, ev := range emulator.ActionEvents() {
		if len(cov.Events[ev.Key()]) == 0 {
			t.Errorf("no shipped scenario expects %s (%s)", ev.Key(), ev)
		}
	}
	for _, k := range keypad.All() {
		if len(cov.Keys[k.String()]) == 0 {
			t.Errorf("no shipped scenario presses %s", k)
		}
	}
}

func coverageSection(cov Coverage) string {
	var b strings.Builder
	b.WriteString(coverageHeading + "\n\n")
	b.WriteString("Which shipped scenario (`scenarios/*.yaml`, run by `make scenarios` and by\n")
	b.WriteString("`scenarios.TestShippedScenarios`) asserts each event (an `expect_event` step) and\n")
	b.WriteString("presses each key (`press`, `dial`, `hook`, `set: {dnd}` or a `uri` with `key=`).\n")
	b.WriteString("`scenarios.TestCoverageTable` regenerates these tables from the files\n")
	b.WriteString("(`-update`) and fails when they differ or when an event or key is not covered.\n\n")
	b.WriteString("| event | scenarios |\n|---|---|\n")
	for _, ev := range emulator.ActionEvents() {
		fmt.Fprintf(&b, "| `%s` | %s |\n", ev.Key(), files(cov.Events[ev.Key()]))
	}
	b.WriteString("\n| key | scenarios |\n|---|---|\n")
	for _, k := range keypad.All() {
		fmt.Fprintf(&b, "| `%s` | %s |\n", k, files(cov.Keys[k.String()]))
	}
	return b.String()
}

func files(list []string) string {
	if len(list) == 0 {
		return "–"
	}
	return strings.Join(list, ", ")
}
