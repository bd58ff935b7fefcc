// Package scenarios runs scripted call flows (scenario files, YAML) against
// emulated phones and checks what happened: the runner behind
// `phonesim scenario FILE...` and `make scenarios`. The shipped flows are
// the *.yaml files of this directory; docs/scenarios.md describes every
// step.
//
// The package holds the runner and the flows together, as the layout of
// the design names it ("scenarios/  runner package + *.yaml flows"): the
// test that runs every shipped flow finds them next to itself, and the
// configurations they share live in phones/.
//
// The runner drives phones exactly as a CTI does, through package
// phonesimtest: Active URI over HTTP with each phone's credentials, and
// every event received as an Action URL GET by a local listener.
package scenarios

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/phonesim/phonesim/emulator"
)

// Scenario is one parsed file.
type Scenario struct {
	Path string // as given on the command line
	Name string
	// Demo: "phones: demo", the built-in demo (1001 alice, 1002 bob).
	Demo bool
	// Config is the phones file ("config: path", relative to the
	// scenario's directory, made absolute).
	Config string
	// Provisioning, if set, is a directory served over HTTP as every
	// phone's provisioning_url (key=AutoP fetches <mac>.yaml from it).
	Provisioning string
	Steps        []Step
}

// Step is one line of a scenario's steps.
type Step struct {
	Line   int
	Kind   Kind
	Phones []string // the phones it concerns (none for wait)

	URI    string             // uri: the Active URI query
	Keys   []string           // press
	Hook   string             // hook: "off" or "on"
	Dial   string             // dial: the number typed before OK
	Event  emulator.EventType // expect_event, expect_no_event
	With   map[string]string  // variable -> glob
	Within time.Duration      // expect_event, expect_state, expect_lcd
	For    time.Duration      // expect_no_event
	Status int                // expect_status of uri, press, dial, hook, set ip (0: want 200)
	State  []StateCheck       // expect_state
	LCD    LCDCheck           // expect_lcd
	Wait   time.Duration      // wait
	Set    SetAction          // set
	MWI    MWI                // mwi
}

// Kind is what a step does.
type Kind string

// Step kinds: the one action key each step has.
const (
	KindURI           Kind = "uri"
	KindPress         Kind = "press"
	KindHook          Kind = "hook"
	KindDial          Kind = "dial"
	KindExpectEvent   Kind = "expect_event"
	KindExpectNoEvent Kind = "expect_no_event"
	KindExpectState   Kind = "expect_state"
	KindExpectLCD     Kind = "expect_lcd"
	KindWait          Kind = "wait"
	KindSet           Kind = "set"
	KindMWI           Kind = "mwi"
)

// Defaults of the optional durations.
const (
	DefaultWithin = 5 * time.Second // expect_event, expect_state, expect_lcd
	DefaultFor    = time.Second     // expect_no_event
)

// StateCheck is one condition of expect_state, e.g. {dnd: true} or
// {line: {L1: registered}}.
type StateCheck struct {
	What string // "hook", "dnd", "line L1", "call", ...
	Want string // "on", "true", "registered", "talking", ...
	test func(emulator.Snapshot) (got string, ok bool)
}

// LCDCheck is expect_lcd: Text on the screen, at a place or anywhere.
type LCDCheck struct {
	Text string
	At   string // "" anywhere, "title", "line N", "F1".."F4"
}

// SetAction is set: one of DND, a forward, the IP address.
type SetAction struct {
	DND     *bool
	Forward *ForwardSet
	IP      string
}

// ForwardSet turns one forwarding condition on (to Target) or off.
type ForwardSet struct {
	Kind    emulator.ForwardKind
	Name    string // always, busy, no_answer
	Target  string // "" = off
	Timeout time.Duration
}

// MWI is the message-summary NOTIFY (RFC 3842) the runner sends the phone
// as a voicemail server would.
type MWI struct{ New, Old int }

// Problem is one thing wrong in a scenario file.
type Problem struct {
	File string
	Line int
	Msg  string
}

func (p Problem) Error() string { return fmt.Sprintf("%s:%d: %s", p.File, p.Line, p.Msg) }

// Problems is every problem found in one or more files, by file and line.
type Problems []Problem

func (ps Problems) Error() string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.Error()
	}
	return strings.Join(lines, "\n")
}

func (ps Problems) sort() {
	sort.SliceStable(ps, func(i, j int) bool {
		if ps[i].File != ps[j].File {
			return ps[i].File < ps[j].File
		}
		return ps[i].Line < ps[j].Line
	})
}

// Words says what the step does, for a trainer's audience:
// "bob (1002) presses OK".
func (s Step) Words(who string) string {
	switch s.Kind {
	case KindURI:
		return who + " gets an Active URI request: " + s.URI
	case KindPress:
		if len(s.Keys) == 1 {
			return who + " presses " + s.Keys[0]
		}
		return who + " presses " + strings.Join(s.Keys, ", ")
	case KindHook:
		if s.Hook == "off" {
			return who + " goes off hook"
		}
		return who + " goes on hook"
	case KindDial:
		return who + " dials " + s.Dial
	case KindExpectEvent:
		return who + " should send " + s.Event.String() + withWords(s.With)
	case KindExpectNoEvent:
		return who + " should not send " + s.Event.String() + withWords(s.With) + " for " + s.For.String()
	case KindExpectState:
		parts := make([]string, len(s.State))
		for i, c := range s.State {
			parts[i] = c.What + " " + c.Want
		}
		return who + " should show " + strings.Join(parts, ", ")
	case KindExpectLCD:
		where := "on the screen"
		if s.LCD.At != "" {
			where = "at " + s.LCD.At
		}
		return fmt.Sprintf("%s should show %q %s", who, s.LCD.Text, where)
	case KindWait:
		return "wait " + s.Wait.String()
	case KindSet:
		switch {
		case s.Set.DND != nil && *s.Set.DND:
			return who + " turns DND on"
		case s.Set.DND != nil:
			return who + " turns DND off"
		case s.Set.Forward != nil && s.Set.Forward.Target != "":
			return who + " forwards (" + s.Set.Forward.Name + ") to " + s.Set.Forward.Target
		case s.Set.Forward != nil:
			return who + " turns " + s.Set.Forward.Name + " forwarding off"
		}
		return who + " moves to IP " + s.Set.IP
	case KindMWI:
		return fmt.Sprintf("the voicemail server tells %s: %d new, %d old messages", who, s.MWI.New, s.MWI.Old)
	}
	return string(s.Kind)
}

func withWords(with map[string]string) string {
	if len(with) == 0 {
		return ""
	}
	keys := slices.Sorted(maps.Keys(with))
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = "$" + k + " = " + with[k]
	}
	return " with " + strings.Join(parts, ", ")
}

// glob matches s against pattern: '*' any run of characters, '?' one
// character, everything else itself (no character classes: '[' in a SIP
// URI is an IPv6 bracket).
func glob(pattern, s string) bool {
	p, v := []rune(pattern), []rune(s)
	pi, vi, star, mark := 0, 0, -1, 0
	for vi < len(v) {
		switch {
		case pi < len(p) && (p[pi] == '?' || p[pi] == v[vi]):
			pi++
			vi++
		case pi < len(p) && p[pi] == '*':
			star, mark = pi, vi
			pi++
		case star >= 0:
			pi = star + 1
			mark++
			vi = mark
		default:
			return false
		}
	}
	for pi < len(p) && p[pi] == '*' {
		pi++
	}
	return pi == len(p)
}
