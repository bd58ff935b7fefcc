package emulator

import (
	"fmt"
	"sort"
	"strings"

	"github.com/looplab/fsm"
)

// machineDocs says what each machine is for, in docs/fsm.md.
var machineDocs = map[string]string{
	"activity": "Idle/busy: busy while at least one call appearance exists. Fires Idle to Busy and Busy to Idle.",
	"call":     "One per call appearance. Fires Outgoing Call (enter calling), Incoming Call (enter ringing), Established (enter talking from ringing, calling or ringback), Hold (enter held), Unhold (held to talking), nothing for conference (join/split), and Missed Call and/or Terminated (enter ended). Remote hold is a flag, not a state.",
	"dnd":      "Do-not-disturb. Fires Activate DND / De-activate DND. While on, incoming calls are rejected (480 by default, as on a Yealink).",
	"hook":     "Hands-free hook. Fires Off-hook and On-hook.",
	"line":     "One per line key L1..L8: its SIP registration. Fires Registered, Registration Failed (once per failure streak) and Unregistered.",
}

// FSMMarkdown renders every state machine as a Mermaid state diagram; the
// committed docs/fsm.md is this text, and a test fails when it is stale.
func FSMMarkdown() (string, error) {
	ms := Machines()
	names := make([]string, 0, len(ms))
	for n := range ms {
		names = append(names, n)
	}
	sort.Strings(names)
	var b strings.Builder
	b.WriteString("# Phone state machines\n\n")
	b.WriteString("Generated from `emulator/fsm.go` by `go test ./emulator -run TestFSMDocIsCurrent -update`;\n")
	b.WriteString("a test fails when this file is stale. Every machine runs on the phone's own loop.\n")
	for _, n := range names {
		d, err := fsm.VisualizeForMermaidWithGraphType(ms[n], fsm.StateDiagram)
		if err != nil {
			return "", fmt.Errorf("%s: %w", n, err)
		}
		fmt.Fprintf(&b, "\n## %s\n\n%s\n\n```mermaid\n%s```\n", n, machineDocs[n], d)
	}
	return b.String(), nil
}
